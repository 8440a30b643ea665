"""`ews ingest --patentsview DIR`: PatentsView bulk tables into the store, idempotent, with the bad-input
rules of every command (file:line:problem; nothing stored without --skip-bad; missing and damaged tables named)."""
from __future__ import annotations

from ews.kernel.ids import document_id
from ews.kernel.store import Store
from tests.app.cli import ews
from tests.crawlers.patentsview_tables_fixtures import patent_row, small_tables, tsv, write_zip


def _stored(home):
    with Store(home) as store:
        return {d.source_key: d for d in store.iter_documents()}


def _no_traceback(r):
    assert "Traceback" not in r.stderr, r.stderr


def test_ingest_stores_the_patents_under_the_api_source_and_twice_changes_nothing(tmp_path, ews_home):
    d = small_tables(tmp_path / "pv")
    r = ews("ingest", "--patentsview", str(d), "--cpc-filter", "none")
    _no_traceback(r)
    assert r.returncode == 0 and "ingested 4 documents" in r.stderr and "4 new" in r.stderr, r.stderr
    assert "1 without an application row" in r.stderr, r.stderr
    docs = _stored(ews_home)
    assert set(docs) == {"10000001", "10000002", "10000003", "10000004"}
    three = docs["10000003"]
    assert three.id == document_id("us-patentsview", "10000003") and three.source == "us-patentsview"
    assert three.url == "https://patents.google.com/patent/US10000003"  # the registry entry's document URL
    assert [a.name for a in three.patent.applicants] == ["Samsung Electronics Co., Ltd.", "SK hynix Inc."]
    assert [(p.name, p.country) for p in three.patent.inventors] == [("Seo-yeon Lee", "KR"), ("John Smith", "US"),
                                                                     ("Min-jun Park", "KR")]
    assert three.patent.application_date.isoformat() == "2017-02-10"
    assert three.patent.publication_date.isoformat() == "2018-07-03"
    assert docs["10000004"].patent.application_date is None
    with Store(ews_home) as store:
        before = store.connection.execute("SELECT id, updated_at FROM documents ORDER BY id").fetchall()
    r = ews("ingest", "--patentsview", str(d), "--cpc-filter", "none", "--reload")
    assert r.returncode == 0 and "0 new, 0 updated, 4 unchanged" in r.stderr, r.stderr
    with Store(ews_home) as store:
        assert store.connection.execute("SELECT id, updated_at FROM documents ORDER BY id").fetchall() == before
    assert not list((ews_home / "bulk-tmp").iterdir())  # the staging file is removed


def _load(d, *more):
    return ews("ingest", "--patentsview", str(d), "--cpc-filter", "none", *more)


def test_the_same_tables_again_are_not_read_unless_they_or_their_documents_changed(tmp_path, ews_home):
    """A second load of the very tables (same bytes, code and settings) reads nothing; a document a crawl
    changed since, a table that changed, another filter or --reload read them again."""
    d = small_tables(tmp_path / "pv")
    assert _load(d).returncode == 0
    r = _load(d)
    assert r.returncode == 0 and "nothing to load" in r.stderr and "4 documents, none changed since" in r.stderr, r.stderr
    assert "ingested" not in r.stderr

    with Store(ews_home) as store:  # a crawl updates one patent: the next load restores it from the tables
        doc = next(x for x in store.iter_documents() if x.source_key == "10000002")
        store.upsert_documents([doc.model_copy(update={"title": "changed by a crawl"})])
    r = _load(d)
    assert r.returncode == 0 and "0 new, 1 updated, 3 unchanged" in r.stderr, r.stderr
    assert _stored(ews_home)["10000002"].title != "changed by a crawl"
    assert "nothing to load" in _load(d).stderr

    r = ews("ingest", "--patentsview", str(d), "--cpc-filter", "taxonomy")
    assert "nothing to load" not in r.stderr and "ingested" in r.stderr, r.stderr
    write_zip(d, "g_patent", tsv("g_patent", [patent_row("10000001", "2018-06-19", "Charge trap memory cell"),
                                              patent_row("10000009", "2019-01-08", "Solid electrolyte")]))
    r = _load(d)
    assert r.returncode == 0 and "1 new" in r.stderr, r.stderr
    r = _load(d, "--reload")
    assert "ingested" in r.stderr and "0 new, 0 updated" in r.stderr, r.stderr


