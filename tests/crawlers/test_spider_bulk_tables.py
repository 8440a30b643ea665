"""`bulk` spider: the PatentsView tables fetched from a local site to disk, joined, each patent stored and
archived as its joined record (reparse rebuilds it); a bad row is an error of the source, a missing
required table stops the load, a missing optional one is read without."""
from __future__ import annotations

import datetime as dt

import pytest

from crawlers.crawl import crawl_sources
from crawlers.demo import LocalSite, Reply
from crawlers.registry import Source
from crawlers.reparse import reparse
from ews.kernel.store import Store
from tests.crawlers.patentsview_tables_fixtures import small_tables, tsv, write_zip

pytestmark = pytest.mark.integration
WINDOW = (dt.date(2026, 1, 1), dt.date(2026, 4, 1))


def _routes(tmp_path):
    full = small_tables(tmp_path / "full")
    write_zip(full, "g_cpc_current", tsv("g_cpc_current", [
        ["10000001", 0, "H", "H10", "H10B", "H10B43/27", "inventional"],
        ["10000002", 0, "H", "H01", "H01M", "H01M10/0562", "inventional"],
        ["10000003", 0, "H", "H10", "H10B", "H10B80/00", "inventional"],
        ["10000004", 0, "G", "G06", "G06N", "not a class", "inventional"]]))  # line 5: bad
    routes = {}
    for p in full.iterdir():
        body = p.read_bytes()
        routes[f"/pv/{p.name}"] = lambda req, b=body: Reply(200, b, {"Content-Type": "application/zip"})
        if p.name not in ("g_location_disambiguated.tsv.zip", "g_cpc_current.tsv.zip"):
            routes[f"/pv-partial/{p.name}"] = routes[f"/pv/{p.name}"]
    return routes


def _source(id_, endpoint, **settings):
    return Source(id=id_, kind="patent", country="US", language="en", endpoint=endpoint, spider="bulk",
                  parser="patentsview_tables", schedule="0 3 1 */3 *", private_network=True,
                  settings={"cpc_filter": "none", "document_url": "https://patents.example/US{patent_id}", **settings})


def test_the_tables_are_fetched_joined_stored_archived_and_reparsed(tmp_path):
    home = tmp_path / "home"
    with LocalSite(_routes(tmp_path)) as site:
        sources = [_source("t-pv-bulk", f"{site.url}/pv/"), _source("t-pv-partial", f"{site.url}/pv-partial")]
        first = {h.source: h for h in crawl_sources(sources, *WINDOW, home)}
        second = {h.source: h for h in crawl_sources(sources, *WINDOW, home)}
        hits = dict(site.hits)
    h = first["t-pv-bulk"]
    assert h.items == 4 and h.errors == 1, h.error_messages
    assert any(m.endswith("/pv/g_cpc_current.tsv.zip:5: invalid row: not a CPC/IPC symbol: 'not a class'")
               for m in h.error_messages), h.error_messages
    with Store(home) as store:
        docs = {d.source_key: d for d in store.iter_documents(source="t-pv-bulk")}
        assert set(docs) == {"10000001", "10000002", "10000003", "10000004"}
        three = docs["10000003"]
        assert [p.name for p in three.patent.inventors] == ["Seo-yeon Lee", "John Smith", "Min-jun Park"]
        assert three.patent.application_date == dt.date(2017, 2, 10) and three.url == "https://patents.example/US10000003"
        assert docs["10000004"].patent.cpc == []  # its only CPC row was bad
        meta, body = store.get_raw(three.raw_ref)
        assert meta["url"].endswith("/pv/g_patent.tsv.zip#10000003") and b'"patent_id": "10000003"' in body
        partial = list(store.iter_documents(source="t-pv-partial"))
    # the partial mirror lacks g_cpc_current (required): nothing loaded, an error naming it
    p = first["t-pv-partial"]
    assert not p.ok and p.items == 0 and partial == []
    assert any("g_cpc_current.tsv.zip: HTTP 404: table g_cpc_current not downloaded" in m for m in p.error_messages)
    assert hits["/pv/g_location_disambiguated.tsv.zip"] == 2 and "/pv-partial/g_location_disambiguated.tsv.zip" not in hits
    assert not any((home / "bulk-tmp").iterdir())  # tables and staging removed
    # a load with an error is not marked done, so the next crawl loads again: nothing new
    assert hits["/pv/g_patent.tsv.zip"] == 2 and second["t-pv-bulk"].new_items == 0, second["t-pv-bulk"]
    reports = {r.source: r for r in reparse(home, sources)}
    r = reports["t-pv-bulk"]
    assert r.documents == 4 and r.unchanged == 4 and r.error_count == 0, r.public()


def test_an_optional_table_missing_is_read_without(tmp_path):
    home = tmp_path / "home"
    routes = _routes(tmp_path)
    routes = {k: v for k, v in routes.items() if k != "/pv/g_location_disambiguated.tsv.zip"}
    with LocalSite(routes) as site:
        (h,) = crawl_sources([_source("t-pv-noloc", f"{site.url}/pv")], *WINDOW, home)
    assert h.items == 4 and h.errors == 1, h.error_messages  # the bad CPC row only
    assert any("g_location_disambiguated.tsv.zip: HTTP 404: g_location_disambiguated read without" in m
               for m in h.error_messages), h.error_messages
    with Store(home) as store:
        docs = {d.source_key: d for d in store.iter_documents(source="t-pv-noloc")}
    assert {p.country for d in docs.values() for p in d.patent.applicants} == {None}
