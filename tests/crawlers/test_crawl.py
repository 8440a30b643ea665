"""crawl_sources end to end: Scrapy in a subprocess against a real HTTP server on 127.0.0.1.

One server holds the three demo sources plus hostile and malformed ones; the crawl runs three times
(first, same window again, a wider window) and the tests read the results.
"""
import datetime as dt
import json

import pytest

from crawlers.crawl import crawl_sources
from crawlers.demo import DEMO_WINDOW, DemoSite, Reply, data
from crawlers.registry import Source, load_registry
from ews.kernel.store import Store

pytestmark = pytest.mark.integration

BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
        + b']><rss version="2.0"><channel><item><title>&lol9;</title><guid>x</guid></item></channel></rss>')
GOOD_PATENT = {"patent_id": "99000001", "patent_title": "Quantum processor", "patent_abstract": "Qubits.",
               "patent_date": "2024-02-06", "cpc_current": [{"cpc_group_id": "G06N10/40"}]}
MISLABELLED_LIST = ('<html><head><meta charset="utf-8"></head><body><table class="board_list"><tbody>'
                    '<tr><td class="subject"><a href="/mis/view.do?seq=1">수소 전략</a></td><td class="date">2024.02.01</td></tr>'
                    '<tr><td class="subject"><a href="/mis/view.do?seq=2">고장난 글</a></td><td class="date">2024.02.02</td></tr>'
                    '</tbody></table></body></html>')
MISLABELLED_DETAIL = ('<html><head><meta charset="utf-8"></head><body><h3 class="view_title">수전해 수소생산 기술개발 착수</h3>'
                      '<ul class="view_info"><li class="date">2024.02.01</li></ul><div class="view_cont"><p>그린수소 생산을 위한 '
                      '수전해 기술개발에 착수한다.</p></div></body></html>')


def _html(text, content_type="text/html; charset=utf-8", enc="cp949"):
    return lambda req: Reply(200, text.encode(enc), {"Content-Type": content_type})


HOSTILE_ROUTES = {
    "/bad/api/": lambda req: Reply(200, b'{"patents": [{"patent_id": "1"', {"Content-Type": "application/json"}),
    "/partial/api/": lambda req: Reply(200, json.dumps({"count": 3, "total_hits": 3, "patents": [
        GOOD_PATENT, {"patent_title": "no id"}, dict(GOOD_PATENT, patent_id="2", patent_title="", patent_abstract="")]}).encode(),
        {"Content-Type": "application/json"}),
    "/bad/bomb.xml": lambda req: Reply(200, BOMB, {"Content-Type": "application/rss+xml"}),
    "/bad/huge.xml": lambda req: Reply(200, b"<rss>" + b" " * 300_000 + b"</rss>", {"Content-Type": "application/rss+xml"}),
    "/mis/list.do": _html(MISLABELLED_LIST),
    "/mis/view.do": lambda req: (_html(MISLABELLED_DETAIL)(req) if req.arg("seq") == "1"
                                 else Reply(500, b"server error", {"Content-Type": "text/plain"})),
}


