"""json_api spider, Federal Register and OpenAlex modes, against their formats served on 127.0.0.1."""
import datetime as dt

import pytest

from ews.kernel.store import Store

pytestmark = pytest.mark.integration


def test_federal_register_pages_by_next_page_url(api_crawl):
    h = api_crawl["first"]["t-fr"]
    assert (h.items, h.new_items, h.errors) == (25, 25, 0), h.error_messages
    assert api_crawl["hits"][0]["/fr/api/v1/documents.json"] == 3  # 25 records, 10 per page
    with Store(api_crawl["home"]) as store:
        docs = {d.source_key: d for d in store.iter_documents(source="t-fr")}
    d = docs["2024-00100"]
    assert d.kind == "policy" and d.published == dt.date(2024, 1, 1) and d.published_basis == "stated"
    assert d.lang == "en" and d.jurisdiction == "US" and d.raw_ref and "Entity List" in d.title


def test_openalex_pages_by_cursor(api_crawl):
    h = api_crawl["first"]["t-openalex"]
    assert (h.items, h.new_items, h.errors) == (12, 12, 0), h.error_messages
    assert api_crawl["hits"][0]["/openalex/works"] == 3  # 12 works, 5 per page, cursor * → c-5 → c-10
    with Store(api_crawl["home"]) as store:
        docs = list(store.iter_documents(source="t-openalex"))
    assert all(d.kind == "paper" and d.jurisdiction == "KR" and d.text.startswith("We demonstrate") for d in docs)


def test_second_run_fetches_and_writes_nothing(api_crawl):
    for s in ("t-fr", "t-openalex"):
        h = api_crawl["second"][s]
        assert h.ok and h.items == 0 and h.new_items == 0
    for path in ("/fr/api/v1/documents.json", "/openalex/works"):
        assert api_crawl["hits"][1][path] == api_crawl["hits"][0][path]
