"""Crawler test fixtures: a real HTTP server on 127.0.0.1 serving the demo sources and hostile pages."""
from __future__ import annotations

import datetime as dt

import pytest

from crawlers.parsers.base import PageContext


def make_ctx(url: str = "http://127.0.0.1/x", source: str = "t-src", kind: str = "policy", lang: str | None = "en",
             settings: dict | None = None, content_type: str | None = None, jurisdiction: str | None = "US") -> PageContext:
    return PageContext(source=source, kind=kind, url=url, lang=lang, jurisdiction=jurisdiction,
                       fetched_at=dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
                       content_type=content_type, settings=settings or {})


@pytest.fixture
def ctx_factory():
    return make_ctx


# ------------------------------------------------------------------ one crawl of every new spider type
import os  # noqa: E402

from crawlers.registry import Source  # noqa: E402

SYND_ARTICLE = ("The Commerce Department announced new controls on advanced semiconductor manufacturing equipment "
                "and high-bandwidth memory exports, citing national security concerns about military end uses. "
                "The rule adds twenty-four types of chip-making tools and three software tools to the list of "
                "controlled items and expands the foreign direct product rule to equipment made abroad. Officials "
                "said the measures were coordinated with allies in Japan and the Netherlands over many months.")
REPEATED_PAGE = (
    "<html><head><meta charset='utf-8'><title>x</title></head><body><h1>산업 R&amp;D, 해외기관과 협력 강화</h1>"
    "<div class='view_date'>2024.01.05</div><div class='view_cont'><p>기사 스크랩</p><p>-</p><p>공유</p><p>-</p><p>프린트</p>"
    + "".join(f"<p>정부가 반도체 패키징 등 주력산업의 급소 기술 {i}번을 확보하기 위해 산업 연구개발을 외국기관에 개방한다.</p>" for i in range(4))
    + "<p>박한신 기자</p>"
    + "".join(f"<p>정부가 반도체 패키징 등 주력산업의 급소 기술 {i}번을 확보하기 위해 산업 연구개발을 외국기관에 개방한다.</p>" for i in range(4))
    + "<p>박한신 기자</p></div></body></html>")
BULLETIN = (
    "<html><head><meta charset='utf-8'></head><body><h1>해외 과학기술 동향 2024-01호</h1>"
    "<div class='view_date'>2024.01.20</div><div class='view_cont'>"
    "<p>□ [미국] 상무부, 첨단 반도체 수출통제 개정 (2024.01.08)</p><p>미국 상무부는 AI 반도체 수출통제를 강화하였다.</p>"
    "<p>□ [일본] 경제산업성, 양자기술 전략 발표 (2024.01.15)</p><p>일본은 양자컴퓨터 개발에 투자한다.</p>"
    "<p>□ [EU] 핵심원자재법 시행 (2023.12.20)</p><p>EU는 핵심원자재 공급망을 점검한다.</p>"
    "</div></body></html>")


def _feed(guid: str, link: str, title: str, text: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
            f'<item><title>{title}</title><link>{link}</link><guid>{guid}</guid>'
            f'<pubDate>Tue, 09 Jan 2024 10:00:00 GMT</pubDate><description>{text}</description></item>'
            f'</channel></rss>').encode()


def _api_sources(u: str) -> list[Source]:
    def src(id_, kind, spider, parser, endpoint, country="US", language="en", **settings):
        return Source(id=id_, kind=kind, country=country, language=language, endpoint=endpoint, spider=spider,
                      parser=parser, settings=settings, private_network=True)  # the test site runs on 127.0.0.1

    board = dict(list_item="ul.list li", item_link="a::attr(href)", item_date="span.date::text",
                 detail_title="h1::text", detail_date="div.view_date::text", detail_body="div.view_cont")
    return [
        src("t-fr", "policy", "json_api", "federal_register", f"{u}/fr/api/v1/documents.json", page_size=10,
            agencies=["industry-and-security-bureau"]),
        src("t-openalex", "paper", "json_api", "openalex", f"{u}/openalex/works", country="INT", page_size=5,
            mailto_env="EWS_TEST_MAILTO"),
        src("t-epo", "patent", "xml_api", "epo_ops", f"{u}/ops/3.2/rest-services/published-data/search/biblio",
            country="INT", auth_url=f"{u}/ops/3.2/auth/accesstoken", client_id_env="EWS_TEST_OPS_KEY",
            client_secret_env="EWS_TEST_OPS_SECRET", range_size=100),
        src("t-epo-empty", "patent", "xml_api", "epo_ops", f"{u}/ops/empty", country="INT",
            auth_url=f"{u}/ops/3.2/auth/accesstoken", client_id_env="EWS_TEST_OPS_KEY",
            client_secret_env="EWS_TEST_OPS_SECRET"),
        src("t-kipris", "patent", "xml_api", "kipris", f"{u}/kipris/getAdvancedSearch", country="KR", language="ko",
            api_key_env="EWS_TEST_KIPRIS_KEY", page_size=50),
        src("t-kipris-badkey", "patent", "xml_api", "kipris", f"{u}/kipris/getAdvancedSearch", country="KR",
            language="ko", api_key_env="EWS_TEST_KIPRIS_BADKEY", page_size=50),
        src("t-bulk", "patent", "bulk_zip", "uspto_bulk", f"{u}/bulk/products/ptgrxml", api_key_env="EWS_TEST_ODP_KEY",
            file_pattern=r"ipg\d{6}\.zip"),
        src("t-bulk-corrupt", "patent", "bulk_zip", "uspto_bulk", f"{u}/bulk/products/corrupt",
            file_pattern=r"ipg\d{6}\.zip"),
        src("t-reports", "policy", "html_list", "html_detail", f"{u}/reports/list.html", **board),
        src("t-bulletin", "policy", "html_list", "html_detail", f"{u}/bulletin/list.html", country="KR",
            language="ko", digest=True, **board),
        src("t-synd-a", "policy", "feed", "feed", f"{u}/synd/a.xml"),
        src("t-synd-b", "policy", "feed", "feed", f"{u}/synd/b.xml"),
    ]


