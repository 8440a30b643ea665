"""Hostile bodies at the parser level: encodings that lie, UTF-7, binary, deep JSON, XML entity tricks anywhere,
bulk zips beyond the caps, credentials in archived URLs and headers, the spider table's one dispatch."""
import io
import random
import zipfile

import pytest

from crawlers.chain import REDACTED, redact_headers, redact_message, redact_url
from crawlers.parsers.base import HostileInput, ParseError, json_object
from crawlers.parsers.encoding import decode_body, xml_superset
from crawlers.parsers.feeds import parse_feed
from crawlers.parsers.html import parse_detail_page, parse_list_page
from crawlers.parsers.patent_xml import iter_bulk_zip
from crawlers.parsers.xmlsafe import parse_xml
from crawlers.spider_table import SPIDER_TABLE, parse_page, spider_class, window_filtered

JA = "<html><body><h1>半導体の輸出管理</h1><p>経済産業省は輸出管理を強化すると発表しました。</p></body></html>"


# ------------------------------------------------------------------ encodings
def test_shift_jis_labelled_utf8_is_decoded_by_content_and_the_lie_is_recorded():
    d = decode_body(JA.encode("shift_jis"), "text/html; charset=utf-8", "p", lang_hint="ko")
    assert "半導体の輸出管理" in d.text and d.encoding == "cp932" and d.lied and d.declared == "utf-8"
    assert "labelled utf-8 (header) but the bytes are cp932" in d.note("p")


def test_utf8_labelled_latin1_is_utf8_and_a_true_label_is_not_a_lie():
    d = decode_body("<p>반도체 수출</p>".encode(), "text/html; charset=iso-8859-1")
    assert d.text == "<p>반도체 수출</p>" and d.lied
    d = decode_body("<p>반도체</p>".encode("cp949"), "text/html; charset=euc-kr")
    assert d.text == "<p>반도체</p>" and d.encoding == "cp949" and not d.lied


def test_euc_kr_is_read_as_cp949():
    body = "<html><head><meta charset='euc-kr'></head><body><p>똠방각하</p></body></html>".encode("cp949")
    assert "똠방각하" in decode_body(body).text
    feed = ('<?xml version="1.0" encoding="EUC-KR"?><rss version="2.0"><channel><item><title>똠방각하</title>'
            '<guid>g</guid></item></channel></rss>').encode("cp949")
    assert b'encoding="UTF-8"' in xml_superset(feed)
    docs, errors = parse_feed(feed, _ctx())
    assert docs[0].title == "똠방각하" and errors == []


@pytest.mark.parametrize("body, ctype", [
    (b"<html><head><meta charset='utf-7'></head><body>+ADw-script+AD4-</body></html>", None),
    (b"<p>+ADw-script+AD4-</p>", "text/html; charset=UTF-7"),
    (b"+/v8-<p>x</p>", None),
])
def test_utf7_is_refused(body, ctype):
    with pytest.raises(HostileInput, match="UTF-7"):
        decode_body(body, ctype)
    with pytest.raises(HostileInput, match="UTF-7"):
        parse_xml(b'<?xml version="1.0" encoding="UTF-7"?><r/>', "x")


def test_random_bytes_are_not_a_document():
    rng = random.Random(1)
    noisy = bytes(rng.choice(range(1, 256)) for _ in range(75_000))  # no NUL byte: the content check decides
    with pytest.raises(HostileInput, match="binary|not text"):
        decode_body(noisy)
    with pytest.raises(HostileInput, match="binary"):
        decode_body(b"\x00\x01\x02binary\x00")
    with pytest.raises(ParseError):
        parse_detail_page(noisy, _ctx())


def test_a_few_broken_bytes_in_a_utf8_page_are_replaced_not_refused():
    body = ("<p>" + "반도체 " * 2000 + "</p>").encode() + b"\xed\x95"
    assert decode_body(body).text.count("\ufffd") == 1


# ------------------------------------------------------------------ JSON
def test_deep_json_is_refused_cleanly():
    with pytest.raises(HostileInput, match="nested deeper"):
        json_object(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", _ctx())
    assert json_object(b'{"s": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', _ctx())


# ------------------------------------------------------------------ XML: the parser's own settings, complete
@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><!--' + b"x" * 70_000 + b'--><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>',
    b'<?xml version="1.0"?>' + b" " * 70_000 + b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'.encode("utf-16"),
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><r/>',
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><r x="&b;"/>',
    b'<?xml version="1.0"?><!DOCTYPE r [\n<!ENTITY\n\tx\n"y">]><r>&x;</r>',
])
def test_entity_declarations_are_refused_wherever_and_however_written(body):
    with pytest.raises(HostileInput, match="entities"):
        parse_xml(body, "x")


