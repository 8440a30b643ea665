"""The one owner of the data directory's SQLite schema (`EWS_HOME/ews.sqlite`): numbered forward steps.

Every table of `ews.sqlite` is created here and nowhere else: the core store's (raw archive,
documents, tagged documents, counts, alerts and their outbox flag, source health and state), the
review journal's (review version and assignee, the append-only history, silences), the
notification delivery log, the analysts' tag feedback and the
Elasticsearch sync state. The database records how far it has been migrated in
`PRAGMA user_version`; opening a store applies the steps above that number, in order, inside one
write transaction, so two processes opening an old directory at once migrate it once.

A database without the mark is version 0: the schema as it was before versions existed (the same
tables, created `IF NOT EXISTS`), so step 1 is safe on it and keeps its rows.

To change the schema, append a step: never edit a step that has shipped.
"""
from __future__ import annotations

import sqlite3

# Each step is a list of statements (not a script: sqlite3's executescript would commit the
# transaction the steps run in).
STEPS: list[tuple[str, list[str]]] = [
    ("baseline: the core store, the review journal, the Elasticsearch sync state", [
        """CREATE TABLE IF NOT EXISTS raw (
          id TEXT PRIMARY KEY, source TEXT NOT NULL, url TEXT NOT NULL, status INTEGER,
          fetched_at TEXT NOT NULL, headers TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
          body BLOB NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS raw_source ON raw(source)",
        """CREATE TABLE IF NOT EXISTS documents (
          id TEXT PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL, published TEXT,
          content_hash TEXT NOT NULL, body TEXT NOT NULL, updated_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS documents_source ON documents(source)",
        "CREATE TABLE IF NOT EXISTS tagged (doc_id TEXT PRIMARY KEY, model_version TEXT NOT NULL, body TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS counts (
          series TEXT NOT NULL, period TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (series, period))""",
        """CREATE TABLE IF NOT EXISTS alerts (
          id TEXT PRIMARY KEY, status TEXT NOT NULL, body TEXT NOT NULL, indexed INTEGER NOT NULL DEFAULT 0,
          updated_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS health (
          source TEXT NOT NULL, started_at TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (source, started_at))""",
        "CREATE TABLE IF NOT EXISTS source_state (source TEXT PRIMARY KEY, body TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS alert_review (
          id TEXT PRIMARY KEY, version INTEGER NOT NULL, assignee TEXT, updated_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS alert_history (
          alert_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (alert_id, seq))""",
        """CREATE TRIGGER IF NOT EXISTS alert_history_no_update BEFORE UPDATE ON alert_history
          BEGIN SELECT RAISE(ABORT, 'alert history is append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS alert_history_no_delete BEFORE DELETE ON alert_history
          BEGIN SELECT RAISE(ABORT, 'alert history is append-only'); END""",
        "CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, body TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS es_indexed_documents (id TEXT PRIMARY KEY, digest TEXT NOT NULL)",
    ]),
    # the outbox query (`WHERE indexed=0`) scanned every alert; a partial index holds only the pending ones
    ("outbox index on unacknowledged alerts", [
        "CREATE INDEX IF NOT EXISTS alerts_pending ON alerts(id) WHERE indexed=0",
    ]),
    # notifications (ews.kernel.deliveries): one row per (channel, what was sent), so nothing is sent twice;
    # analysts' tag judgements (ews.kernel.feedback): appended, the latest per document trains the classifier
    ("notification delivery log; analysts' tag feedback", [
        """CREATE TABLE IF NOT EXISTS notify_deliveries (
          channel TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
          updated_at TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '', PRIMARY KEY (channel, key))""",
        """CREATE TABLE IF NOT EXISTS tag_feedback (
          doc_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (doc_id, seq))""",
        """CREATE TRIGGER IF NOT EXISTS tag_feedback_no_update BEFORE UPDATE ON tag_feedback
          BEGIN SELECT RAISE(ABORT, 'tag feedback is append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS tag_feedback_no_delete BEFORE DELETE ON tag_feedback
          BEGIN SELECT RAISE(ABORT, 'tag feedback is append-only'); END""",
    ]),
    # counts as SQL aggregates of a membership table kept as documents are tagged (ews.kernel.members),
    # so a run recounts and re-detects only the series that changed
    ("series membership, document dates, what each stage last ran with", [
        "ALTER TABLE documents ADD COLUMN date TEXT",
        """UPDATE documents SET date = CASE WHEN kind = 'patent' AND json_extract(body, '$.patent') IS NOT NULL
             THEN coalesce(json_extract(body, '$.patent.application_date'), json_extract(body, '$.patent.publication_date'),
                           published) ELSE published END""",
        "CREATE INDEX IF NOT EXISTS documents_date ON documents(date)",
        "ALTER TABLE tagged ADD COLUMN taxonomy_version TEXT",
        "ALTER TABLE tagged ADD COLUMN doc_updated_at TEXT",
        """CREATE TABLE IF NOT EXISTS series_members (
          series TEXT NOT NULL, date TEXT NOT NULL, doc_id TEXT NOT NULL, score REAL NOT NULL,
          PRIMARY KEY (series, date, doc_id)) WITHOUT ROWID""",
        "CREATE INDEX IF NOT EXISTS series_members_doc ON series_members(doc_id)",
        "CREATE TABLE IF NOT EXISTS dirty_series (series TEXT PRIMARY KEY) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS detect_pending (series TEXT PRIMARY KEY) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS stage_state (stage TEXT PRIMARY KEY, body TEXT NOT NULL)",
    ]),
    # `ews ingest` recognises a line it stored before by its digest, without parsing it again, so re-loading
    # a bulk file costs a read of its bytes; a crawl that changes a document clears the digest
    ("the input line each document was loaded from", [
        "ALTER TABLE documents ADD COLUMN input_digest TEXT",
        "CREATE INDEX IF NOT EXISTS documents_input_digest ON documents(input_digest) WHERE input_digest IS NOT NULL",
    ]),
]

LATEST = len(STEPS)


class SchemaError(Exception):
    """The database cannot be used by this version of the code."""


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: object = "database") -> int:
    """Bring the database to `LATEST`; returns the version it had (LATEST when another process migrated it
    meanwhile). `conn` must be in autocommit mode."""
    found = schema_version(conn)
    if found == LATEST:
        return found
    if found > LATEST:
        raise SchemaError(f"{path}: schema version {found} was written by a newer version of ews "
                          f"(this one knows up to {LATEST}); upgrade ews to open it")
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)  # another process may have migrated while this one waited for the lock
        for number, (_title, statements) in enumerate(STEPS, start=1):
            if number <= current:
                continue
            for sql in statements:
                conn.execute(sql)
        # PRAGMA takes no parameters; LATEST is this module's integer
        conn.execute(f"PRAGMA user_version = {LATEST:d}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return current
