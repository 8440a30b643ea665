"""PatentsView bulk tables → Documents: the join on unsorted tables, bad rows named by file and line,
missing and damaged tables, and memory bounded by the batch whatever the number of patents."""
from __future__ import annotations

import datetime as dt
import tracemalloc
import zipfile

import pytest

from crawlers.parsers.base import PageContext
from crawlers.parsers.patentsview import patent_to_document
from crawlers.parsers.patentsview_tables import PatentsViewTables, find_tables
from ews.kernel.names import normalise_applicant
from ews.kernel.records import InputError
from ews.kernel.schema import Document, Party, PatentInfo
from tests.crawlers.patentsview_tables_fixtures import (
    COLUMNS,
    generated_tables,
    patent_row,
    small_tables,
    tsv,
    write_zip,
)

AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
SOURCE = "us-patentsview"
URL = "https://patents.example/US{patent_id}"


def load(directory, tmp_path, batch=1000, keep=None):
    bad: list = []
    with PatentsViewTables(directory, tmp_path / "work", source=SOURCE, fetched_at=AT,
                           settings={"document_url": URL}, keep=keep, batch=batch) as t:
        t.stage(bad)
        docs = [d for b in t.batches(bad) for d in b]
        stats = t.stats
    return docs, bad, stats


def expected(pid, title, text, granted, filed, app_no, applicants, inventors, cpc) -> Document:
    granted = dt.date.fromisoformat(granted)
    return Document.build(
        source=SOURCE, source_key=pid, kind="patent", url=f"https://patents.example/US{pid}", title=title, text=text,
        lang="en", published=granted, published_basis="stated", fetched_at=AT, jurisdiction="US",
        patent=PatentInfo(application_number=app_no, application_date=dt.date.fromisoformat(filed) if filed else None,
                          publication_number=f"US{pid}", publication_date=granted, grant_date=granted,
                          applicants=[Party(name=n, country=c) for n, c in applicants],
                          inventors=[Party(name=n, country=c) for n, c in inventors], cpc=cpc))


def test_the_tables_join_into_the_expected_documents_in_g_patent_order(tmp_path):
    docs, bad, stats = load(small_tables(tmp_path / "pv"), tmp_path)
    assert bad == []
    assert docs == [
        expected("10000002", 'Solid-state "lithium" battery electrolyte', "A sulfide solid electrolyte for lithium cells.",
                 "2018-06-19", "2017-01-05", "15/900002", [("Toyota Jidosha Kabushiki Kaisha", "JP")],
                 [("Taro Yamada", "JP")], ["H01M10/0562"]),
        expected("10000001", "Charge trap memory cell", "A nonvolatile memory cell with a charge trap layer.",
                 "2018-06-19", "2016-11-30", "15/900001", [("SAMSUNG ELECTRONICS CO LTD", "KR")],
                 [("Jae-won Kim", "KR")], ["H10B43/27"]),
        # no application row: no filing date, counted at its grant
        expected("10000004", "Quantum error correction circuit", "", "2019-01-01", None, None,
                 [("Ada Lovelace", "US")], [("Ada Lovelace", "US")], ["G06N10/70"]),
        # two assignees and three inventors, in their sequence order although the rows are not
        expected("10000003", "Multi-die memory package", "A package stacks memory dies\non an interposer.",
                 "2018-07-03", "2017-02-10", "15/900003",
                 [("Samsung Electronics Co., Ltd.", "KR"), ("SK hynix Inc.", "KR")],
                 [("Seo-yeon Lee", "KR"), ("John Smith", "US"), ("Min-jun Park", "KR")], ["H10B80/00", "H01L25/0657"]),
    ]
    assert stats.patents == 4 and stats.documents == 4 and stats.without_application == 1
    assert stats.staged["g_inventor_disambiguated"] == 6 and stats.notes == []
    # names are kept as spelled; the kernel's normaliser merges the two spellings of one applicant
    assert {normalise_applicant(d.patent.applicants[0].name) for d in docs if d.source_key in ("10000001", "10000003")} \
        == {"SAMSUNG ELECTRONICS"}


