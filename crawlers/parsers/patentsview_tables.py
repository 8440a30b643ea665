"""PatentsView bulk tables of granted patents (tab-separated, each zipped as PatentsView publishes them)
turned into patent Documents, streamed: memory does not grow with the number of patents.

The tables, by their PatentsView names, in one directory as `NAME.tsv.zip` (or `NAME.tsv` unzipped):

| table | columns read |
|---|---|
| `g_patent` (required) | patent_id, patent_date, patent_title (older releases: patent_abstract too) |
| `g_application` (required) | patent_id, application_id, filing_date |
| `g_cpc_current` (required) | patent_id, cpc_sequence, cpc_group |
| `g_assignee_disambiguated` (required) | patent_id, assignee_sequence, disambig_assignee_organization, disambig_assignee_individual_name_first/_last, location_id |
| `g_inventor_disambiguated` (required) | patent_id, inventor_sequence, disambig_inventor_name_first/_last, location_id |
| `g_patent_abstract` (optional) | patent_id, patent_abstract |
| `g_location_disambiguated` (optional) | location_id, disambig_country |

A party's country is its row's own country column where the table has one (`disambig_country`,
`assignee_country`, `inventor_country`), else the country of its `location_id` in g_location_disambiguated.

How it streams. The tables are keyed by patent_id but not sorted alike, so a merge-join on their order
would be fragile: the side tables are staged first, row by row, into a temporary SQLite file (indexed
by patent_id once loaded), then g_patent is read in batches of `batch` rows and each batch is joined with
one indexed query per side table. Python holds one batch of patents at a time; the staged file is on
disk and deleted at the end. Each patent becomes a Document through `patentsview.patent_to_document`,
the function that reads the PatentsView API: a patent loaded from the tables under the API's source id
is the document the scheduled crawl finds (same id, same fields), so the crawl takes over from the bulk
history without duplicates. Applicant names are stored as PatentsView spells them, as every parser does;
the kernel's name normaliser (`ews.kernel.names`) merges spellings where series are counted.

A CPC filter (`crawlers.cpcfilter.CpcFilter`) is asked by a patent's classes before its document is
built: a patent outside it costs its side-table lookup only, and is neither built nor checked.

Bad input. A malformed row (wrong number of fields, a broken quote, not UTF-8, a date or CPC symbol
that is not one, a second application row for a patent) is a `BadRecord` naming file, line and
problem; the caller stops or skips it (`--skip-bad`). A missing table, a header without a needed
column, a file that is not a zip, a zip without one table member or one that decompresses beyond the
caps of the USPTO bulk path (`patent_xml.CappedMember`) is an `InputError`. A zip damaged in the middle
is a BadRecord saying every row after the last one read is lost.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import os
import re
import sqlite3
import sys
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from crawlers.parsers import base, patentsview
from crawlers.parsers.base import RECORD_ERRORS, HostileInput, PageContext, validation_summary
from crawlers.parsers.patent_xml import MAX_LINE_BYTES, MAX_MEMBER_BYTES, MAX_RATIO, CappedMember
from crawlers.parsers.patentsview import patent_to_document
from ews.kernel.ingest import conversion_digest
from ews.kernel.records import BadRecord, InputError
from ews.kernel.schema import Document, normalize_cpc

REQUIRED_TABLES: dict[str, tuple[str, ...]] = {
    "g_patent": ("patent_id", "patent_date", "patent_title"),
    "g_application": ("patent_id", "application_id", "filing_date"),
    "g_cpc_current": ("patent_id", "cpc_sequence", "cpc_group"),
    "g_assignee_disambiguated": ("patent_id", "assignee_sequence", "disambig_assignee_organization",
                                 "disambig_assignee_individual_name_first", "disambig_assignee_individual_name_last"),
    "g_inventor_disambiguated": ("patent_id", "inventor_sequence", "disambig_inventor_name_first",
                                 "disambig_inventor_name_last"),
}
OPTIONAL_TABLES: dict[str, tuple[str, ...]] = {
    "g_patent_abstract": ("patent_id", "patent_abstract"),
    "g_location_disambiguated": ("location_id", "disambig_country"),
}
# columns read where a table has them
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "g_patent": ("patent_abstract",),
    "g_assignee_disambiguated": ("location_id", "disambig_country", "assignee_country"),
    "g_inventor_disambiguated": ("location_id", "disambig_country", "inventor_country"),
}
COUNTRY_COLUMNS = ("disambig_country", "assignee_country", "inventor_country")
SUFFIXES = (".tsv.zip", ".tsv")
BATCH = 1000          # g_patent rows joined per query round: what Python holds at a time
_STAGE_ROWS = 10_000  # side-table rows per INSERT round
# what reading a damaged zip member raises part-way (a truncated or corrupt deflate stream, a bad CRC)
DAMAGE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError)
_COUNTRY = re.compile(r"[A-Za-z]{2}")


def find_tables(directory: Path) -> dict[str, Path]:
    """The table files in `directory`, by table name; InputError naming every missing required table."""
    directory = Path(directory)
    if not directory.exists():
        raise InputError(f"{directory}: no such directory")
    if not directory.is_dir():
        raise InputError(f"{directory}: is a file, expected the directory holding the PatentsView tables")
    found: dict[str, Path] = {}
    for name in (*REQUIRED_TABLES, *OPTIONAL_TABLES):
        for suffix in SUFFIXES:
            if (directory / f"{name}{suffix}").is_file():
                found[name] = directory / f"{name}{suffix}"
                break
    missing = [n for n in REQUIRED_TABLES if n not in found]
    if missing:
        raise InputError(f"{directory}: PatentsView table(s) missing: "
                         + ", ".join(f"{n} (expected {n}.tsv.zip)" for n in missing))
    return found


class _Lines:
    """The lines of a binary stream as text for the csv reader, counted; a line beyond MAX_LINE_BYTES
    ends the file (no PatentsView row is near that long). Bytes that are not UTF-8 are kept as
    surrogates, so the row holding them is reported, not the whole file."""

    def __init__(self, stream):
        self.stream, self.count = stream, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        raw = self.stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            raise StopIteration
        if len(raw) > MAX_LINE_BYTES:
            raise HostileInput(f"line {self.count + 1} is longer than {MAX_LINE_BYTES} bytes")
        self.count += 1
        return raw.decode("utf-8", "surrogateescape")


@contextlib.contextmanager
def _open_table(path: Path):
    """A readline stream of the table: the one .tsv member of a zip, capped as the USPTO bulk zips are."""
    if not path.name.lower().endswith(".zip"):
        with open(path, "rb") as f:
            yield f
        return
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise InputError(f"{path}: not a readable zip file ({e}): damaged, or not the PatentsView download") from None
    with zf:
        members = [i for i in zf.infolist() if not i.is_dir() and i.filename.lower().endswith((".tsv", ".txt"))]
        if len(members) != 1:
            raise InputError(f"{path}: expected one .tsv table in the zip, found "
                             f"{', '.join(i.filename for i in zf.infolist()) or 'nothing'}")
        info = members[0]
        if info.file_size > MAX_MEMBER_BYTES:
            raise InputError(f"{path}: {info.filename} declares {info.file_size:,} bytes, over {MAX_MEMBER_BYTES:,}; refused")
        try:
            member = zf.open(info)
        except (zipfile.BadZipFile, NotImplementedError, OSError, zlib.error) as e:
            raise InputError(f"{path}: {info.filename} cannot be read ({e}): the zip is damaged") from None
        with member:
            yield CappedMember(member, info, MAX_MEMBER_BYTES, MAX_RATIO)


def iter_table(name: str, path: Path, bad: list, progress: Callable[[int], None] | None = None
               ) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: stripped value}) of every good row of a table, with the columns this module reads;
    bad rows are appended to `bad`. InputError for a header without a needed column."""
    where = str(path)
    wanted = REQUIRED_TABLES.get(name) or OPTIONAL_TABLES[name]
    with _open_table(path) as stream:
        lines = _Lines(stream)
        reader = csv.reader(lines, delimiter="\t", quotechar='"')
        try:
            header = [h.strip().lstrip("\ufeff").strip() for h in next(reader, [])]
        except (csv.Error, HostileInput, *DAMAGE_ERRORS) as e:
            raise InputError(f"{where}:1: header unreadable ({type(e).__name__}: {e})") from None
        if not header:
            raise InputError(f"{where}: empty table, expected a header with columns {', '.join(wanted)}")
        missing = [c for c in wanted if c not in header]
        if missing:
            raise InputError(f"{where}:1: header of {name} lacks column(s) {', '.join(missing)}; "
                             f"found {', '.join(header)[:300]}")
        index = {c: header.index(c) for c in (*wanted, *OPTIONAL_COLUMNS.get(name, ())) if c in header}
        width = len(header)
        last = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                bad.append(BadRecord(where, last + 1, f"malformed row: {e} (lines {last + 1}-{reader.line_num} "
                                                      "read as one row: an unclosed quote?)"))
                last = reader.line_num
                continue
            except HostileInput as e:
                raise InputError(f"{where}: refused: {e}") from None
            except DAMAGE_ERRORS as e:
                # a bad CRC is found at the end of the member: the rows before it may be garbage too
                doubt = "; the rows read before it may be corrupt too" if "CRC" in str(e) else ""
                bad.append(BadRecord(where, lines.count + 1, f"file damaged after line {lines.count} "
                                                             f"({type(e).__name__}: {e}): every row after it is lost{doubt}"))
                return
            start, last = last + 1, reader.line_num
            if progress is not None:
                progress(last)
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            span = f" (lines {start}-{last}: a quote left open?)" if last > start else ""
            if len(row) != width:
                bad.append(BadRecord(where, start, f"{len(row)} fields for the {width} columns of {name}{span}"))
                continue
            try:
                "\t".join(row).encode("utf-8")
            except UnicodeEncodeError as e:
                bad.append(BadRecord(where, start, f"not UTF-8 (character {e.start} of the row)"))
                continue
            yield start, {c: row[i].strip() for c, i in index.items()}


