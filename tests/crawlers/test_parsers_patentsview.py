import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from crawlers.parsers.base import ParseError
from crawlers.parsers.patentsview import build_query_url, parse_patentsview

REC = {
    "patent_id": "11900001", "patent_title": "Three-dimensional NAND memory device",
    "patent_abstract": "A memory device with vertical channels.", "patent_date": "2024-03-05",
    "application": [{"filing_date": "2022-09-14", "application_id": "17/944123"}],
    "assignees": [{"assignee_organization": "Samsung Electronics Co., Ltd.", "assignee_country": "KR"},
                  {"assignee_individual_name_first": "Ann", "assignee_individual_name_last": "Lee", "assignee_country": "us"}],
    "inventors": [{"inventor_name_first": "Minsu", "inventor_name_last": "Kim", "inventor_country": "KR"},
                  {"inventor_name_first": "Jane", "inventor_name_last": "Doe", "inventor_country": None}],
    "cpc_current": [{"cpc_group_id": "H10B43/27"}, {"cpc_group_id": "H01L 21/02"}],
}


def test_a_record_becomes_a_patent_document(ctx_factory):
    ctx = ctx_factory(source="pv", kind="patent", settings={"page_size": 2,
                                                            "document_url": "https://patents.google.com/patent/US{patent_id}"})
    page = parse_patentsview(json.dumps({"error": False, "count": 1, "total_hits": 1, "patents": [REC]}).encode(), ctx)
    assert page.errors == [] and page.next_after is None
    d = page.documents[0]
    assert d.id.startswith("pv:") and d.source_key == "11900001" and d.kind == "patent"
    assert d.published == dt.date(2024, 3, 5) and d.published_basis == "stated"
    assert d.url == "https://patents.google.com/patent/US11900001" and d.jurisdiction == "US"
    p = d.patent
    assert p.application_date == dt.date(2022, 9, 14) and p.application_number == "17/944123"
    assert [(a.name, a.country) for a in p.applicants] == [("Samsung Electronics Co., Ltd.", "KR"), ("Ann Lee", "US")]
    assert [(i.name, i.country) for i in p.inventors] == [("Minsu Kim", "KR"), ("Jane Doe", None)]
    assert p.cpc == ["H10B43/27", "H01L21/02"]


def test_ids_are_deterministic(ctx_factory):
    body = json.dumps({"patents": [REC]}).encode()
    a = parse_patentsview(body, ctx_factory(source="pv", kind="patent")).documents[0]
    b = parse_patentsview(body, ctx_factory(source="pv", kind="patent")).documents[0]
    assert a.id == b.id and a.content_hash == b.content_hash


def test_full_page_gives_a_cursor(ctx_factory):
    recs = [dict(REC, patent_id=str(i)) for i in (5, 7)]
    page = parse_patentsview(json.dumps({"count": 2, "total_hits": 9, "patents": recs}).encode(),
                             ctx_factory(kind="patent", settings={"page_size": 2}))
    assert page.next_after == "7" and page.total_hits == 9


def test_bad_records_are_reported_and_the_rest_kept(ctx_factory):
    recs = [REC, {"patent_title": "no id"}, dict(REC, patent_id="2", patent_title="", patent_abstract=""), "junk",
            dict(REC, patent_id="3", cpc_current=[{"cpc_group_id": "not a class"}])]
    page = parse_patentsview(json.dumps({"patents": recs}).encode(), ctx_factory(kind="patent"))
    assert [d.source_key for d in page.documents] == ["11900001"]
    assert len(page.errors) == 4 and all("http://127.0.0.1/x" in e for e in page.errors)


@pytest.mark.parametrize("body, problem", [
    (b'{"patents": [', "not JSON"), (b"\xff\xfe\x00garbage", "not JSON"), (b"[1, 2]", "JSON object"),
    (b'{"error": true, "reason": "Invalid query"}', "Invalid query"), (b'{"patents": {"a": 1}}', "not a list"),
])
def test_malformed_responses_raise_parse_error_naming_the_url(ctx_factory, body, problem):
    with pytest.raises(ParseError, match=problem) as e:
        parse_patentsview(body, ctx_factory(kind="patent"))
    assert "http://127.0.0.1/x" in str(e.value)


def test_query_url_has_window_cursor_and_classes():
    url = build_query_url("https://search.patentsview.org/api/v1/patent/", dt.date(2024, 1, 1), dt.date(2024, 1, 8),
                          size=500, after="11900001", cpc_prefixes=["H10B", "G06N 10"])
    qs = {k: json.loads(v[0]) for k, v in parse_qs(urlsplit(url).query).items()}
    assert qs["q"]["_and"][:2] == [{"_gte": {"patent_date": "2024-01-01"}}, {"_lt": {"patent_date": "2024-01-08"}}]
    assert {"_begins": {"cpc_current.cpc_group_id": "G06N10"}} in qs["q"]["_and"][2]["_or"]
    assert qs["o"] == {"size": 500, "after": "11900001"} and qs["s"] == [{"patent_id": "asc"}]
    assert "patent_id" in qs["f"] and "inventors.inventor_country" in qs["f"]
