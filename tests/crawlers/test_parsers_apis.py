"""Federal Register, OpenAlex, KIPRIS Plus and EPO OPS answers, in their real shapes, and broken ones."""
import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import apisites as a
import pytest

from crawlers.parsers import epo_ops, federal_register, kipris, openalex
from crawlers.parsers.base import HostileInput, ParseError

BOMB = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b"<response><body>&b;</body></response>")
XXE = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><response>&x;</response>'


def test_federal_register_query_and_page(ctx_factory):
    url = federal_register.build_url("https://www.federalregister.gov/api/v1/documents.json", *a.WINDOW,
                                     {"agencies": ["industry-and-security-bureau"], "page_size": 10})
    q = parse_qs(urlsplit(url).query)
    assert q["conditions[publication_date][gte]"] == ["2024-01-01"]
    assert q["conditions[publication_date][lte]"] == ["2024-01-31"]  # the window's end is exclusive
    assert q["conditions[agencies][]"] == ["industry-and-security-bureau"] and q["per_page"] == ["10"]
    body = {"count": 2, "total_pages": 1, "next_page_url": "https://www.federalregister.gov/api/v1/documents.json?page=2",
            "results": a.fr_records(2) + [{"title": "no number"}]}
    ctx = ctx_factory(url=url)
    page = federal_register.parse_federal_register(json.dumps(body).encode(), ctx)
    d = page.documents[0]
    assert (d.source_key, d.published, d.published_basis, d.lang) == ("2024-00100", dt.date(2024, 1, 1), "stated", "en")
    assert d.url.startswith("https://www.federalregister.gov/documents/") and "semiconductor" in d.text
    assert len(page.errors) == 1 and "document_number" in page.errors[0]
    assert page.next_url.endswith("page=2")


def test_federal_register_next_page_elsewhere_is_not_followed(ctx_factory):
    body = {"results": a.fr_records(1), "next_page_url": "http://evil.example/steal"}
    page = federal_register.parse_federal_register(json.dumps(body).encode(), ctx_factory(url="http://127.0.0.1:1/fr"))
    assert page.next_url is None and len(page.documents) == 1 and "leaves the API's site" in page.errors[0]


def test_openalex_abstract_countries_and_cursor(ctx_factory):
    body = {"meta": {"count": 12, "next_cursor": "c-5"}, "results": a.openalex_works(2)}
    page = openalex.parse_openalex(json.dumps(body).encode(), ctx_factory(kind="paper", jurisdiction="INT"))
    d = page.documents[0]
    assert d.text.startswith("We demonstrate a superconducting qubit array") and d.text.endswith("number 0")
    assert d.jurisdiction == "KR"  # two of three authors at Korean institutions
    assert (d.source_key, d.url, d.published) == ("W400000000", "https://doi.org/10.1234/q.0", dt.date(2024, 1, 1))
    assert page.extra["next_cursor"] == "c-5"
    last = openalex.parse_openalex(json.dumps({"meta": {"next_cursor": None}, "results": []}).encode(), ctx_factory())
    assert "next_cursor" not in last.extra and last.documents == []
    url = openalex.build_url("https://api.openalex.org/works", *a.WINDOW, {"page_size": 200}, mailto="x@y.z")
    q = parse_qs(urlsplit(url).query)
    assert q["filter"] == ["from_publication_date:2024-01-01,to_publication_date:2024-01-31"]
    assert q["cursor"] == ["*"] and q["mailto"] == ["x@y.z"] and q["per-page"] == ["200"]


def test_openalex_hostile_inverted_index_is_bounded():
    assert openalex.abstract_from_inverted_index({"a": [10**9, 1], "b": [0], "c": "x"}) == "b a"


def test_kipris_page_and_paging(ctx_factory):
    ctx = ctx_factory(kind="patent", lang="ko", jurisdiction="KR")
    page = kipris.parse_kipris(a.kipris_xml(1, 50), ctx)
    assert len(page.documents) == 50 and page.extra["next_page"] == 2 and page.total == a.KIPRIS_TOTAL
    d = page.documents[0]
    assert d.lang == "ko" and d.jurisdiction == "KR" and "고체 전해질" in d.title
    assert [p.name for p in d.patent.applicants] == ["삼성에스디아이 주식회사", "현대자동차주식회사"]
    assert d.patent.ipc == ["H01M10/0562", "H01M10/052"] and d.patent.publication_date == dt.date(2024, 1, 1)
    assert "next_page" not in kipris.parse_kipris(a.kipris_xml(3, 50), ctx).extra
    url = kipris.build_url("http://x/getAdvancedSearch", *a.WINDOW, {"page_size": 500}, 2, "KEY")
    assert parse_qs(urlsplit(url).query) == {"openDate": ["20240101~20240131"], "pageNo": ["2"],
                                              "numOfRows": ["500"], "ServiceKey": ["KEY"]}


def test_kipris_error_codes_and_hostile_xml(ctx_factory):
    err = b"<response><header><resultCode>30</resultCode><resultMsg>SERVICE KEY IS NOT REGISTERED ERROR.</resultMsg></header></response>"
    with pytest.raises(ParseError, match="error 30: SERVICE KEY"):
        kipris.parse_kipris(err, ctx_factory())
    with pytest.raises(HostileInput):
        kipris.parse_kipris(BOMB, ctx_factory())
    with pytest.raises(HostileInput):
        kipris.parse_kipris(XXE, ctx_factory())
    with pytest.raises(ParseError, match="malformed XML"):
        kipris.parse_kipris(b"<response><body><items><item>", ctx_factory())


def test_epo_token_search_range_and_faults(ctx_factory):
    headers, body = epo_ops.token_request("k", "s")
    assert headers["Authorization"] == "Basic azpz" and body == b"grant_type=client_credentials"
    assert epo_ops.parse_token(b'{"access_token": "abc", "expires_in": "1199"}', "t") == ("abc", 1199)
    with pytest.raises(ParseError, match="no access_token"):
        epo_ops.parse_token(b'{"error": "invalid_client"}', "t")
    page = epo_ops.parse_search(a.epo_search_xml(1, 100), ctx_factory(kind="patent"))
    assert len(page.documents) == 100 and page.total == a.EPO_TOTAL and page.extra["next_first"] == 101
    d = page.documents[0]
    assert d.patent.applicants[0].country == "KR" and d.patent.cpc == ["H01M10/0525"]
    assert "next_first" not in epo_ops.parse_search(a.epo_search_xml(201, 300), ctx_factory(kind="patent")).extra
    big = epo_ops.parse_search(a.epo_search_xml(1, 5, total=5000), ctx_factory(kind="patent"))
    assert big.extra["truncated"] == 5000
    url = epo_ops.build_search_url("https://ops.epo.org/x", *a.WINDOW, {}, 101)
    q = parse_qs(urlsplit(url).query)
    assert q["Range"] == ["101-200"] and q["q"] == ['pd within "20240101,20240131"']
    fault = a.FAULT.format(code="SERVER.EntityNotFound", msg="No results found").encode()
    assert epo_ops.fault(fault) == "SERVER.EntityNotFound No results found"
    with pytest.raises(ParseError, match="OPS fault"):
        epo_ops.parse_search(fault, ctx_factory())
    with pytest.raises(HostileInput):
        epo_ops.parse_search(BOMB, ctx_factory())
