"""The embedded store: everything under one data directory (`EWS_HOME`).

SQLite holds the raw archive (every response gzip-compressed, with URL, headers
and fetch time), documents, tagged documents, count series, alerts, source
health and per-source crawl state. Raw bodies live in SQLite rather than one
file each: one transactional insert per response, so an archive write is never
half done and costs no file creation. Every write is an upsert keyed by a deterministic id, so
re-running a stage never duplicates a record.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import gzip
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ews.kernel.ids import stable_id
from ews.kernel.migrations import migrate
from ews.kernel.schema import Alert, Document, SourceHealth, TaggedDocument, document_date

if TYPE_CHECKING:  # pandas costs seconds to import; crawl subprocesses never need it
    import pandas as pd


class StoreError(Exception):
    """The data directory cannot be used (a file where the directory should be, a closed store)."""


@contextmanager
def immediate_transaction(conn: sqlite3.Connection):
    """All or nothing; BEGIN IMMEDIATE takes the write lock at once, so a read-check-write inside is atomic."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def _openers_in_turn(lock_path: Path):
    try:
        lock = open(lock_path, "a")  # noqa: SIM115 - held across the yield
    except OSError:  # a read-only data directory has no writer to race with
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class SideTable:
    """A connection of its own to the store's database for one of its side tables (deliveries, tag feedback):
    the store creates the table (it owns the schema), the side table reads and writes it."""

    def __init__(self, home: Path | str):
        with Store(home) as store:
            self.db_path = store.db_path
        self._conn = sqlite3.connect(self.db_path, timeout=60, isolation_level=None, check_same_thread=False)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class Store:
    """The data directory's database. Each thread gets its own SQLite connection (a connection must not be
    used by two threads at once), made on first use and closed by `close()`."""

    def __init__(self, home: Path | str):
        self.home = Path(home)
        if self.home.exists() and not self.home.is_dir():
            raise StoreError(f"data directory {self.home} is a file, not a directory (set EWS_HOME to a directory)")
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"data directory {self.home} cannot be created: {e.strerror or e}") from None
        self.db_path = self.home / "ews.sqlite"
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        # Openers take turns: switching a rollback-journal database to WAL needs an exclusive lock that
        # SQLite may refuse at once (no busy wait) while another opener is mid-migration.
        with _openers_in_turn(self.home / "ews.sqlite.open-lock"):
            self.migrated_from = migrate(self._conn, self.db_path)

    @classmethod
    def from_settings(cls, settings) -> Store:
        return cls(settings.home)

    @property
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreError(f"{self.db_path}: the store is closed")
            # check_same_thread=False only so that close() may close every thread's connection;
            # each connection is still used by the one thread that made it
            conn = sqlite3.connect(self.db_path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @property
    def connection(self) -> sqlite3.Connection:
        """This thread's connection, for the stores built on this one (the review journal, the sync state)."""
        return self._conn

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def transaction(self):
        return immediate_transaction(self._conn)

    # raw archive -----------------------------------------------------------
    def put_raw(self, *, source: str, url: str, body: bytes, headers: dict, status: int = 200,
                fetched_at: dt.datetime | None = None) -> str:
        """Archive one response; the id depends on source, URL and body, so a refetch of the same bytes is a no-op."""
        sha = hashlib.sha256(body).hexdigest()
        raw_id = stable_id("raw", source, url, sha)
        self._conn.execute(
            "INSERT OR IGNORE INTO raw VALUES (?,?,?,?,?,?,?,?,?)",
            (raw_id, source, url, status, (fetched_at or dt.datetime.now(dt.UTC)).isoformat(),
             json.dumps(headers, ensure_ascii=False), sha, len(body), gzip.compress(body, compresslevel=6)),
        )
        return raw_id

    def get_raw(self, raw_id: str) -> tuple[dict, bytes]:
        row = self._conn.execute(
            "SELECT id, source, url, status, fetched_at, headers, body FROM raw WHERE id=?", (raw_id,)).fetchone()
        if row is None:
            raise KeyError(f"no archived response {raw_id!r}")
        meta = dict(zip(("id", "source", "url", "status", "fetched_at", "headers"), row[:6]))
        meta["headers"] = json.loads(meta["headers"])
        meta["compressed_size"] = len(row[6])
        return meta, gzip.decompress(row[6])

    def iter_raw(self, source: str | None = None) -> Iterator[dict]:
        q = "SELECT id, source, url, fetched_at FROM raw" + (" WHERE source=?" if source else "") + " ORDER BY fetched_at, id"
        for row in self._conn.execute(q, (source,) if source else ()):
            yield dict(zip(("id", "source", "url", "fetched_at"), row))

    # documents -------------------------------------------------------------
    def upsert_documents(self, docs: Iterable[Document], input_digests: Iterable[str | None] | None = None
                         ) -> dict[str, int]:
        """Insert or update by id; a document whose content is unchanged is left as it is. A changed document
        that is tagged counts in its series by its new content at once (`ews.kernel.members`).
        `input_digests`, one per document (`ews ingest`), records the input line each came from; a document
        written without one (a crawl) forgets the line it was loaded from."""
        from ews.kernel.members import member_rows, replace_members

        counts = {"inserted": 0, "updated": 0, "unchanged": 0}
        docs = list(docs)
        digests = list(input_digests) if input_digests is not None else [None] * len(docs)
        if len(digests) != len(docs):
            raise ValueError(f"{len(digests)} input digests for {len(docs)} documents")
        with self.transaction() as c:
            for d, digest in zip(docs, digests):
                row = c.execute("SELECT content_hash, body, input_digest FROM documents WHERE id=?",
                                (d.id,)).fetchone()
                body = d.model_dump_json()
                if row is None:
                    counts["inserted"] += 1
                elif row[0] == d.content_hash and _same_except_fetch(row[1], d):
                    counts["unchanged"] += 1
                    if digest is not None and row[2] != digest:
                        c.execute("UPDATE documents SET input_digest=? WHERE id=?", (digest, d.id))
                    continue
                else:
                    counts["updated"] += 1
                date = document_date(d)
                c.execute(
                    "INSERT INTO documents (id, source, kind, published, content_hash, body, updated_at, date, "
                    "input_digest) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                    "source=excluded.source, kind=excluded.kind, published=excluded.published, "
                    "content_hash=excluded.content_hash, body=excluded.body, updated_at=excluded.updated_at, "
                    "date=excluded.date, input_digest=excluded.input_digest",
                    (d.id, d.source, d.kind, d.published.isoformat() if d.published else None,
                     d.content_hash, body, _now(), date.isoformat() if date else None, digest),
                )
                if row is not None:
                    tag = c.execute("SELECT body FROM tagged WHERE doc_id=?", (d.id,)).fetchone()
                    if tag is not None:
                        replace_members(c, d.id, member_rows(d, TaggedDocument.model_validate_json(tag[0])))
        return counts

    def _rows_in(self, query: str, values: list) -> Iterator[tuple]:
        """The rows of `query`, whose one `IN ({})` is filled with `values` 500 at a time (under SQLite's
        limit of bound parameters)."""
        for i in range(0, len(values), 500):
            part = values[i:i + 500]
            yield from self._conn.execute(query.format(",".join("?" * len(part))), part)

    def documents_of_inputs(self, digests: Iterable[str]) -> dict[str, str]:
        """The stored documents made from these input lines (`ews.kernel.ingest.line_digest`): digest → id."""
        return dict(self._rows_in("SELECT input_digest, id FROM documents WHERE input_digest IN ({})",
                                  list(dict.fromkeys(digests))))

    def count_documents_of_input(self, digest: str) -> int:
        """How many stored documents still hold the content one input (`input_digests`) gave them."""
        return self._conn.execute("SELECT COUNT(*) FROM documents WHERE input_digest = ?", (digest,)).fetchone()[0]

    def has_document(self, doc_id: str) -> bool:
        return self._conn.execute("SELECT 1 FROM documents WHERE id=?", (doc_id,)).fetchone() is not None

    def iter_documents(self, kind: str | None = None, source: str | None = None,
                       batch: int = 1000) -> Iterator[Document]:
        """Every document in id order, read `batch` at a time (memory does not grow with the store)."""
        q, args = "SELECT id, body FROM documents WHERE id > ?", []
        if kind:
            q += " AND kind=?"
            args.append(kind)
        if source:
            q += " AND source=?"
            args.append(source)
        for rows in self._pages(q, args, batch):
            for _id, body in rows:
                yield Document.model_validate_json(body)

    def _pages(self, query: str, args: list, batch: int) -> Iterator[list]:
        """Keyset pages of `query` (whose first parameter is `id > ?` and first column the id): each page a
        fresh statement, so writes between pages (a stage tagging what it read) are safe."""
        last = ""
        while True:
            rows = self._conn.execute(query + " ORDER BY 1 LIMIT ?", [last, *args, batch]).fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    @staticmethod
    def _to_classify(columns: str, model_version: str, taxonomy_version: str, full: bool) -> tuple[str, list]:
        q = (f"SELECT {columns} FROM documents d LEFT JOIN tagged t ON t.doc_id = d.id WHERE d.id > ?"
             + ("" if full else " AND (t.doc_id IS NULL OR t.model_version != ? OR t.taxonomy_version IS NOT ? "
                                "OR t.doc_updated_at IS NOT d.updated_at)"))
        return q, [] if full else [model_version, taxonomy_version]

    def documents_to_classify(self, model_version: str, taxonomy_version: str, full: bool = False,
                              batch: int = 1000) -> Iterator[list[Document]]:
        """Batches of the documents the classifier must (re)tag: new ones, changed ones (stored since they were
        tagged) and those tagged by another model or taxonomy version; every one when `full`."""
        q, args = self._to_classify("d.id, d.body", model_version, taxonomy_version, full)
        for rows in self._pages(q, args, batch):
            yield [Document.model_validate_json(body) for _id, body in rows]

    def count_documents_to_classify(self, model_version: str, taxonomy_version: str, full: bool = False) -> int:
        """How many documents `documents_to_classify` yields."""
        q, args = self._to_classify("COUNT(*)", model_version, taxonomy_version, full)
        return self._conn.execute(q, ["", *args]).fetchone()[0]

    def get_document(self, doc_id: str) -> Document | None:
        row = self._conn.execute("SELECT body FROM documents WHERE id=?", (doc_id,)).fetchone()
        return Document.model_validate_json(row[0]) if row else None

    def count_documents(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    # tagged documents ------------------------------------------------------
    def upsert_tagged(self, tagged: Iterable[TaggedDocument], documents: dict[str, Document] | None = None) -> int:
        """Store taggings; each tagged document's series membership follows (`ews.kernel.members`).
        `documents`: the tagged documents where the caller has them (else they are read from the store)."""
        from ews.kernel.members import member_rows, replace_members

        n = 0
        with self.transaction() as c:
            for t in tagged:
                row = c.execute("SELECT updated_at, body FROM documents WHERE id=?", (t.doc_id,)).fetchone()
                c.execute("INSERT INTO tagged (doc_id, model_version, body, taxonomy_version, doc_updated_at) "
                          "VALUES (?,?,?,?,?) ON CONFLICT(doc_id) DO UPDATE SET "
                          "model_version=excluded.model_version, body=excluded.body, "
                          "taxonomy_version=excluded.taxonomy_version, doc_updated_at=excluded.doc_updated_at",
                          (t.doc_id, t.model_version, t.model_dump_json(), t.taxonomy_version,
                           row[0] if row else None))
                if row is not None:
                    doc = (documents or {}).get(t.doc_id) or Document.model_validate_json(row[1])
                    replace_members(c, t.doc_id, member_rows(doc, t))
                n += 1
        return n

    def get_tagged(self, doc_id: str) -> TaggedDocument | None:
        row = self._conn.execute("SELECT body FROM tagged WHERE doc_id=?", (doc_id,)).fetchone()
        return TaggedDocument.model_validate_json(row[0]) if row else None

    def iter_tagged(self, batch: int = 1000) -> Iterator[TaggedDocument]:
        for rows in self._pages("SELECT doc_id, body FROM tagged WHERE doc_id > ?", [], batch):
            for _id, body in rows:
                yield TaggedDocument.model_validate_json(body)

    def iter_tagged_documents(self, kind: str | None = None, batch: int = 1000) -> Iterator[tuple[Document, TaggedDocument]]:
        """(document, tagging) of every tagged document, in id order, `batch` at a time."""
        q = ("SELECT d.id, d.body, t.body FROM documents d JOIN tagged t ON t.doc_id = d.id WHERE d.id > ?"
             + (" AND d.kind = ?" if kind else ""))
        for rows in self._pages(q, [kind] if kind else [], batch):
            for _id, body, tag in rows:
                yield Document.model_validate_json(body), TaggedDocument.model_validate_json(tag)

    # count series ----------------------------------------------------------
    def replace_counts(self, counts: pd.DataFrame) -> int:
        """Replace all count series with a given table (columns series, period, count); every series in it
        is judged by the next detect stage."""
        rows = [(str(s), str(p), int(c)) for s, p, c in counts[["series", "period", "count"]].itertuples(index=False)]
        with self.transaction() as c:
            c.execute("DELETE FROM counts")
            c.executemany("INSERT INTO counts VALUES (?,?,?)", rows)
            c.execute("INSERT OR IGNORE INTO detect_pending SELECT DISTINCT series FROM counts")
            c.execute("DELETE FROM stage_state WHERE stage IN ('count', 'detect')")
        return len(rows)

    def update_counts(self, granularity: str, as_of: dt.date | None, full: bool = False, progress=None) -> dict:
        """Recount the series whose documents changed (every series when `full`); see `ews.kernel.members`
        (`progress(done, total)` in series)."""
        from ews.kernel.members import update_counts

        return update_counts(self._conn, granularity, as_of, full, progress)

    def count_rows(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM counts").fetchone()[0]

    def series_to_detect(self, as_of: dt.date | None, full: bool = False,
                         settings: dict | None = None) -> tuple[list[tuple[str, int]], bool]:
        """(series, documents in all) to judge, and whether that is every series; see `ews.kernel.members`."""
        from ews.kernel.members import series_to_detect

        return series_to_detect(self._conn, as_of, full, settings)

    def detected(self, as_of: dt.date | None, settings: dict | None = None) -> None:
        from ews.kernel.members import detected

        detected(self._conn, as_of, settings)

    def read_counts_of(self, series: list[str]) -> pd.DataFrame:
        """The count rows of the given series."""
        import pandas as pd

        marks = ",".join("?" * len(series))
        return pd.read_sql_query(f"SELECT series, period, count FROM counts WHERE series IN ({marks}) "
                                 "ORDER BY series, period", self._conn, params=series)

    def members_of(self, series: str, first: dt.date, last: dt.date) -> list[tuple[str, float]]:
        from ews.kernel.members import members_of

        return members_of(self._conn, series, first, last)

    def documents_by_id(self, ids: list[str]) -> dict[str, Document]:
        return {i: Document.model_validate_json(b)
                for i, b in self._rows_in("SELECT id, body FROM documents WHERE id IN ({})", list(ids))}

    def read_counts(self) -> pd.DataFrame:
        import pandas as pd

        return pd.read_sql_query("SELECT series, period, count FROM counts ORDER BY series, period", self._conn)

    # alerts ----------------------------------------------------------------
    def get_alert(self, alert_id: str) -> Alert | None:
        row = self._conn.execute("SELECT body FROM alerts WHERE id=?", (alert_id,)).fetchone()
        return Alert.model_validate_json(row[0]) if row else None

    def upsert_alerts(self, alerts: Iterable[Alert]) -> dict[str, int]:
        """New alerts are inserted; a re-detected one keeps its review status and first-seen time."""
        counts = {"inserted": 0, "updated": 0}
        with self.transaction() as c:
            for a in alerts:
                row = c.execute("SELECT body FROM alerts WHERE id=?", (a.id,)).fetchone()
                if row:
                    old = Alert.model_validate_json(row[0])
                    a = a.model_copy(update={"status": old.status, "first_seen": old.first_seen})
                    counts["updated"] += 1
                else:
                    counts["inserted"] += 1
                c.execute("INSERT INTO alerts VALUES (?,?,?,0,?) ON CONFLICT(id) DO UPDATE SET "
                          "status=excluded.status, body=excluded.body, indexed=0, updated_at=excluded.updated_at",
                          (a.id, a.status, a.model_dump_json(), _now()))
        return counts

    def list_alerts(self, status: str | None = None) -> list[Alert]:
        q = "SELECT body FROM alerts" + (" WHERE status=?" if status else "")
        rows = self._conn.execute(q, (status,) if status else ()).fetchall()
        alerts = [Alert.model_validate_json(b) for (b,) in rows]
        return sorted(alerts, key=lambda a: (-a.severity, a.series, a.period))

    def pending_alerts(self) -> list[Alert]:
        """The outbox: alerts not yet acknowledged by the search index."""
        return [a for a, _stamp in self.outbox()]

    def outbox(self) -> list[tuple[Alert, str]]:
        """The pending alerts with the time of their last change, to pass back to `mark_indexed`."""
        rows = self._conn.execute("SELECT body, updated_at FROM alerts WHERE indexed=0 ORDER BY id").fetchall()
        return [(Alert.model_validate_json(b), u) for b, u in rows]

    def mark_indexed(self, alert_ids: Iterable[str], stamps: dict[str, str] | None = None) -> None:
        """Take alerts out of the outbox. With `stamps` (id -> the change time that was sent) an alert
        changed since it was sent (a review meanwhile) stays in the outbox, so the index catches up."""
        with self.transaction() as c:
            if stamps is None:
                c.executemany("UPDATE alerts SET indexed=1 WHERE id=?", [(i,) for i in alert_ids])
            else:
                c.executemany("UPDATE alerts SET indexed=1 WHERE id=? AND updated_at=?",
                              [(i, stamps[i]) for i in alert_ids if i in stamps])

    # what the search index acknowledged ---------------------------------------
    def indexed_document_digests(self) -> dict[str, str]:
        """Document id -> digest of the version the search index acknowledged."""
        return dict(self._conn.execute("SELECT id, digest FROM es_indexed_documents").fetchall())

    def mark_documents_indexed(self, digests: dict[str, str]) -> None:
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO es_indexed_documents VALUES (?,?)", list(digests.items()))

    def pending_documents(self) -> int:
        """Documents the search index never acknowledged (one changed since it was indexed is not counted)."""
        return self._conn.execute(
            "SELECT COUNT(*) FROM documents d LEFT JOIN es_indexed_documents e ON e.id = d.id WHERE e.id IS NULL"
        ).fetchone()[0]

    # sources ---------------------------------------------------------------
    def record_health(self, h: SourceHealth) -> None:
        self._conn.execute("INSERT OR REPLACE INTO health VALUES (?,?,?)",
                           (h.source, h.started_at.isoformat(), h.model_dump_json()))

    def health_records(self, source: str | None = None) -> list[SourceHealth]:
        """Every health record (of one source), oldest first."""
        q = "SELECT body FROM health" + (" WHERE source=?" if source else "") + " ORDER BY source, started_at"
        return [SourceHealth.model_validate_json(b) for (b,) in self._conn.execute(q, (source,) if source else ())]

    def last_health(self, source: str) -> SourceHealth | None:
        row = self._conn.execute("SELECT body FROM health WHERE source=? ORDER BY started_at DESC LIMIT 1",
                                 (source,)).fetchone()
        return SourceHealth.model_validate_json(row[0]) if row else None

    def data_cutoff(self) -> dt.date | None:
        """The last day the stored data covers: the end of the newest crawl window (exclusive) less a day,
        or, where nothing was crawled (documents ingested in bulk), the newest document date.

        The one cut-off every path uses (`ews run`, the DAGs, the reports), so periods after it are
        incomplete everywhere alike and never raise drops.
        """
        ends = [h.window_end for h in self.health_records() if h.ok and h.window_end is not None]
        if ends:
            return max(ends) - dt.timedelta(days=1)
        newest = self._conn.execute("SELECT MAX(date) FROM documents").fetchone()[0]
        return dt.date.fromisoformat(newest) if newest else None

    def get_state(self, source: str) -> dict:
        row = self._conn.execute("SELECT body FROM source_state WHERE source=?", (source,)).fetchone()
        return json.loads(row[0]) if row else {}

    def set_state(self, source: str, state: dict) -> None:
        self._conn.execute("INSERT OR REPLACE INTO source_state VALUES (?,?)",
                           (source, json.dumps(state, ensure_ascii=False, sort_keys=True)))

    def stats(self) -> dict[str, int]:
        out = {}
        for table in ("raw", "documents", "tagged", "counts", "alerts"):
            out[table] = self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        return out


def _same_except_fetch(old_body: str, new: Document) -> bool:
    """Equal apart from fetch time and raw reference, which change on every refetch."""
    old = json.loads(old_body)
    cur = json.loads(new.model_dump_json())
    for k in ("fetched_at", "raw_ref"):
        old.pop(k, None)
        cur.pop(k, None)
    return old == cur
