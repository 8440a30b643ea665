import datetime as dt

import pytest

from crawlers.parsers.base import ParseError
from crawlers.parsers.dates import iso_date, parse_date
from crawlers.parsers.encoding import declared_encoding, decode_text
from crawlers.parsers.html import extract_text, page_key, parse_detail_page, parse_list_page

SETTINGS = {"list_item": "table.board_list tbody tr", "item_link": "td.subject a::attr(href)",
            "item_date": "td.date::text", "next_page": "div.paging a.next::attr(href)",
            "detail_title": "h3.view_title::text", "detail_date": "ul.view_info li.date::text",
            "detail_body": "div.view_cont", "key_param": "seq"}

LIST = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=euc-kr"></head><body>
<div id="header"><a href="/home">홈</a></div>
<table class="board_list"><tbody>
<tr><td class="subject"><a href="view.do?seq=12&amp;page=1">양자컴퓨팅 전략 발표</a></td><td class="date">2024.06.03</td></tr>
<tr><td class="subject"><a href="/kr/news/view.do?seq=11">반도체 <b>초격차</b> 전략</a></td><td class="date">2024.05.30</td></tr>
</tbody></table><div class="paging"><a class="next" href="list.do?page=2">다음</a></div></body></html>"""

DETAIL = """<html><head><meta charset="euc-kr"><title>사이트</title></head><body>
<div id="header"><ul class="gnb"><li>메뉴 보도자료 정책</li></ul></div>
<h3 class="view_title"> 똠방각하와 양자컴퓨팅 </h3><ul class="view_info"><li class="date">등록일: 2024.06.03</li></ul>
<div class="view_cont"><p>과기정통부는 양자컴퓨팅 전략을 발표했다.</p><script>var x = 1;</script>
<p>큐비트 기술을 확보한다.</p><p>과기정통부는 양자컴퓨팅 전략을 발표했다.</p></div>
<div id="footer">저작권 정책</div></body></html>"""


def test_list_page_in_euc_kr_meta_only(ctx_factory):
    ctx = ctx_factory(url="http://127.0.0.1/kr/news/list.do?page=1", settings=SETTINGS, content_type="text/html")
    page = parse_list_page(LIST.encode("cp949"), ctx)
    assert page.encoding == "cp949"
    assert [(e.url, e.title, e.date) for e in page.entries] == [
        ("http://127.0.0.1/kr/news/view.do?seq=12&page=1", "양자컴퓨팅 전략 발표", dt.date(2024, 6, 3)),
        ("http://127.0.0.1/kr/news/view.do?seq=11", "반도체 초격차 전략", dt.date(2024, 5, 30))]
    assert page.next_url == "http://127.0.0.1/kr/news/list.do?page=2"


def test_detail_page_cp949_extension_characters_boilerplate_and_stated_date(ctx_factory):
    # '똠' is not in EUC-KR (KS X 1001) but is in CP949, which sites labelled euc-kr really send.
    body = DETAIL.encode("cp949")
    with pytest.raises(UnicodeDecodeError):
        body.decode("euc-kr")
    ctx = ctx_factory(url="http://127.0.0.1/kr/news/view.do?seq=12&page=3", settings=SETTINGS, lang="ko",
                      jurisdiction="KR", content_type="text/html")
    d = parse_detail_page(body, ctx).document
    assert d.title == "똠방각하와 양자컴퓨팅"
    assert d.text == "과기정통부는 양자컴퓨팅 전략을 발표했다.\n큐비트 기술을 확보한다."
    assert "메뉴" not in d.text and "저작권" not in d.text and "var x" not in d.text
    assert d.published == dt.date(2024, 6, 3) and d.published_basis == "stated"
    assert d.source_key == "12" and d.lang == "ko" and d.jurisdiction == "KR"


def test_wrongly_declared_encoding_is_overruled(ctx_factory):
    # header and meta both claim UTF-8, the bytes are CP949: detection must still read Korean
    body = DETAIL.replace('charset="euc-kr"', 'charset="utf-8"').encode("cp949")
    ctx = ctx_factory(settings=SETTINGS, content_type="text/html; charset=UTF-8", lang="ko")
    d = parse_detail_page(body, ctx).document
    assert "양자컴퓨팅" in d.title


def test_undated_page_gets_inferred_fetch_date_and_list_date_is_used_when_page_has_none(ctx_factory):
    from crawlers.parsers.html import ListEntry

    body = "<html><body><div class='view_cont'><p>본문</p></div></body></html>".encode()
    ctx = ctx_factory(settings=SETTINGS)
    d = parse_detail_page(body, ctx).document
    assert d.published == dt.date(2025, 1, 2) and d.published_basis == "inferred"
    listed = ListEntry("http://127.0.0.1/x", "목록 제목", dt.date(2024, 1, 9))
    d = parse_detail_page(body, ctx, listed).document
    assert d.published == dt.date(2024, 1, 9) and d.published_basis == "stated" and d.title == "목록 제목"


def test_empty_and_layout_changed_pages_raise(ctx_factory):
    ctx = ctx_factory(settings=SETTINGS)
    with pytest.raises(ParseError, match="empty"):
        parse_list_page(b"  ", ctx)
    with pytest.raises(ParseError, match="no list items match"):
        parse_list_page(b"<html><body><p>maintenance</p></body></html>", ctx)
    with pytest.raises(ParseError, match="settings.list_item"):
        parse_list_page(LIST.encode("cp949"), ctx_factory(settings={}))


@pytest.mark.parametrize("text, label", [
    ("中华人民共和国科学技术部 关于印发 通知", "gb18030"), ("経済産業省 半導体・デジタル産業戦略", "cp932")])
def test_chinese_and_japanese_legacy_encodings(text, label):
    for declared in ({"gb18030": "gb2312", "cp932": "shift_jis"}[label],):
        html = f'<html><head><meta charset="{declared}"></head><body><p>{text}</p></body></html>'
        decoded, enc = decode_text(html.encode(label))
        assert text in decoded and enc == label


def test_encoding_declarations():
    assert declared_encoding(b"\xef\xbb\xbfabc") == ("utf-8-sig", "bom")
    assert declared_encoding(b"<p>x</p>", "text/html; charset=EUC-KR") == ("cp949", "header")
    assert declared_encoding(b"<p>x</p>") == (None, "none")


def test_page_key_and_dates():
    assert page_key("http://a/view.do?seq=7&page=2", "seq") == "7"
    assert page_key("http://a/view.do?x=1", "seq") == "http://a/view.do?x=1"
    assert parse_date("2024년 3월 5일") == dt.date(2024, 3, 5)
    assert parse_date("Tue, 03 Dec 2024 14:00:00 +0000") == dt.date(2024, 12, 3)
    assert parse_date("2024-13-45") is None and parse_date("2019") is None


def test_extract_text_drops_nested_repeats():
    from parsel import Selector

    sel = Selector(text="<div><nav>menu</nav><table><tr><td><p>a</p></td></tr></table><p>b</p></div>")
    assert extract_text(sel.css("div")[0]) == "a\nb"


@pytest.mark.parametrize("value, expected", [
    ("2024-03-15", dt.date(2024, 3, 15)),
    ("2024-03-15T10:00:00Z", dt.date(2024, 3, 15)),
    ("2024-02-30", None),
    ("", None),
    (None, None),
    ("15/03/2024", None),
])
def test_iso_date_reads_api_dates_and_refuses_what_is_not_one(value, expected):
    assert iso_date(value) == expected