def test_a_patent_from_the_tables_is_the_document_the_api_crawl_makes(tmp_path):
    """Same source id, same function: the scheduled PatentsView crawl finds the bulk-loaded patent unchanged."""
    docs, _, _ = load(small_tables(tmp_path / "pv"), tmp_path)
    api_record = {"patent_id": "10000003", "patent_title": "Multi-die memory package",
                  "patent_abstract": "A package stacks memory dies\non an interposer.", "patent_date": "2018-07-03",
                  "application": [{"application_id": "15/900003", "filing_date": "2017-02-10"}],
                  "assignees": [{"assignee_organization": "Samsung Electronics Co., Ltd.", "assignee_country": "KR"},
                                {"assignee_organization": "SK hynix Inc.", "assignee_country": "KR"}],
                  "inventors": [{"inventor_name_first": "Seo-yeon", "inventor_name_last": "Lee", "inventor_country": "KR"},
                                {"inventor_name_first": "John", "inventor_name_last": "Smith", "inventor_country": "US"},
                                {"inventor_name_first": "Min-jun", "inventor_name_last": "Park", "inventor_country": "KR"}],
                  "cpc_current": [{"cpc_group_id": "H10B80/00"}, {"cpc_group_id": "H01L25/0657"}]}
    ctx = PageContext(source=SOURCE, kind="patent", url="https://api.example/", fetched_at=AT, settings={"document_url": URL})
    assert patent_to_document(api_record, ctx) == next(d for d in docs if d.source_key == "10000003")


def test_older_release_abstract_in_g_patent_and_countries_on_the_party_rows(tmp_path):
    d = tmp_path / "old"
    d.mkdir()
    cols = COLUMNS["g_patent"] + ["patent_abstract"]
    write_zip(d, "g_patent", "\t".join(cols) + "\n" + "\t".join(
        ['"7000001"', '"utility"', '"2006-02-07"', '"Fuel cell stack"', '"B2"', "9", "0", '"ipg060207.xml"',
         '"A stack of fuel cells."']) + "\n")
    write_zip(d, "g_application", tsv("g_application", [["10/000001", "7000001", "10", "2003-04-01", "10", 0]]))
    write_zip(d, "g_cpc_current", tsv("g_cpc_current", [["7000001", 0, "H", "H01", "H01M", "H01M8/24", "inventional"]]))
    a_cols = COLUMNS["g_assignee_disambiguated"] + ["assignee_country"]
    write_zip(d, "g_assignee_disambiguated", "\t".join(a_cols) + "\n" + "\t".join(
        ['"7000001"', "0", '"a"', "", "", '"Honda Motor Co., Ltd."', '"3"', "", '"jp"']) + "\n")
    write_zip(d, "g_inventor_disambiguated", tsv("g_inventor_disambiguated", [["7000001", 0, "i", "Ken", "Sato", "M", None]]))
    docs, bad, stats = load(d, tmp_path)
    assert bad == []
    (doc,) = docs
    assert doc.text == "A stack of fuel cells." and doc.patent.applicants == [Party(name="Honda Motor Co., Ltd.", country="JP")]
    assert doc.patent.inventors == [Party(name="Ken Sato")]
    assert any("g_patent_abstract" in n for n in stats.notes) and any("g_location_disambiguated" in n for n in stats.notes)