def _api_routes(site_ref: list):
    import apisites as a  # noqa: E402  (tests/crawlers is on sys.path through rootdir conftest import mode)
    from pdfgen import make_pdf

    from crawlers.demo import Reply

    epo = a.EpoServer()
    zip_bytes = a.bulk_zip_bytes()
    def html(s):
        return (lambda req: Reply(200, s.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"}))
    pdf = make_pdf([["Export Controls on Quantum Computing: A Policy Report",
                     "Washington, DC. This report reviews export controls on quantum computers and cryogenic systems."],
                    ["Recommendations: allies should coordinate licence policy for dilution refrigerators."]],
                   title="Export Controls on Quantum Computing", created="20240110090000Z")
    routes = {
        "/fr/api/v1/documents.json": lambda req: a.federal_register_route(site_ref[0])(req),
        "/openalex/works": a.openalex_route,
        "/ops/3.2/auth/accesstoken": epo.token,
        "/ops/3.2/rest-services/published-data/search/biblio": epo.search,
        "/ops/empty": a.epo_empty,
        "/kipris/getAdvancedSearch": a.kipris_route,
        "/bulk/products/ptgrxml": lambda req: (
            Reply(200, a.json_body(a.odp_listing(site_ref[0].url, ["ipg240102.zip", "ipg240220.zip"])),
                  {"Content-Type": "application/json"}) if req.headers.get("x-api-key") == a.ODP_KEY
            else Reply(401, b'{"message":"Unauthorized"}', {"Content-Type": "application/json"})),
        "/bulk/files/ipg240102.zip": lambda req: Reply(200, zip_bytes, {"Content-Type": "application/zip"}),
        "/bulk/products/corrupt": lambda req: Reply(200, a.json_body(a.odp_listing(site_ref[0].url, ["ipg240109.zip"])),
                                                    {"Content-Type": "application/json"}),
        "/bulk/files/ipg240109.zip": lambda req: Reply(200, zip_bytes[: len(zip_bytes) // 3],
                                                       {"Content-Type": "application/zip"}),
        "/reports/list.html": html("<html><body><ul class='list'>"
                                   "<li><a href='/reports/r1.pdf'>Export Controls on Quantum Computing</a><span class='date'>2024-01-10</span></li>"
                                   "<li><a href='/reports/r2.pdf'>Broken report</a><span class='date'>2024-01-11</span></li>"
                                   "<li><a href='/reports/r3.html'>산업 R&amp;D 협력</a><span class='date'>2024-01-05</span></li>"
                                   "</ul></body></html>"),
        "/reports/r1.pdf": lambda req: Reply(200, pdf, {"Content-Type": "application/pdf"}),
        "/reports/r2.pdf": lambda req: Reply(200, pdf[: len(pdf) // 2], {"Content-Type": "application/pdf"}),
        "/reports/r3.html": html(REPEATED_PAGE),
        "/bulletin/list.html": html("<html><body><ul class='list'><li><a href='/bulletin/v1.html'>동향 2024-01호</a>"
                                    "<span class='date'>2024.01.20</span></li></ul></body></html>"),
        "/bulletin/v1.html": html(BULLETIN),
        "/synd/a.xml": lambda req: Reply(200, _feed("a-1", "https://a.example/1", "US tightens chip export rules",
                                                    SYND_ARTICLE), {"Content-Type": "application/rss+xml"}),
        "/synd/b.xml": lambda req: Reply(200, _feed("b-77", "https://b.example/news/77", "US tightens chip export rules",
                                                    SYND_ARTICLE + " Reporting by B News."),
                                         {"Content-Type": "application/rss+xml"}),
    }
    return routes, epo


API_ENV = {"EWS_TEST_OPS_KEY": "test-ops-key", "EWS_TEST_OPS_SECRET": "test-ops-secret",
           "EWS_TEST_KIPRIS_KEY": "kipris-secret-value-123", "EWS_TEST_KIPRIS_BADKEY": "wrong-kipris-key-999",
           "EWS_TEST_ODP_KEY": "odp-key-456", "EWS_TEST_MAILTO": "ews@example.invalid"}


@pytest.fixture(scope="session")
def api_crawl(tmp_path_factory):
    """Every new spider type crawled twice over the same window against one local site, then reparsed twice."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from apisites import WINDOW

    from crawlers.crawl import crawl_sources
    from crawlers.demo import LocalSite
    from crawlers.reparse import reparse

    home = tmp_path_factory.mktemp("api-crawl")
    saved = {k: os.environ.get(k) for k in API_ENV}
    os.environ.update(API_ENV)
    site_ref: list = []
    routes, epo = _api_routes(site_ref)
    try:
        with LocalSite(routes) as site:
            site_ref.append(site)
            sources = _api_sources(site.url)
            first = {h.source: h for h in crawl_sources(sources, *WINDOW, home)}
            hits_first = dict(site.hits)
            second = {h.source: h for h in crawl_sources(sources, *WINDOW, home)}
            hits_second = dict(site.hits)
        reparse_1 = {r.source: r for r in reparse(home, sources)}
        reparse_2 = {r.source: r for r in reparse(home, sources)}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {"home": home, "sources": sources, "first": first, "second": second, "hits": [hits_first, hits_second],
            "epo": epo, "reparse": [reparse_1, reparse_2]}