def test_the_cpc_filter_keeps_the_monitored_classes(tmp_path, ews_home):
    d = small_tables(tmp_path / "pv")
    write_zip(d, "g_patent", tsv("g_patent", [patent_row("10000001", "2018-06-19", "Charge trap memory cell"),
                                              patent_row("10000002", "2018-06-19", "Battery electrolyte"),
                                              patent_row("10000005", "2018-06-19", "Coffee machine")]))
    write_zip(d, "g_cpc_current", tsv("g_cpc_current", [
        ["10000005", 0, "A", "A47", "A47J", "A47J31/44", "inventional"],
        ["10000001", 0, "H", "H10", "H10B", "H10B43/27", "inventional"],
        ["10000002", 0, "H", "H01", "H01M", "H01M10/0562", "inventional"]]))
    r = ews("ingest", "--patentsview", str(d))  # default: the taxonomy's classes
    assert r.returncode == 0 and "of 3 patents read, 1 outside the CPC filter (taxonomy)" in r.stderr, r.stderr
    assert set(_stored(ews_home)) == {"10000001", "10000002"}
    r = ews("ingest", "--patentsview", str(d), "--cpc-filter", "H10B")
    assert r.returncode == 0 and "2 outside the CPC filter (H10B)" in r.stderr, r.stderr
    r = ews("ingest", "--patentsview", str(d), "--cpc-filter", " , ")
    assert r.returncode == 2 and "--cpc-filter" in r.stderr


def test_a_bad_row_stores_nothing_and_skip_bad_stores_the_rest(tmp_path, ews_home):
    d = small_tables(tmp_path / "pv")
    write_zip(d, "g_patent", tsv("g_patent", [
        patent_row("10000001", "2018-06-19", "Charge trap memory cell"),
        '"10000002"\t"utility"\t"2018-06-19"',
        patent_row("10000003", "2018-07-03", "Multi-die memory package")]))
    write_zip(d, "g_cpc_current", tsv("g_cpc_current", [
        ["10000001", 0, "H", "H10", "H10B", "H10B43/27", "inventional"],
        ["10000003", 0, "H", "H10", "H10B", "H10B 80", "inventional"],
        ["10000003", 1, "H", "H10", "H10B", "H10B?80", "inventional"]]))
    r = ews("ingest", "--patentsview", str(d), "--cpc-filter", "none")
    _no_traceback(r)
    assert r.returncode == 2 and "nothing written" in r.stderr, r.stderr
    assert f"{d / 'g_patent.tsv.zip'}:3: 3 fields for the 8 columns of g_patent" in r.stderr, r.stderr
    assert f"{d / 'g_cpc_current.tsv.zip'}:4: invalid row: not a CPC/IPC symbol: 'H10B?80'" in r.stderr, r.stderr
    assert _stored(ews_home) == {}
    r = ews("ingest", "--patentsview", str(d), "--cpc-filter", "none", "--skip-bad")
    _no_traceback(r)
    assert r.returncode == 0 and "skipped 2 bad rows" in r.stderr and "2 new" in r.stderr, r.stderr
    docs = _stored(ews_home)
    assert set(docs) == {"10000001", "10000003"} and docs["10000003"].patent.cpc == ["H10B80/00"]


def test_missing_and_damaged_tables_are_named_and_nothing_is_stored(tmp_path, ews_home):
    d = small_tables(tmp_path / "pv")
    (d / "g_inventor_disambiguated.tsv.zip").unlink()
    r = ews("ingest", "--patentsview", str(d))
    _no_traceback(r)
    assert r.returncode == 2 and "g_inventor_disambiguated (expected g_inventor_disambiguated.tsv.zip)" in r.stderr
    small_tables(d)
    (d / "g_application.tsv.zip").write_bytes(b"PK\x03\x04 this download was cut")
    r = ews("ingest", "--patentsview", str(d), "--skip-bad")
    _no_traceback(r)
    assert r.returncode == 2 and f"{d / 'g_application.tsv.zip'}: not a readable zip file" in r.stderr, r.stderr
    assert _stored(ews_home) == {}
    r = ews("ingest", "--patentsview", str(tmp_path / "absent"))
    assert r.returncode == 2 and "no such directory" in r.stderr


def test_one_input_is_asked_for_and_the_source_is_checked(tmp_path, ews_home):
    d = small_tables(tmp_path / "pv")
    r = ews("ingest")
    assert r.returncode == 2 and "--input FILE" in r.stderr and "--patentsview DIR" in r.stderr
    r = ews("ingest", "--patentsview", str(d), "--input", str(tmp_path / "x.jsonl"))
    assert r.returncode == 2 and "--input FILE" in r.stderr
    r = ews("ingest", "--patentsview", str(d), "--source", "us-federal-register")
    assert r.returncode == 2 and "is a policy source" in r.stderr
    r = ews("ingest", "--patentsview", str(d), "--source", "Bad Id")
    assert r.returncode == 2 and "a source id is" in r.stderr
    r = ews("ingest", "--patentsview", str(d), "--source", "pv.history", "--cpc-filter", "none")
    assert r.returncode == 0, r.stderr
    docs = _stored(ews_home)
    assert docs["10000001"].id == document_id("pv.history", "10000001") and docs["10000001"].url is None
