"""The crawlers' own index beside the store (`EWS_HOME/crawlers.sqlite`):

- how each archived raw response is parsed again (its role: feed, API page, detail page, bulk document …
  and the context the parser needed, such as the list entry a detail page was found under and the
  crawl window), so `ews reparse` can re-create exactly the documents of a crawl without fetching;
- MinHash signatures of stored policy and paper documents, banded for LSH, and the near-duplicates
  found with them (the same article syndicated by several sources).

Kept in its own SQLite file so the core store's schema stays the core's. Writes are batched: one
transaction per `batch` writes (and at close), which is what lets the pipelines keep up with Scrapy;
within a process every user of one data directory shares one connection (`CrawlIndex.shared`), so
no two connections of the same thread ever wait for each other's write lock.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS raw_parse (
  raw_id TEXT PRIMARY KEY, source TEXT NOT NULL, role TEXT NOT NULL, context TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS raw_parse_source ON raw_parse(source);
CREATE TABLE IF NOT EXISTS fingerprints (
  doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, published TEXT, content_hash TEXT NOT NULL, sig BLOB,
  numbers TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS fingerprints_hash ON fingerprints(content_hash);
CREATE TABLE IF NOT EXISTS bands (band TEXT NOT NULL, published TEXT NOT NULL, doc_id TEXT NOT NULL,
  PRIMARY KEY (band, published, doc_id));
CREATE INDEX IF NOT EXISTS bands_doc ON bands(doc_id);
CREATE TABLE IF NOT EXISTS near_duplicates (
  doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, original_id TEXT NOT NULL, similarity REAL NOT NULL,
  url TEXT, detected_at TEXT NOT NULL);
"""


class CrawlIndex:
    _shared: dict[Path, list] = {}

    def __init__(self, home: Path | str, batch: int = 1):
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        self.path = home / "crawlers.sqlite"
        self.batch = max(1, batch)
        self._pending = 0
        self.conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)

    @classmethod
    def shared(cls, home: Path | str, batch: int = 500) -> CrawlIndex:
        """The process's one batched index of a data directory; give it back with `release()`."""
        key = Path(home).resolve()
        entry = cls._shared.get(key)
        if entry is None:
            entry = cls._shared[key] = [cls(home, batch=batch), 0]
        entry[1] += 1
        return entry[0]

    def release(self) -> None:
        key = self.path.parent.resolve()
        entry = self._shared.get(key)
        if entry is None or entry[0] is not self:
            self.close()
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del self._shared[key]
            self.close()
        else:
            self.commit()

    # writes ------------------------------------------------------------------------------
    def _begin(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")

    def _wrote(self) -> None:
        self._pending += 1
        if self._pending >= self.batch:
            self.commit()

    def commit(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")
        self._pending = 0

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.conn.close()

    def __enter__(self) -> CrawlIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # raw roles ---------------------------------------------------------------------------
    def record_raw(self, raw_id: str, source: str, role: str, context: dict | None = None) -> None:
        self._begin()
        self.conn.execute("INSERT OR REPLACE INTO raw_parse VALUES (?,?,?,?)",
                          (raw_id, source, role, json.dumps(context or {}, ensure_ascii=False, sort_keys=True,
                                                            default=str)))
        self._wrote()

    def raw_role(self, raw_id: str) -> tuple[str, dict] | None:
        row = self.conn.execute("SELECT role, context FROM raw_parse WHERE raw_id=?", (raw_id,)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    # near-duplicates -----------------------------------------------------------------------
    def duplicate_of(self, doc_id: str) -> str | None:
        row = self.conn.execute("SELECT original_id FROM near_duplicates WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    def same_hash(self, content_hash: str, doc_id: str) -> list[tuple[str, str | None]]:
        return self.conn.execute("SELECT doc_id, published FROM fingerprints WHERE content_hash=? AND doc_id<>?",
                                 (content_hash, doc_id)).fetchall()

    def candidates(self, bands: list[str], doc_id: str, published: dt.date | None = None,
                   window_days: int | None = None) -> list[tuple[str, str | None, bytes, str]]:
        """Documents sharing an LSH band with this one, published within window_days of it when both are given
        (the band lookup is an index range scan, so templated pages sharing bands stay cheap)."""
        if not bands:
            return []
        marks = ",".join("?" * len(bands))
        sub = f"SELECT DISTINCT doc_id FROM bands WHERE band IN ({marks})"
        args: list = [*bands]
        if published is not None and window_days is not None:
            sub += " AND published BETWEEN ? AND ?"
            args += [(published - dt.timedelta(days=window_days)).isoformat(),
                     (published + dt.timedelta(days=window_days)).isoformat()]
        q = f"SELECT f.doc_id, f.published, f.sig, f.numbers FROM fingerprints f WHERE f.doc_id IN ({sub}) AND f.doc_id<>?"
        return self.conn.execute(q, (*args, doc_id)).fetchall()

    def add_fingerprint(self, doc_id: str, source: str, published: dt.date | None, content_hash: str,
                        sig: bytes | None, bands: list[str], numbers: str = "") -> None:
        c = self.conn
        self._begin()
        c.execute("DELETE FROM bands WHERE doc_id=?", (doc_id,))
        c.execute("INSERT OR REPLACE INTO fingerprints VALUES (?,?,?,?,?,?)",
                  (doc_id, source, published.isoformat() if published else None, content_hash, sig, numbers))
        day = published.isoformat() if published else ""
        c.executemany("INSERT OR IGNORE INTO bands VALUES (?,?,?)", [(b, day, doc_id) for b in bands])
        self._wrote()

    def add_duplicate(self, doc_id: str, source: str, original_id: str, similarity: float, url: str | None) -> None:
        self._begin()
        self.conn.execute("INSERT OR REPLACE INTO near_duplicates VALUES (?,?,?,?,?,?)",
                          (doc_id, source, original_id, round(similarity, 4), url,
                           dt.datetime.now(dt.UTC).isoformat()))
        self._wrote()

    def near_duplicates(self, source: str | None = None) -> list[dict]:
        q = "SELECT doc_id, source, original_id, similarity, url FROM near_duplicates"
        rows = self.conn.execute(q + (" WHERE source=?" if source else "") + " ORDER BY doc_id",
                                 (source,) if source else ()).fetchall()
        return [dict(zip(("doc_id", "source", "original_id", "similarity", "url"), r)) for r in rows]
