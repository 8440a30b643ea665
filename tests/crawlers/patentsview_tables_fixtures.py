"""Tiny PatentsView bulk tables, written by the tests (tab-separated, quoted as PatentsView quotes text,
each zipped as `NAME.tsv.zip`), with the real column names of the g_ tables."""
from __future__ import annotations

import zipfile
from pathlib import Path

COLUMNS = {
    "g_patent": ["patent_id", "patent_type", "patent_date", "patent_title", "wipo_kind", "num_claims", "withdrawn",
                 "filename"],
    "g_patent_abstract": ["patent_id", "patent_abstract"],
    "g_application": ["application_id", "patent_id", "patent_application_type", "filing_date", "series_code",
                      "rule_47_flag"],
    "g_cpc_current": ["patent_id", "cpc_sequence", "cpc_section", "cpc_class", "cpc_subclass", "cpc_group", "cpc_type"],
    "g_assignee_disambiguated": ["patent_id", "assignee_sequence", "assignee_id",
                                 "disambig_assignee_individual_name_first", "disambig_assignee_individual_name_last",
                                 "disambig_assignee_organization", "assignee_type", "location_id"],
    "g_inventor_disambiguated": ["patent_id", "inventor_sequence", "inventor_id", "disambig_inventor_name_first",
                                 "disambig_inventor_name_last", "gender_code", "location_id"],
    "g_location_disambiguated": ["location_id", "disambig_city", "disambig_state", "disambig_country", "latitude",
                                 "longitude", "county", "state_fips", "county_fips"],
}


def cell(v) -> str:
    """Text quoted (doubling inner quotes), numbers bare, missing values empty: as the g_ tables are written."""
    if v is None:
        return ""
    if isinstance(v, int):
        return str(v)
    return '"' + str(v).replace('"', '""') + '"'


def tsv(table: str, rows: list, extra_lines: list[str] | None = None) -> str:
    lines = ["\t".join(COLUMNS[table])]
    for r in rows:
        lines.append(r if isinstance(r, str) else "\t".join(cell(v) for v in r))
    lines += extra_lines or []
    return "\n".join(lines) + "\n"


def write_zip(directory: Path, table: str, text: str | bytes) -> Path:
    path = directory / f"{table}.tsv.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{table}.tsv", text)
    return path


def patent_row(pid: str, date: str, title: str):
    return [pid, "utility", date, title, "B2", 12, 0, f"ipg{date[2:4]}{date[5:7]}{date[8:10]}.xml"]