def test_bad_rows_are_named_by_file_and_line_and_the_rest_is_kept(tmp_path):
    d = small_tables(tmp_path / "pv")
    pat = d / "g_patent.tsv.zip"
    write_zip(d, "g_patent", tsv("g_patent", [
        patent_row("10000001", "2018-06-19", "Charge trap memory cell"),              # line 2
        '"10000009"\t"utility"\t"2018-06-19"\t"Too few fields"',                      # line 3
        patent_row("10000005", "2018-13-40", "Impossible grant date"),                # line 4
        patent_row("10000001", "2018-06-19", "Charge trap memory cell again"),        # line 5
        patent_row("10000006", "2018-06-19", ""),                                     # line 6: no title, no abstract
        patent_row("10000002", "2018-06-19", "Battery electrolyte"),                  # line 7
    ]))
    apps = d / "g_application.tsv.zip"
    write_zip(d, "g_application", tsv("g_application", [
        ["15/900001", "10000001", "15", "2016-11-30", "15", 0],
        ["15/900002", "10000002", "15", "30.11.2016", "15", 0],                       # line 3: not ISO
        ["15/999999", "10000001", "15", "2016-12-01", "15", 0],                       # line 4: second row
    ]))
    cpc = d / "g_cpc_current.tsv.zip"
    write_zip(d, "g_cpc_current", tsv("g_cpc_current", [
        ["10000001", 0, "H", "H10", "H10B", "H10B43/27", "inventional"],
        ["10000002", "first", "H", "H01", "H01M", "H01M10/0562", "inventional"],      # line 3
        ["10000002", 1, "H", "H01", "H01M", "not a class", "inventional"],            # line 4
    ]))
    inv = d / "g_inventor_disambiguated.tsv.zip"
    write_zip(d, "g_inventor_disambiguated", tsv("g_inventor_disambiguated", [
        ["10000001", 0, "i-1", "Jae-won", "Kim", "M", "loc-kr"],
        '"10000002"\t0\t"i-2"\tTaro\tYa"mada\t"M"\t"loc-jp"',                            # line 3: stray quote, kept as text
        '"10000002"\t1\t"i-9"\t"Open\tQuote\tM\tloc-jp',                               # line 4: quote left open
        ["10000002", 2, "i-3", "Hanako", "Suzuki", "F", "loc-jp"],                     # line 5
    ]))
    loc = d / "g_location_disambiguated.tsv.zip"
    write_zip(d, "g_location_disambiguated", tsv("g_location_disambiguated", [
        ["loc-kr", "Suwon", None, "KR", 37.26, 127.02, None, None, None],
        ["loc-jp", "Toyota", None, "Japan", 35.08, 137.15, None, None, None],          # line 3
    ]).encode() + b'"loc-x"\t"Caf\xe9"\t\t"FR"\t1\t2\t\t\t\n')                         # line 4: latin-1 byte
    docs, bad, stats = load(d, tmp_path)
    got = {(b.path, b.line): b.problem for b in bad}
    for path, line, problem in [
        (apps, 3, "filing_date '30.11.2016' is not a date"), (apps, 4, "duplicate application row for patent_id '10000001'"),
        (cpc, 3, "cpc_sequence 'first' is not a whole number"), (cpc, 4, "not a CPC/IPC symbol"),
        (inv, 4, "fields for the 7 columns of g_inventor_disambiguated (lines 4-5"),
        (loc, 3, "disambig_country 'Japan' is not an ISO alpha-2"), (loc, 4, "not UTF-8"),
        (pat, 3, "4 fields for the 8 columns of g_patent"), (pat, 4, "patent_date '2018-13-40' is not a date"),
        (pat, 5, "duplicate patent_id '10000001': already on line 2"), (pat, 6, "a document needs a title or a text"),
    ]:
        assert problem in got.get((str(path), line), ""), (path.name, line, problem, got)
    assert len(bad) == 11, bad
    by_key = {doc.source_key: doc for doc in docs}
    assert sorted(by_key) == ["10000001", "10000002"]
    assert by_key["10000001"].patent.application_number == "15/900001"  # the first application row counts
    # the stray quote inside a field is text; the open-quote row swallowed line 5: both named, none invented
    assert [p.name for p in by_key["10000002"].patent.inventors] == ['Taro Ya"mada']
    assert by_key["10000002"].patent.inventors[0].country is None  # its location row was bad
    assert by_key["10000002"].patent.cpc == [] and by_key["10000002"].patent.application_date is None


def test_a_missing_table_is_named(tmp_path):
    d = small_tables(tmp_path / "pv")
    (d / "g_application.tsv.zip").unlink()
    (d / "g_cpc_current.tsv.zip").unlink()
    with pytest.raises(InputError, match=r"g_application \(expected g_application.tsv.zip\), g_cpc_current"):
        find_tables(d)
    with pytest.raises(InputError, match="no such directory"):
        find_tables(tmp_path / "nowhere")


def test_a_header_without_a_needed_column_is_named(tmp_path):
    d = small_tables(tmp_path / "pv")
    write_zip(d, "g_application", "application_id\tpatent_id\tdate\n\"1\"\t\"10000001\"\t\"2016-11-30\"\n")
    with pytest.raises(InputError, match=r"g_application.tsv.zip:1: header of g_application lacks column\(s\) filing_date"):
        load(d, tmp_path)
    assert list((tmp_path / "work").iterdir()) == []  # the staging file is gone


