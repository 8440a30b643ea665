"""One owner of the SQLite schema: a data directory written before schema versions existed opens, is
migrated forward, and keeps its rows; the store is safe to use from many threads."""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest

from alerts.base import HistoryEntry
from alerts.embedded import EmbeddedAlertStore
from ews.kernel.ids import alert_id
from ews.kernel.migrations import LATEST, STEPS, SchemaError, schema_version
from ews.kernel.schema import Alert, Document
from ews.kernel.store import Store, StoreError

NOW = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)

# The DDL of the three modules that created tables before `ews.kernel.migrations` (version 0: no
# user_version mark), copied verbatim from ews/kernel/store.py, alerts/embedded.py and alerts/sync.py.
V0_DDL = """
CREATE TABLE IF NOT EXISTS raw (
  id TEXT PRIMARY KEY, source TEXT NOT NULL, url TEXT NOT NULL, status INTEGER,
  fetched_at TEXT NOT NULL, headers TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
  body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS raw_source ON raw(source);
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL, published TEXT,
  content_hash TEXT NOT NULL, body TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS tagged (
  doc_id TEXT PRIMARY KEY, model_version TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counts (
  series TEXT NOT NULL, period TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (series, period));
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY, status TEXT NOT NULL, body TEXT NOT NULL, indexed INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS health (
  source TEXT NOT NULL, started_at TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (source, started_at));
CREATE TABLE IF NOT EXISTS source_state (source TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alert_review (
  id TEXT PRIMARY KEY, version INTEGER NOT NULL, assignee TEXT, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alert_history (
  alert_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (alert_id, seq));
CREATE TRIGGER IF NOT EXISTS alert_history_no_update BEFORE UPDATE ON alert_history
  BEGIN SELECT RAISE(ABORT, 'alert history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS alert_history_no_delete BEFORE DELETE ON alert_history
  BEGIN SELECT RAISE(ABORT, 'alert history is append-only'); END;
CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS es_indexed_documents (id TEXT PRIMARY KEY, digest TEXT NOT NULL);
"""


def _alert(series="tech:semi.memory", period="2023-10", status="new") -> Alert:
    return Alert(id=alert_id("count", series, period), detector="count", series=series, period=period,
                 direction="surge", observed=40, expected=10, score=0.99, severity=0.8, method="m",
                 first_seen=NOW, last_seen=NOW, status=status)


def old_data_directory(home):
    """A data directory as the code before schema versions left it, with a row in every table."""
    home.mkdir(parents=True)
    con = sqlite3.connect(home / "ews.sqlite")
    con.executescript(V0_DDL)
    doc = Document.build(source="demo.news", source_key="1", kind="policy", title="T", text="body", fetched_at=NOW)
    confirmed, pending = _alert(status="confirmed"), _alert(period="2023-11")
    con.execute("INSERT INTO raw VALUES ('r1','demo.news','http://127.0.0.1/a',200,?,'{}','abc',3,?)",
                (NOW.isoformat(), b"\x1f\x8b"))
    con.execute("INSERT INTO documents VALUES (?,?,?,?,?,?,?)", (doc.id, doc.source, doc.kind, None,
                                                                  doc.content_hash, doc.model_dump_json(), NOW.isoformat()))
    con.execute("INSERT INTO counts VALUES ('tech:semi.memory','2023-10',40)")
    con.execute("INSERT INTO alerts VALUES (?,?,?,1,?)", (confirmed.id, "confirmed", confirmed.model_dump_json(),
                                                          NOW.isoformat()))
    con.execute("INSERT INTO alerts VALUES (?,?,?,0,?)", (pending.id, "new", pending.model_dump_json(), NOW.isoformat()))
    con.execute("INSERT INTO alert_review VALUES (?,2,'park',?)", (confirmed.id, NOW.isoformat()))
    for seq, (frm, to) in enumerate([("new", "triaged"), ("triaged", "confirmed")], start=1):
        entry = HistoryEntry(alert_id=confirmed.id, at=NOW, actor="kim", action="status", from_status=frm, to_status=to)
        con.execute("INSERT INTO alert_history VALUES (?,?,?)", (confirmed.id, seq, entry.model_dump_json()))
    con.execute("INSERT INTO silences VALUES ('s1', ?)", ('{"id":"s1","series":"semi.*","direction":null,'
                                                          '"starts":"2024-01-01T00:00:00Z","ends":"2030-01-01T00:00:00Z",'
                                                          '"reason":"","created_by":"kim"}',))
    con.execute("INSERT INTO es_indexed_documents VALUES (?, 'd1')", (doc.id,))
    con.execute("INSERT INTO source_state VALUES ('demo.news', '{\"cursor\": 3}')")
    con.commit()
    assert schema_version(con) == 0
    con.close()
    return confirmed, pending