def small_tables(directory: Path) -> Path:
    """Four patents; side tables in another order than g_patent; 10000003 has two assignees and three
    inventors; 10000004 has no application row."""
    directory.mkdir(parents=True, exist_ok=True)
    write_zip(directory, "g_patent", tsv("g_patent", [
        patent_row("10000002", "2018-06-19", 'Solid-state "lithium" battery electrolyte'),
        patent_row("10000001", "2018-06-19", "Charge trap memory cell"),
        patent_row("10000004", "2019-01-01", "Quantum error correction circuit"),
        patent_row("10000003", "2018-07-03", "Multi-die memory package"),
    ]))
    write_zip(directory, "g_patent_abstract", tsv("g_patent_abstract", [
        ["10000003", "A package stacks memory dies\non an interposer."],
        ["10000001", "A nonvolatile memory cell with a charge trap layer."],
        ["10000002", "A sulfide solid electrolyte for lithium cells."],
    ]))
    write_zip(directory, "g_application", tsv("g_application", [
        ["15/900003", "10000003", "15", "2017-02-10", "15", 0],
        ["15/900001", "10000001", "15", "2016-11-30", "15", 0],
        ["15/900002", "10000002", "15", "2017-01-05", "15", 0],
    ]))
    write_zip(directory, "g_cpc_current", tsv("g_cpc_current", [
        ["10000003", 1, "H", "H01", "H01L", "H01L25/0657", "additional"],
        ["10000001", 0, "H", "H10", "H10B", "H10B43/27", "inventional"],
        ["10000004", 0, "G", "G06", "G06N", "G06N10/70", "inventional"],
        ["10000002", 0, "H", "H01", "H01M", "H01M10/0562", "inventional"],
        ["10000003", 0, "H", "H10", "H10B", "H10B80/00", "inventional"],
    ]))
    write_zip(directory, "g_assignee_disambiguated", tsv("g_assignee_disambiguated", [
        ["10000003", 1, "a-2", None, None, "SK hynix Inc.", "3", "loc-kr2"],
        ["10000002", 0, "a-3", None, None, "Toyota Jidosha Kabushiki Kaisha", "3", "loc-jp"],
        ["10000003", 0, "a-1", None, None, "Samsung Electronics Co., Ltd.", "3", "loc-kr"],
        ["10000001", 0, "a-1", None, None, "SAMSUNG ELECTRONICS CO LTD", "3", "loc-kr"],
        ["10000004", 0, "a-4", "Ada", "Lovelace", None, "4", "loc-us"],
    ]))
    write_zip(directory, "g_inventor_disambiguated", tsv("g_inventor_disambiguated", [
        ["10000003", 2, "i-5", "Min-jun", "Park", "M", "loc-kr2"],
        ["10000001", 0, "i-1", "Jae-won", "Kim", "M", "loc-kr"],
        ["10000003", 0, "i-3", "Seo-yeon", "Lee", "F", "loc-kr"],
        ["10000002", 0, "i-2", "Taro", "Yamada", "M", "loc-jp"],
        ["10000003", 1, "i-4", "John", "Smith", "M", "loc-us"],
        ["10000004", 0, "i-6", "Ada", "Lovelace", "F", "loc-us"],
    ]))
    write_zip(directory, "g_location_disambiguated", tsv("g_location_disambiguated", [
        ["loc-kr", "Suwon", None, "KR", 37.26, 127.02, None, None, None],
        ["loc-kr2", "Icheon", None, "KR", 37.27, 127.44, None, None, None],
        ["loc-jp", "Toyota", None, "JP", 35.08, 137.15, None, None, None],
        ["loc-us", "Austin", "TX", "US", 30.27, -97.74, "Travis", 48, 453],
    ]))
    return directory


def generated_tables(directory: Path, n: int) -> Path:
    """n patents with one application, two CPC rows, one assignee and two inventors each; the side tables
    written in reverse order of g_patent (what a merge-join on sorted order would get wrong)."""
    directory.mkdir(parents=True, exist_ok=True)
    ids = [str(10_000_000 + i) for i in range(n)]
    write_zip(directory, "g_patent", tsv("g_patent", [patent_row(p, "2020-03-03", f"Battery electrode {p}") for p in ids]))
    rev = ids[::-1]
    write_zip(directory, "g_patent_abstract", tsv("g_patent_abstract", [
        [p, f"A lithium ion battery electrode of patent {p} with a silicon anode."] for p in rev]))
    write_zip(directory, "g_application", tsv("g_application", [
        [f"16/{p}", p, "16", "2019-05-06", "16", 0] for p in rev]))
    write_zip(directory, "g_cpc_current", tsv("g_cpc_current", [
        r for p in rev for r in ([p, 1, "H", "H01", "H01M", "H01M4/134", "additional"],
                                 [p, 0, "H", "H01", "H01M", "H01M10/0525", "inventional"])]))
    write_zip(directory, "g_assignee_disambiguated", tsv("g_assignee_disambiguated", [
        [p, 0, f"a-{int(p) % 50}", None, None, f"Battery Maker {int(p) % 50} Co., Ltd.", "3", "loc-kr"] for p in rev]))
    write_zip(directory, "g_inventor_disambiguated", tsv("g_inventor_disambiguated", [
        r for p in rev for r in ([p, 0, f"i-{p}-0", "Ji-ho", f"Kim{p}", "M", "loc-kr"],
                                 [p, 1, f"i-{p}-1", "Anna", f"Berg{p}", "F", "loc-se"])]))
    write_zip(directory, "g_location_disambiguated", tsv("g_location_disambiguated", [
        ["loc-kr", "Daejeon", None, "KR", 36.35, 127.38, None, None, None],
        ["loc-se", "Lund", None, "SE", 55.70, 13.19, None, None, None]]))
    return directory