def _date(value: str, column: str) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise ValueError(f"{column} {value[:40]!r} is not a date (YYYY-MM-DD)") from None


def _sequence(value: str, column: str) -> int:
    try:
        return int(value or 0)
    except ValueError:
        raise ValueError(f"{column} {value[:40]!r} is not a whole number") from None


def _country(value: str | None, column: str) -> str | None:
    if not value:
        return None
    if not _COUNTRY.fullmatch(value):
        raise ValueError(f"{column} {value[:40]!r} is not an ISO alpha-2 country code")
    return value.upper()


def _party_country(row: dict[str, str]) -> str | None:
    for c in COUNTRY_COLUMNS:
        if row.get(c):
            return _country(row[c], c)
    return None


def _pid(row: dict[str, str]) -> str:
    if not row["patent_id"]:
        raise ValueError("patent_id is empty")
    return row["patent_id"]


# table → (staging table, its columns, the row → values function)
_STAGE = {
    "g_application": ("app", "patent_id, line, application_id, filing_date",
                      lambda r: (_pid(r), r["application_id"] or None, _date(r["filing_date"], "filing_date"))),
    "g_cpc_current": ("cpc", "patent_id, line, seq, symbol",
                      lambda r: (_pid(r), _sequence(r["cpc_sequence"], "cpc_sequence"),
                                 _cpc(r["cpc_group"]))),
    "g_assignee_disambiguated": ("assignee", "patent_id, line, seq, org, first, last, location_id, country",
                                 lambda r: (_pid(r), _sequence(r["assignee_sequence"], "assignee_sequence"),
                                            r["disambig_assignee_organization"] or None,
                                            r["disambig_assignee_individual_name_first"] or None,
                                            r["disambig_assignee_individual_name_last"] or None,
                                            r.get("location_id") or None, _party_country(r))),
    "g_inventor_disambiguated": ("inventor", "patent_id, line, seq, first, last, location_id, country",
                                 lambda r: (_pid(r), _sequence(r["inventor_sequence"], "inventor_sequence"),
                                            r["disambig_inventor_name_first"] or None,
                                            r["disambig_inventor_name_last"] or None,
                                            r.get("location_id") or None, _party_country(r))),
    "g_patent_abstract": ("abstract", "patent_id, line, text", lambda r: (_pid(r), r["patent_abstract"])),
    "g_location_disambiguated": ("location", "location_id, line, country",
                                 lambda r: (r["location_id"] or _missing("location_id"),
                                            _country(r["disambig_country"], "disambig_country"))),
}