def test_image_references_and_external_dtds_are_read_never_loaded():
    ok = (b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/never.dtd" [<!NOTATION TIF SYSTEM "TIF">'
          b'<!ENTITY img SYSTEM "a.TIF" NDATA TIF>]><r><img file="img"/></r>')
    assert parse_xml(ok, "x").tag == "r"


# ------------------------------------------------------------------ bulk zips
def _zip(chunks) -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("ipg240102.xml", "w", force_zip64=True) as out:
        for c in chunks:
            out.write(c)
    return buf.getvalue()


def test_bulk_zip_line_and_ratio_caps(tmp_path):
    p = tmp_path / "line.zip"
    p.write_bytes(_zip(b"a" * (1 << 20) for _ in range(3)))
    with pytest.raises(HostileInput, match="line of the bulk file exceeds"):
        list(iter_bulk_zip(p, max_line_bytes=1 << 20))
    p = tmp_path / "ratio.zip"
    p.write_bytes(_zip((b"<p>" + b"x" * 1000 + b"</p>\n") * 1024 for _ in range(40)))
    with pytest.raises(HostileInput, match="decompression bomb"):
        list(iter_bulk_zip(p, max_ratio=20))
    with pytest.raises(HostileInput, match="exceeds"):
        list(iter_bulk_zip(p, max_doc_bytes=1 << 20))


# ------------------------------------------------------------------ redaction
def test_secrets_are_redacted_in_urls_headers_and_messages():
    url = "https://api.example.org/works?filter=x&mailto=ews%40example.org&ServiceKey=k-123456&cursor=*"
    out = redact_url(url, ["ews@example.org"], {"ServiceKey"})
    assert "example.org&" not in out.split("mailto=")[1] and out.count(REDACTED) == 2 and "cursor=%2A" in out
    assert redact_url("https://u:pw-secret@h.example/x", []) == f"https://u:{REDACTED}@h.example/x"
    h = redact_headers({"Set-Cookie": "s=1", "X-Echo": "key k-123456", "Content-Type": "text/html"}, ["k-123456"])
    assert h == {"Set-Cookie": REDACTED, "X-Echo": f"key {REDACTED}", "Content-Type": "text/html"}
    msg = redact_message("http://h/x?accessKey=abc&q=1: HTTP 500", [], {"accessKey"})
    assert msg == f"http://h/x?accessKey={REDACTED}&q=1: HTTP 500"


# ------------------------------------------------------------------ one table, one dispatch
def test_the_spider_table_names_classes_roles_and_window_rules():
    for name, row in SPIDER_TABLE.items():
        assert spider_class(name).default_role == row.default_role
    assert not window_filtered("json_api", "patentsview") and window_filtered("json_api", "openalex")
    src = _source()
    assert parse_page(src, "list", b"anything", _ctx()).documents == []
    with pytest.raises(ParseError, match="never writes"):
        parse_page(src, "bulk_doc", b"<x/>", _ctx())


def test_list_page_skips_script_links_and_keeps_the_rest():
    body = (b"<ul><li><a href='javascript:go(1)'>a</a></li><li><a href='http://[bad'>b</a></li>"
            b"<li><a href='/view.do?seq=2'>c</a></li></ul>")
    page = parse_list_page(body, _ctx(settings={"list_item": "ul li", "item_link": "a::attr(href)"}))
    assert [e.url for e in page.entries] == ["http://127.0.0.1/view.do?seq=2"] and page.non_links == 2


def _source():
    from crawlers.registry import Source

    return Source(id="t", kind="policy", country="US", language="en", endpoint="http://127.0.0.1/l", spider="html_list",
                  parser="html_detail", settings={"list_item": "li", "item_link": "a::attr(href)"}, private_network=True)


def _ctx(settings=None):
    import datetime as dt

    from crawlers.parsers.base import PageContext

    return PageContext(source="t", kind="policy", url="http://127.0.0.1/x", lang="en", jurisdiction="US",
                       fetched_at=dt.datetime(2025, 1, 2, tzinfo=dt.UTC), settings=settings or {})




def test_response_caps_per_source_type():
    from crawlers.settings import settings_for_source

    caps = {t: settings_for_source("https://example.org/x", None, t)["DOWNLOAD_MAXSIZE"] for t in SPIDER_TABLE}
    assert caps["html_list"] == 50 * 2**20 and caps["json_api"] == 64 * 2**20 and caps["bulk_zip"] == 16 * 2**20
    assert settings_for_source("http://127.0.0.1:1/x", {"DOWNLOAD_MAXSIZE": 1000}, "feed")["DOWNLOAD_MAXSIZE"] == 1000
