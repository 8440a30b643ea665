"""Normalisation: a body repeated inside one page (seed 004), furniture, language, inferred dates, digests."""
import datetime as dt

from crawlers.normalize import normalize_document, remove_repeats, split_digest
from ews.kernel.schema import Document

NOW = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
# The shape of seed 004: title, a row of share/print buttons, the body, the byline, then the body again.
BODY = ["정부가 반도체 패키징 등 한국 주력산업의 취약점이 되는 '초격차 급소 기술' 80개를 최대한 빨리 확보하기 위해 산업 연구개발(R&D)을 외국기관에 개방한다.",
        "또 희토류를 안 쓰는 전기차 모터용 영구자석, 인공지능(AI) 컴퓨팅, 세포 재생 신약 등 한국의 '차세대 먹거리 기술' 100개를 개발한다.",
        "산업통상자원부는 5일 서울에서 열린 주요 기업 최고기술책임자(CTO) 간담회에서 이 같은 전략을 발표했다."]
SEED4_LIKE = "\n".join(["기사 스크랩", "-", "공유", "-", "댓글", "-", "클린뷰", "-", "프린트", "산업부, 글로벌기술협력종합전략 간담회",
                        *BODY, "박한신 기자 phs@hankyung.com", *BODY[1:], "박한신 기자 phs@hankyung.com"])


def _doc(text, title="산업 R&D, 해외기관과 협력 강화", published=None, lang="en", key="k"):
    return Document.build(source="s", source_key=key, kind="policy", title=title, text=text, lang=lang,
                          published=published, published_basis="stated" if published else "inferred", fetched_at=NOW)


def test_body_repeated_inside_one_page_is_kept_once_and_buttons_go():
    out = remove_repeats(SEED4_LIKE)
    lines = out.splitlines()
    assert lines[0] == "산업부, 글로벌기술협력종합전략 간담회"
    assert [ln for ln in lines if ln in BODY] == BODY
    assert lines.count("박한신 기자 phs@hankyung.com") == 1 and "공유" not in lines and "-" not in lines


def test_a_body_doubled_without_line_breaks_is_halved():
    once = "The agency issued a rule on chip exports that covers advanced tools and memory."
    assert remove_repeats(once + " " + once) == once
    assert remove_repeats(once) == once


def test_normalize_sets_language_and_recomputes_the_hash():
    d = _doc(SEED4_LIKE, lang="en")
    (n,) = normalize_document(d)
    assert n.lang == "ko" and n.text != d.text and n.content_hash != d.content_hash and n.id == d.id


def test_missing_date_is_inferred_from_the_text_else_the_fetch_day():
    (n,) = normalize_document(_doc("Released on 2024.01.15 by the ministry.", title="Notice"))
    assert (n.published, n.published_basis) == (dt.date(2024, 1, 15), "inferred")
    (n,) = normalize_document(_doc("No date anywhere here.", title="Notice"))
    assert (n.published, n.published_basis) == (NOW.date(), "inferred")
    (n,) = normalize_document(_doc("Text.", title="Notice", published=dt.date(2023, 5, 1)))
    assert (n.published, n.published_basis) == (dt.date(2023, 5, 1), "stated")


BULLETIN = "\n".join([
    "해외 과학기술 동향 2024-01호",
    "□ [미국] 상무부, 첨단 반도체 수출통제 개정 (2024.01.08)", "미국 상무부는 AI 반도체 수출통제를 강화하였다.",
    "□ [일본] 경제산업성, 양자기술 전략 발표 (2024.01.15)", "일본은 양자컴퓨터 개발에 투자한다.", "예산은 1조엔 규모이다.",
    "2023.12.20 EU 핵심원자재법 시행", "EU는 핵심원자재 공급망을 점검한다."])


def test_digest_splits_into_items_with_their_own_dates():
    d = _doc(BULLETIN, title="동향 2024-01호", published=dt.date(2024, 1, 20), key="bulletin-1")
    items = split_digest(d)
    assert [(i.title, i.published) for i in items] == [
        ("[미국] 상무부, 첨단 반도체 수출통제 개정", dt.date(2024, 1, 8)),
        ("[일본] 경제산업성, 양자기술 전략 발표", dt.date(2024, 1, 15)),
        ("EU 핵심원자재법 시행", dt.date(2023, 12, 20))]
    assert items[1].text == "일본은 양자컴퓨터 개발에 투자한다.\n예산은 1조엔 규모이다."
    assert all(i.published_basis == "stated" and i.lang == "ko" for i in items)
    assert len({i.id for i in items}) == 3 and all(i.source_key.startswith("bulletin-1#item-") for i in items)
    # ids do not depend on the order of the items
    swapped = BULLETIN.replace("□ [미국]", "□ [XX]")
    assert {i.id for i in split_digest(_doc(swapped, key="bulletin-1"))} & {i.id for i in items} == {items[1].id, items[2].id}
    # only sources marked as digests are split, and a window keeps the items dated in it
    assert len(normalize_document(d)) == 1
    kept = normalize_document(d, {"digest": True}, ["2024-01-01", "2024-02-01"])
    assert [i.published for i in kept] == [dt.date(2024, 1, 8), dt.date(2024, 1, 15)]


def test_text_with_one_dated_line_is_not_a_digest():
    assert split_digest(_doc("□ 회의 개최 (2024.01.08)\n내용입니다.")) == []
