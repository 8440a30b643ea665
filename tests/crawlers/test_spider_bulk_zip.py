"""bulk_zip spider: ODP listing, a zipped weekly file streamed to disk and read document by document,
kept only in the taxonomy's classes; a corrupt zip is that source's error."""
import datetime as dt

import pytest

from ews.kernel.store import Store

pytestmark = pytest.mark.integration


def test_weekly_file_in_the_window_is_read_and_filtered_by_taxonomy_classes(api_crawl):
    h = api_crawl["first"]["t-bulk"]
    assert (h.items, h.new_items, h.errors) == (500, 500, 0), h.error_messages  # every third of 1500
    hits = api_crawl["hits"][0]
    assert hits["/bulk/files/ipg240102.zip"] == 1 and "/bulk/files/ipg240220.zip" not in hits  # outside the window
    with Store(api_crawl["home"]) as store:
        docs = list(store.iter_documents(source="t-bulk"))
        assert all(d.patent.cpc == ["H10B12/00"] and d.published == dt.date(2024, 1, 2) for d in docs)
        d = docs[0]
        assert d.patent.applicants[0].country == "KR" and d.title.startswith("Memory cell with a stacked capacitor")
        meta, body = store.get_raw(d.raw_ref)  # each kept document archived on its own
        assert meta["url"].endswith(f"ipg240102.zip#ipg240102.xml/{int(d.source_key[2:-2]) - 12000000}")
        assert body.startswith(b"<?xml") and body.count(b"<us-patent-grant") == 1
    assert not list((api_crawl["home"] / "bulk-tmp").glob("*"))  # the zip is deleted once read


def test_corrupt_zip_is_an_error_of_its_source(api_crawl):
    h = api_crawl["first"]["t-bulk-corrupt"]
    assert not h.ok and h.items == 0 and any("unreadable bulk file" in m for m in h.error_messages)


def test_second_run_downloads_nothing(api_crawl):
    assert api_crawl["second"]["t-bulk"].ok and api_crawl["second"]["t-bulk"].items == 0
    assert api_crawl["hits"][1]["/bulk/files/ipg240102.zip"] == 1