def test_a_file_that_is_not_a_zip_is_reported(tmp_path):
    d = small_tables(tmp_path / "pv")
    data = (d / "g_cpc_current.tsv.zip").read_bytes()
    (d / "g_cpc_current.tsv.zip").write_bytes(data[: len(data) // 2])  # truncated download: no central directory
    with pytest.raises(InputError, match=r"g_cpc_current.tsv.zip: not a readable zip file .*damaged"):
        load(d, tmp_path)
    with zipfile.ZipFile(d / "g_cpc_current.tsv.zip", "w") as zf:
        zf.writestr("README.txt", "x")
        zf.writestr("g_cpc_current.tsv", "x")
    with pytest.raises(InputError, match="expected one .tsv table in the zip, found README.txt, g_cpc_current.tsv"):
        load(d, tmp_path)


def test_a_zip_damaged_in_the_middle_loses_the_rest_and_says_so(tmp_path):
    d = generated_tables(tmp_path / "pv", 3000)
    path = d / "g_inventor_disambiguated.tsv.zip"
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.infolist()[0]
    start = info.header_offset + 30 + len(info.filename)
    middle = start + info.compress_size // 2
    data[middle:middle + 256] = b"\xff" * 256  # corrupt the deflate stream; the central directory stays intact
    path.write_bytes(bytes(data))
    docs, bad, _ = load(d, tmp_path)
    damaged = [b for b in bad if b.path == str(path)]
    # garbage decoded before the stream breaks is bad rows; then the damage, once, last, naming the loss
    assert [b for b in damaged if b.problem.startswith("file damaged after line")] == damaged[-1:], damaged
    assert "every row after it is lost" in damaged[-1].problem
    assert len(docs) == 3000  # the patents are kept; those whose inventor rows came after the damage lack them
    assert any(not doc.patent.inventors for doc in docs) and any(doc.patent.inventors for doc in docs)


def test_a_decompression_bomb_is_refused(tmp_path, monkeypatch):
    import crawlers.parsers.patent_xml as px

    d = generated_tables(tmp_path / "pv", 10)
    monkeypatch.setattr(px, "RATIO_SLACK", 1024)
    write_zip(d, "g_patent_abstract", tsv("g_patent_abstract", [["10000000", "x" * 100_000]]))
    with pytest.raises(InputError, match="decompression bomb"):
        load(d, tmp_path)


def _peak_of_a_load(tmp_path, n, batch):
    d = generated_tables(tmp_path / f"pv{n}", n)
    sizes: list[int] = []
    bad: list = []
    tracemalloc.start()
    try:
        with PatentsViewTables(d, tmp_path / "work", source=SOURCE, fetched_at=AT, batch=batch) as t:
            t.stage(bad)
            count = 0
            for docs in t.batches(bad):
                sizes.append(len(docs))
                count += len(docs)
                del docs
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert bad == [] and count == n
    return peak, sizes


def test_memory_is_bounded_by_the_batch_not_the_number_of_patents(tmp_path, monkeypatch):
    import crawlers.parsers.patentsview_tables as pvt

    monkeypatch.setattr(pvt, "_STAGE_ROWS", 500)  # side-table rows per insert round: below both sizes
    small_peak, _ = _peak_of_a_load(tmp_path, 1000, batch=200)
    peak, sizes = _peak_of_a_load(tmp_path, 5000, batch=200)
    assert max(sizes) == 200 and len(sizes) == 25  # never more than a batch of Documents at a time
    # five times the patents, about the same peak (a list of 5,000 Documents alone would be several MB)
    assert peak < 1.5 * small_peak, (peak, small_peak)
    assert peak < 8 * 1024 * 1024, peak


def test_documents_and_ids_do_not_depend_on_the_batch_size(tmp_path):
    d = generated_tables(tmp_path / "pv", 120)
    one, _, _ = load(d, tmp_path, batch=1)
    many, _, _ = load(d, tmp_path, batch=7)
    assert one == many and len({doc.id for doc in one}) == 120
    assert one[0].patent.cpc == ["H01M10/0525", "H01M4/134"]  # by cpc_sequence, not by row order


def test_an_unzipped_table_is_read_too(tmp_path):
    d = small_tables(tmp_path / "pv")
    (d / "g_application.tsv.zip").unlink()
    (d / "g_application.tsv").write_text("\ufeff" + tsv("g_application", [["15/900001", "10000001", "15", "2016-11-30", "15", 0]]),
                                         encoding="utf-8")
    assert find_tables(d)["g_application"].name == "g_application.tsv"
    docs, bad, stats = load(d, tmp_path)
    assert bad == [] and stats.without_application == 3
    assert {x.source_key: x.patent.application_number for x in docs}["10000001"] == "15/900001"


def test_the_cpc_filter_keeps_by_the_classes_and_builds_no_document_of_the_others(tmp_path):
    from crawlers.cpcfilter import CpcFilter

    d = small_tables(tmp_path / "pv")
    write_zip(d, "g_patent", tsv("g_patent", [patent_row("10000001", "2018-06-19", "Charge trap memory cell"),
                                              patent_row("10000002", "2018-06-19", ""),  # no title, no abstract row
                                              patent_row("10000003", "2018-07-03", "Multi-die memory package")]))
    write_zip(d, "g_patent_abstract", tsv("g_patent_abstract", [["10000001", "A memory cell."]]))
    docs, bad, stats = load(d, tmp_path, keep=CpcFilter(["H10B"]))
    assert [x.source_key for x in docs] == ["10000001", "10000003"]
    assert (stats.patents, stats.documents, stats.outside_filter) == (3, 2, 1)
    assert bad == []  # 10000002 (H01M) is outside: not built, so its missing text is not its problem here
    docs, bad, _ = load(d, tmp_path, keep=CpcFilter("none"))
    assert [(b.line, "a document needs a title or a text" in b.problem) for b in bad] == [(3, True)]