def _missing(column: str):
    raise ValueError(f"{column} is empty")


def _cpc(symbol: str) -> str:
    if not symbol:
        raise ValueError("cpc_group is empty")
    return normalize_cpc(symbol)


@dataclass
class LoadStats:
    patents: int = 0                 # good g_patent rows read
    documents: int = 0               # of them, Documents kept (inside the CPC filter)
    outside_filter: int = 0
    without_application: int = 0
    staged: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class PatentsViewTables:
    """The tables of one directory, staged once; `batches()` streams their patents as Documents."""

    def __init__(self, directory: Path, work_dir: Path, *, source: str, fetched_at: dt.datetime,
                 settings: dict | None = None, keep: Callable[[Document], bool] | None = None, batch: int = BATCH):
        self.directory = Path(directory)
        self.tables = find_tables(self.directory)
        self.ctx = PageContext(source=source, kind="patent", url=str(self.tables["g_patent"]), fetched_at=fetched_at,
                               lang="en", jurisdiction="US", settings=dict(settings or {}))
        # a Document predicate; one with `keeps_symbols` (a CpcFilter) is asked by the classes first
        self.keep = keep or (lambda doc: True)
        self.batch = max(1, batch)
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        self.db_path = Path(work_dir) / f"patentsview-stage-{os.getpid()}-{id(self):x}.sqlite"
        self.db: sqlite3.Connection | None = None
        self.stats = LoadStats()
        self.has_abstracts = False

    def __enter__(self) -> PatentsViewTables:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.db_path}{suffix}")

    def digest(self, load_settings: str) -> str:
        """What loading these tables makes, as a digest: another byte in any table, another reader (this
        module, the PatentsView converter, the kernel's conversion) or other `load_settings` (the caller's
        source, filter, …) give another digest. Whole files are hashed: a load reads them whole anyway."""
        h = hashlib.sha256(conversion_digest(sys.modules[__name__], patentsview, base))
        h.update(load_settings.encode("utf-8"))
        for name, path in sorted(self.tables.items()):
            try:
                with open(path, "rb") as f:
                    h.update(f"\n{name}\n".encode() + hashlib.file_digest(f, "sha256").digest())
            except OSError as e:
                raise InputError(f"{path}: cannot be read ({e.strerror or e})") from None
        return h.hexdigest()[:32]

    # ---- staging ---------------------------------------------------------------------------------------
    def stage(self, bad: list, progress: Callable[[str, int], None] | None = None) -> None:
        """Read every side table once into the staging file; their bad rows appended to `bad`."""
        if self.db_path.exists():
            self.db_path.unlink()
        db = self.db = sqlite3.connect(self.db_path, isolation_level=None)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-32768")  # 32 MB of page cache, whatever the tables' size
        for table, columns, _ in _STAGE.values():
            db.execute(f"CREATE TABLE {table} ({columns})")
        db.execute("CREATE TABLE seen (patent_id TEXT PRIMARY KEY, line INTEGER)")
        for name, (table, columns, convert) in _STAGE.items():
            if name not in self.tables:
                continue
            n = columns.count(",") + 1
            sql = f"INSERT INTO {table} ({columns}) VALUES ({','.join('?' * n)})"
            path, rows, count = self.tables[name], [], 0
            report = (lambda line, _n=name: progress(_n, line)) if progress else None
            db.execute("BEGIN")
            for line, row in iter_table(name, path, bad, report):
                try:
                    values = convert(row)
                except ValueError as e:
                    bad.append(BadRecord(str(path), line, f"invalid row: {e}"))
                    continue
                rows.append((values[0], line, *values[1:]))
                if len(rows) >= _STAGE_ROWS:
                    db.executemany(sql, rows)
                    count += len(rows)
                    rows = []
            db.executemany(sql, rows)
            db.execute("COMMIT")
            self.stats.staged[name] = count + len(rows)
        key = {"location": "location_id"}
        for table, _, _ in _STAGE.values():
            col = key.get(table, "patent_id")
            db.execute(f"CREATE INDEX {table}_key ON {table} ({col}, line)")
        for table, what in (("app", "application row"), ("abstract", "abstract"), ("location", "location row")):
            self._drop_duplicates(table, key.get(table, "patent_id"), what, bad)
        self.has_abstracts = "g_patent_abstract" in self.tables
        if not self.has_abstracts:
            self.stats.notes.append("no g_patent_abstract table: abstracts only where g_patent has a patent_abstract "
                                    "column (older releases), else documents carry their titles")
        if "g_location_disambiguated" not in self.tables:
            self.stats.notes.append("no g_location_disambiguated table: applicants and inventors have a country "
                                    "only where their own table has a country column")

    def _drop_duplicates(self, table: str, col: str, what: str, bad: list) -> None:
        """A second row for one key (an application, an abstract, a location) is a bad row; the first counts."""
        name = next(n for n, (t, _, _) in _STAGE.items() if t == table)
        if name not in self.tables:
            return
        rows = self.db.execute(
            f"SELECT t.{col}, t.line, f.first FROM {table} t JOIN (SELECT {col}, MIN(line) AS first FROM {table} "
            f"GROUP BY {col} HAVING COUNT(*) > 1) f USING ({col}) WHERE t.line > f.first ORDER BY t.line").fetchall()
        for key, line, first in rows:
            bad.append(BadRecord(str(self.tables[name]), line, f"duplicate {what} for {col} {key!r}: already on line {first}"))
        if rows:
            self.db.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT t.rowid FROM {table} t JOIN (SELECT {col}, "
                            f"MIN(line) AS first FROM {table} GROUP BY {col}) f USING ({col}) WHERE t.line > f.first)")

    # ---- the join --------------------------------------------------------------------------------------
    def batches(self, bad: list, progress: Callable[[int], None] | None = None) -> Iterator[list[Document]]:
        """The Documents of g_patent, `batch` patents at a time, each joined with its side-table rows.
        Can be run more than once on one staging (a checking pass, then a writing pass)."""
        for pairs in self.records(bad, progress):
            yield [doc for _, doc in pairs]

    def records(self, bad: list, progress: Callable[[int], None] | None = None) -> Iterator[list[tuple[dict, Document]]]:
        """As `batches`, each Document with the joined record it was made of (the PatentSearch API's shape:
        what a crawl archives, so `ews reparse` rebuilds the document from it)."""
        if self.db is None:
            raise RuntimeError("stage() first")
        self.db.execute("DELETE FROM seen")
        self.stats.patents = self.stats.documents = self.stats.outside_filter = self.stats.without_application = 0
        path, pending = self.tables["g_patent"], []
        for line, row in iter_table("g_patent", path, bad, progress):
            if not row["patent_id"]:
                bad.append(BadRecord(str(path), line, "invalid row: patent_id is empty"))
                continue
            try:
                _date(row["patent_date"], "patent_date")
            except ValueError as e:
                bad.append(BadRecord(str(path), line, f"invalid row: {e}"))
                continue
            pending.append((line, row))
            if len(pending) >= self.batch:
                yield self._join(pending, bad)
                pending = []
        if pending:
            yield self._join(pending, bad)

    def _join(self, pending: list[tuple[int, dict]], bad: list) -> list[tuple[dict, Document]]:
        db, where = self.db, str(self.tables["g_patent"])
        first: dict[str, int] = {}
        rows = []
        for line, row in pending:  # a patent twice in g_patent: within this batch, or in an earlier one
            pid = row["patent_id"]
            if pid in first:
                bad.append(BadRecord(where, line, f"duplicate patent_id {pid!r}: already on line {first[pid]}"))
                continue
            first[pid] = line
            rows.append((line, row))
        ids = list(first)
        marks = ",".join("?" * len(ids))
        for pid, line in db.execute(f"SELECT patent_id, line FROM seen WHERE patent_id IN ({marks})", ids).fetchall():
            bad.append(BadRecord(where, first[pid], f"duplicate patent_id {pid!r}: already on line {line}"))
            del first[pid]
        db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", list(first.items()))
        ids = list(first)
        marks = ",".join("?" * len(ids))
        apps = {p: (a, d) for p, a, d in db.execute(
            f"SELECT patent_id, application_id, filing_date FROM app WHERE patent_id IN ({marks})", ids)}
        cpc: dict[str, list] = defaultdict(list)
        for p, s in db.execute(f"SELECT patent_id, symbol FROM cpc WHERE patent_id IN ({marks}) "
                               "ORDER BY patent_id, seq, line", ids):
            cpc[p].append({"cpc_group_id": s})
        assignees: dict[str, list] = defaultdict(list)
        for p, org, fn, ln, country in db.execute(
                "SELECT a.patent_id, a.org, a.first, a.last, COALESCE(a.country, l.country) FROM assignee a "
                f"LEFT JOIN location l ON l.location_id = a.location_id WHERE a.patent_id IN ({marks}) "
                "ORDER BY a.patent_id, a.seq, a.line", ids):
            assignees[p].append({"assignee_organization": org, "assignee_individual_name_first": fn,
                                 "assignee_individual_name_last": ln, "assignee_country": country})
        inventors: dict[str, list] = defaultdict(list)
        for p, fn, ln, country in db.execute(
                "SELECT i.patent_id, i.first, i.last, COALESCE(i.country, l.country) FROM inventor i "
                f"LEFT JOIN location l ON l.location_id = i.location_id WHERE i.patent_id IN ({marks}) "
                "ORDER BY i.patent_id, i.seq, i.line", ids):
            inventors[p].append({"inventor_name_first": fn, "inventor_name_last": ln, "inventor_country": country})
        abstracts = dict(db.execute(f"SELECT patent_id, text FROM abstract WHERE patent_id IN ({marks})", ids)) \
            if self.has_abstracts else {}
        docs = []
        by_symbols = getattr(self.keep, "keeps_symbols", None)
        for line, row in rows:
            pid = row["patent_id"]
            if pid not in first:
                continue
            app = apps.get(pid)
            if by_symbols is not None and not by_symbols([c["cpc_group_id"] for c in cpc.get(pid, [])]):
                # outside the filter by its classes alone: no document is built (nor checked) of it
                self.stats.patents += 1
                self.stats.without_application += app is None
                self.stats.outside_filter += 1
                continue
            raw = {"patent_id": pid, "patent_title": row["patent_title"], "patent_date": row["patent_date"] or None,
                   "patent_abstract": abstracts.get(pid) or row.get("patent_abstract") or None,
                   "application": {"application_id": app[0], "filing_date": app[1]} if app else None,
                   "assignees": assignees.get(pid, []), "inventors": inventors.get(pid, []),
                   "cpc_current": cpc.get(pid, [])}
            try:
                doc = patent_to_document(raw, self.ctx)
            except RECORD_ERRORS as e:
                bad.append(BadRecord(where, line, f"invalid patent {pid!r}: {validation_summary(e)}"))
                continue
            self.stats.patents += 1
            if app is None:
                self.stats.without_application += 1
            if not self.keep(doc):
                self.stats.outside_filter += 1
                continue
            self.stats.documents += 1
            docs.append((raw, doc))
        return docs