def test_an_old_data_directory_is_migrated_and_keeps_its_rows(tmp_path):
    home = tmp_path / "old"
    confirmed, pending = old_data_directory(home)
    with Store(home) as store:
        assert store.migrated_from == 0
        assert schema_version(store.connection) == LATEST
        assert store.stats() == {"raw": 1, "documents": 1, "tagged": 0, "counts": 1, "alerts": 2}
        assert store.get_state("demo.news") == {"cursor": 3}
        assert [a.id for a in store.pending_alerts()] == [pending.id]
        assert store.indexed_document_digests() == {next(store.iter_documents()).id: "d1"}
        indexes = {r[0] for r in store.connection.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "alerts_pending" in indexes  # step 2 ran
        with EmbeddedAlertStore(store) as journal:
            r = journal.get(confirmed.id)
            assert (r.alert.status, r.assignee, r.version) == ("confirmed", "park", "2")
            assert [h.to_status for h in journal.history(confirmed.id)] == ["triaged", "confirmed"]
            assert [s.id for s in journal.silences()] == ["s1"]
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):  # the triggers survived
                store.connection.execute("DELETE FROM alert_history")
    with Store(home) as again:  # opening a migrated directory changes nothing
        assert again.migrated_from == LATEST and again.stats()["alerts"] == 2


def test_a_new_data_directory_gets_every_step(tmp_path):
    with Store(tmp_path / "new") as store:
        assert store.migrated_from == 0 and schema_version(store.connection) == LATEST == len(STEPS)
        tables = {r[0] for r in store.connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"raw", "documents", "tagged", "counts", "alerts", "health", "source_state", "alert_review",
            "alert_history", "silences", "es_indexed_documents"} <= tables


def test_a_database_from_a_newer_version_is_refused_clearly(tmp_path):
    home = tmp_path / "future"
    home.mkdir()
    con = sqlite3.connect(home / "ews.sqlite")
    con.execute(f"PRAGMA user_version = {LATEST + 1}")
    con.close()
    with pytest.raises(SchemaError, match=rf"schema version {LATEST + 1} was written by a newer version"):
        Store(home)


def test_two_processes_opening_an_old_directory_migrate_it_once(tmp_path):
    home = tmp_path / "old"
    old_data_directory(home)
    results, errors = [], []

    def open_it():
        try:
            with Store(home) as s:
                results.append(s.migrated_from)
        except Exception as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sorted(results).count(0) == 1 and len(results) == 4


def test_a_data_directory_that_is_a_file_is_a_clear_error(tmp_path):
    f = tmp_path / "home"
    f.write_text("not a directory")
    with pytest.raises(StoreError, match="is a file, not a directory"):
        Store(f)


def test_one_store_used_from_many_threads(tmp_path):
    """Each thread gets its own connection: concurrent reads and writes through one store never fail."""
    store = Store(tmp_path / "h")
    journal = EmbeddedAlertStore(store)
    journal.upsert_alerts([_alert(series=f"tech:t{m}.x") for m in range(1, 13)])
    errors, versions = [], []
    ids = [a.id for a in store.list_alerts()]

    def work(i):
        try:
            for _ in range(20):
                assert len(store.list_alerts()) == 12
                journal.search()
            r = journal.get(ids[0])
            try:
                journal.review(ids[0], actor=f"u{i}", version=r.version, note=f"note {i}")
                versions.append(r.version)
            except Exception as e:  # noqa: BLE001 - a lost race is a ReviewConflict, nothing else
                assert type(e).__name__ == "ReviewConflict", repr(e)
        except Exception as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(versions) == len(set(versions))  # exactly one winner per version
    assert len(journal.history(ids[0])) == len(versions)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_alerts()
