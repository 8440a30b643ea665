"""Carry a run's results from the embedded store to Elasticsearch: the outbox.

The pipeline commits alerts to the local store first; `sync_to_elasticsearch`
sends the alerts the local outbox still holds, and marks as indexed only those
Elasticsearch acknowledged. A cluster that is down, or dies in the middle of a
bulk request, therefore loses nothing: the next run sends the rest. Because
ids are deterministic, sending something twice overwrites, never duplicates.

A reconciliation step also compares ids on both sides and resends any alert the
cluster no longer has (restored from an older snapshot, an index deleted by
hand), so "present exactly once" holds after every successful run.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from dataclasses import dataclass, field

from elasticsearch import ApiError, TransportError

from alerts.elastic import ElasticAlertStore
from ews.kernel.store import Store

log = logging.getLogger(__name__)

_STATE = """
CREATE TABLE IF NOT EXISTS es_indexed_documents (id TEXT PRIMARY KEY, digest TEXT NOT NULL);
"""


@dataclass
class SyncResult:
    documents: int = 0
    documents_skipped: int = 0
    trends: int = 0
    alerts_sent: int = 0
    alerts_acknowledged: int = 0
    alerts_resent: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def sync_alerts(store: Store, es: ElasticAlertStore) -> SyncResult:
    """Drain the alert outbox, then resend alerts the cluster is missing."""
    res = SyncResult()
    pending = store.pending_alerts()
    res.alerts_sent = len(pending)
    if pending:
        out = es.index_alerts(pending)
        # only what the cluster acknowledged leaves the outbox
        store.mark_indexed(out.ok)
        res.alerts_acknowledged = len(out.ok)
        res.errors += [f"alert {i}: {e}" for i, e in sorted(out.failed.items())[:20]]
        if out.failed:
            return res  # the cluster is unhealthy: reconciling now would only fail again
    local = {a.id: a for a in store.list_alerts()}
    indexed = es.alert_ids() if local else set()
    missing = [a for i, a in local.items() if i not in indexed]
    if missing:
        log.warning("cluster lacks %d acknowledged alerts; resending", len(missing))
        out = es.index_alerts(missing)
        res.alerts_resent = len(out.ok)
        res.errors += [f"alert {i}: {e}" for i, e in sorted(out.failed.items())[:20]]
    return res


def _doc_digest(doc_json: str, tag_json: str) -> str:
    return hashlib.sha256((doc_json + "\x1f" + tag_json).encode()).hexdigest()[:24]


def sync_documents(store: Store, es: ElasticAlertStore, res: SyncResult) -> None:
    """Index documents (with their technology tags) that changed since they were last acknowledged."""
    conn = sqlite3.connect(store.db_path, timeout=60, isolation_level=None)
    try:
        conn.executescript(_STATE)
        known = dict(conn.execute("SELECT id, digest FROM es_indexed_documents").fetchall())
        if known and es.count_documents() < len(known):
            known = {}  # the cluster lost documents it had acknowledged: send everything again
        tagged = {t.doc_id: t for t in store.iter_tagged()}
        todo, digests = [], {}
        for d in store.iter_documents():
            t = tagged.get(d.id)
            dg = _doc_digest(d.model_dump_json(exclude={"fetched_at", "raw_ref"}), t.model_dump_json() if t else "")
            if known.get(d.id) == dg:
                res.documents_skipped += 1
                continue
            todo.append(d)
            digests[d.id] = dg
        if not todo:
            return
        out = es.index_documents(todo, tagged)
        conn.execute("BEGIN")
        conn.executemany("INSERT OR REPLACE INTO es_indexed_documents VALUES (?,?)", [(i, digests[i]) for i in out.ok])
        conn.execute("COMMIT")
        res.documents = len(out.ok)
        res.errors += [f"document {i}: {e}" for i, e in sorted(out.failed.items())[:20]]
    finally:
        conn.close()


def sync_to_elasticsearch(store: Store, es: ElasticAlertStore, setup: bool = True) -> SyncResult:
    """Everything a run produced: documents, trend rows, alerts. Never raises for a cluster problem;
    the result carries the errors and the outbox keeps what was not acknowledged."""
    res = SyncResult()
    try:
        if setup:
            es.setup()
        sync_documents(store, es, res)
        res.trends = es.index_trends(store.read_counts())
        alerts = sync_alerts(store, es)
        for k in ("alerts_sent", "alerts_acknowledged", "alerts_resent"):
            setattr(res, k, getattr(alerts, k))
        res.errors += alerts.errors
    except (TransportError, ApiError) as e:
        res.errors.append(f"Elasticsearch: {type(e).__name__}: {e}")
    except Exception as e:  # an index error must not lose the run: local data stays, the outbox remains
        res.errors.append(f"{type(e).__name__}: {e}")
    return res


def sync_from_settings(store: Store, settings=None) -> SyncResult | None:
    """What `ews run` calls after the local stages when `EWS_ES_URL` is set; None without it."""
    from ews.kernel.config import get_settings

    settings = settings or get_settings()
    if not settings.es_url:
        return None
    es = ElasticAlertStore.from_settings(settings)
    try:
        return sync_to_elasticsearch(store, es)
    finally:
        es.es.close()


def describe(res: SyncResult) -> str:
    return json.dumps({k: getattr(res, k) for k in ("documents", "documents_skipped", "trends", "alerts_sent",
                                                     "alerts_acknowledged", "alerts_resent")} | {"errors": res.errors[:5]})