def _src(id_, spider, parser, endpoint, **settings):
    return Source(id=id_, kind="patent" if parser == "patentsview" else "policy", country="KR", language="ko",
                  endpoint=endpoint, spider=spider, parser=parser, settings=settings, private_network=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    home = tmp_path_factory.mktemp("crawl-home")
    with DemoSite(HOSTILE_ROUTES) as site:
        u = site.url
        demo = load_registry(demo=True, base_url=u)
        board = load_registry(demo=True, base_url=u)[1].settings
        hostile = [
            _src("bad-json", "json_api", "patentsview", f"{u}/bad/api/"),
            _src("partial-json", "json_api", "patentsview", f"{u}/partial/api/", page_size=100),
            _src("xml-bomb", "feed", "feed", f"{u}/bad/bomb.xml"),
            _src("oversize", "feed", "feed", f"{u}/bad/huge.xml", scrapy={"DOWNLOAD_MAXSIZE": 100_000}),
            _src("mislabelled", "html_list", "html_detail", f"{u}/mis/list.do", **{**board, "next_page": None}),
            _src("missing-key", "json_api", "patentsview", f"{u}/patentsview/api/v1/patent/",
                 api_key_env="EWS_TEST_KEY_THAT_IS_NOT_SET"),
            _src("no-listing", "bulk_zip", "uspto_bulk", f"{u}/bulk/"),
            _src("gone", "feed", "feed", f"{u}/nowhere.xml"),
        ]
        events = []
        first = {h.source: h for h in crawl_sources(demo + hostile, *DEMO_WINDOW, home,
                                                     progress=lambda *ev: events.append(ev))}
        hits_after_first = dict(site.hits)
        second = {h.source: h for h in crawl_sources(demo, *DEMO_WINDOW, home)}
        hits_after_second = dict(site.hits)
        wider = {h.source: h for h in crawl_sources(demo, dt.date(2018, 1, 1), DEMO_WINDOW[1], home)}
        hits_after_wider = dict(site.hits)
    return {"home": home, "first": first, "second": second, "wider": wider, "events": events,
            "hits": [hits_after_first, hits_after_second, hits_after_wider]}


def test_progress_per_source_as_the_crawl_goes(runs):
    by_source: dict[str, list] = {}
    for source, items, pages, done in runs["events"]:
        by_source.setdefault(source, []).append((items, pages, done))
    for source, h in runs["first"].items():
        if h.error_messages and any("could not start" in m for m in h.error_messages):
            continue
        evs = by_source.get(source)
        assert evs, source
        assert [e[2] for e in evs] == [False] * (len(evs) - 1) + [True], (source, evs)  # done once, at the end
        assert evs[-1][0] == h.items, (source, evs[-1], h.items)  # the last word is the health record's count
        assert [e[0] for e in evs] == sorted(e[0] for e in evs) and [e[1] for e in evs] == sorted(e[1] for e in evs)
    assert by_source["demo-patentsview"][-1][0] == 1900 and by_source["demo-patentsview"][-1][1] > 1
    assert set(by_source) <= set(runs["first"])


def test_a_crawl_killed_at_its_timeout_says_so_for_every_source(tmp_path):
    sources = load_registry(demo=True)
    events = []
    health = crawl_sources(sources, *DEMO_WINDOW, tmp_path, timeout=0.5, progress=lambda *ev: events.append(ev))
    assert [h.source for h in health] == [s.id for s in sources]
    assert all(not h.ok and h.error_messages == ["crawler process killed after 0 s"] for h in health), health
    assert not any(done for *_, done in events)


def test_first_run_fetches_every_demo_source_completely(runs):
    h = runs["first"]
    n_patents = sum(DEMO_WINDOW[0] <= dt.date.fromisoformat(p["patent_date"]) < DEMO_WINDOW[1] for p in data.patents())
    assert (h["demo-patentsview"].items, h["demo-patentsview"].new_items) == (n_patents, n_patents)
    assert (h["demo-kr-ministry"].items, h["demo-kr-ministry"].new_items) == (36, 36)
    assert (h["demo-thinktank-rss"].items, h["demo-thinktank-rss"].new_items) == (30, 30)
    for s in ("demo-patentsview", "demo-kr-ministry", "demo-thinktank-rss"):
        assert h[s].ok and h[s].errors == 0, h[s].error_messages
    # paging: 250 per page
    assert runs["hits"][0]["/patentsview/api/v1/patent/"] == -(-n_patents // 250) + (n_patents % 250 == 0)
    assert runs["hits"][0]["/kr/news/list.do"] == 4 and runs["hits"][0]["/kr/news/view.do"] == 36


def test_documents_are_stored_with_archived_raw_responses(runs):
    with Store(runs["home"]) as store:
        ko = {d.source_key: d for d in store.iter_documents(source="demo-kr-ministry")}
        newest = data.policy_releases()[0]
        d = ko[str(newest.seq)]
        assert d.title == newest.title and d.published == newest.date and d.published_basis == "stated"
        assert d.lang == "ko" and d.jurisdiction == "KR" and newest.paragraphs[0] in d.text
        meta, body = store.get_raw(d.raw_ref)
        assert body == data.policy_detail_page(newest.seq).encode("cp949")  # the bytes as served, CP949
        assert "/kr/news/view.do" in meta["url"] and meta["headers"]["Content-Type"] == "text/html"
        patents = list(store.iter_documents(source="demo-patentsview"))
        assert all(p.raw_ref and p.patent.applicants and p.patent.cpc for p in patents)
        assert sum(1 for p in patents if p.patent.inventors[0].name == "Jaewon Kim") >= 10


def test_hostile_and_malformed_sources_are_errors_of_their_own(runs):
    h = runs["first"]
    expect = {
        "bad-json": "not JSON", "xml-bomb": "entities", "oversize": "/bad/huge.xml",
        "missing-key": "EWS_TEST_KEY_THAT_IS_NOT_SET", "no-listing": "HTTP 404", "gone": "HTTP 404",
    }
    for source, needle in expect.items():
        assert not h[source].ok and h[source].errors >= 1, source
        assert any(needle in m for m in h[source].error_messages), (source, h[source].error_messages)
        assert h[source].items == 0
    assert runs["hits"][0].get("/bulk/") == 1  # a missing listing is asked once (404 is not retried)


def test_partial_pages_keep_good_records(runs):
    h = runs["first"]["partial-json"]
    assert h.items == 1 and h.errors == 2 and not h.ok


def test_wrongly_labelled_korean_page_is_read_and_500_is_recorded(runs):
    h = runs["first"]["mislabelled"]
    assert h.items == 1 and h.errors == 1 and any("HTTP 500" in m for m in h.error_messages)
    with Store(runs["home"]) as store:
        (d,) = store.iter_documents(source="mislabelled")
        assert d.title == "수전해 수소생산 기술개발 착수" and "그린수소" in d.text


def test_second_run_of_the_same_window_fetches_and_writes_nothing(runs):
    for h in runs["second"].values():
        assert h.ok and h.new_items == 0 and h.items == 0, h
    before, after = runs["hits"][0], runs["hits"][1]
    for path in ("/patentsview/api/v1/patent/", "/kr/news/list.do", "/kr/news/view.do", "/feeds/thinktank.xml"):
        assert after[path] == before[path], path


def test_wider_window_refetches_lists_but_not_known_pages(runs):
    h = runs["wider"]
    assert all(x.ok and x.new_items == 0 for x in h.values()), h
    assert h["demo-patentsview"].items == runs["first"]["demo-patentsview"].items  # re-read, unchanged
    second, wider = runs["hits"][1], runs["hits"][2]
    assert wider["/kr/news/list.do"] == second["/kr/news/list.do"] + 4
    assert wider["/kr/news/view.do"] == second["/kr/news/view.do"]  # detail pages already stored: not fetched
    with Store(runs["home"]) as store:
        assert sum(1 for _ in store.iter_documents(source="demo-kr-ministry")) == 36


def test_crawl_of_nothing_is_nothing(tmp_path):
    assert crawl_sources([], *DEMO_WINDOW, tmp_path) == []
