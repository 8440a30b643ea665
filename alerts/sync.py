"""Carry a run's results from the embedded store to Elasticsearch: the outbox.

The pipeline commits alerts to the local store first; `sync_to_elasticsearch`
sends the alerts the local outbox still holds, and marks as indexed only those
Elasticsearch acknowledged. A cluster that is down, or dies in the middle of a
bulk request, therefore loses nothing: the next run sends the rest. Because
ids are deterministic, sending something twice overwrites, never duplicates.

Alert documents carry their review state (status, assignee, history) from the
review journal in the same database (`alerts.embedded`), which every review is
written to first. A reconciliation step compares both sides and resends any
alert the cluster no longer has, or holds with another status or a shorter
history (a cluster that restarted empty, restored from an older snapshot, an
index deleted by hand): "present exactly once, with the journal's review state"
holds after every successful run. Silences are sent again each run the same way.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field

from elasticsearch import ApiError, TransportError

from alerts.elastic import ElasticAlertStore
from alerts.embedded import EmbeddedAlertStore
from ews.kernel.store import Store

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    documents: int = 0
    documents_skipped: int = 0
    trends: int = 0
    alerts_sent: int = 0
    alerts_acknowledged: int = 0
    alerts_resent: int = 0
    reviews_adopted: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def sync_alerts(store: Store, es: ElasticAlertStore) -> SyncResult:
    """Drain the alert outbox, then resend alerts the cluster is missing or holds with a stale review state."""
    res = SyncResult()
    journal = EmbeddedAlertStore(store)
    outbox = store.outbox()
    res.alerts_sent = len(outbox)
    if outbox:
        pending = [a for a, _ in outbox]
        out = es.index_alerts(pending, reviews=es.reviews_of(journal, [a.id for a in pending]))
        # only what the cluster acknowledged leaves the outbox, and only if it did not change meanwhile
        store.mark_indexed(out.ok, {a.id: stamp for a, stamp in outbox})
        res.alerts_acknowledged = len(out.ok)
        res.errors += [f"alert {i}: {e}" for i, e in sorted(out.failed.items())[:20]]
        if out.failed:
            return res  # the cluster is unhealthy: reconciling now would only fail again
    local = {a.id: a for a in store.list_alerts()}
    held = es.alert_review_marks() if local else {}
    histories = journal.histories(list(local)) if local else {}
    # review work only the cluster has (made there before reviews were journalled): the journal takes it over
    richer = [i for i in local if i in held and held[i][1] > len(histories.get(i, []))]
    if richer:
        for i, (status, assignee, history) in es.review_documents(richer).items():
            res.reviews_adopted += journal.adopt(i, status, assignee, history)
        local = {a.id: a for a in store.list_alerts()}
        histories = journal.histories(list(local))
    stale = [a for i, a in local.items() if held.get(i) != (a.status, len(histories.get(i, [])))]
    if stale:
        log.warning("cluster lacks %d alerts or their review state; resending", len(stale))
        out = es.index_alerts(stale, reviews=es.reviews_of(journal, [a.id for a in stale]))
        res.alerts_resent = len(out.ok)
        res.errors += [f"alert {i}: {e}" for i, e in sorted(out.failed.items())[:20]]
    silences = journal.silences()
    if silences:
        out = es.index_silences(silences)
        res.errors += [f"silence {i}: {e}" for i, e in sorted(out.failed.items())[:20]]
    return res


def _doc_digest(doc_json: str, tag_json: str) -> str:
    return hashlib.sha256((doc_json + "\x1f" + tag_json).encode()).hexdigest()[:24]


def sync_documents(store: Store, es: ElasticAlertStore, res: SyncResult) -> None:
    """Index documents (with their technology tags) that changed since they were last acknowledged."""
    known = store.indexed_document_digests()
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
    store.mark_documents_indexed({i: digests[i] for i in out.ok})
    res.documents = len(out.ok)
    res.errors += [f"document {i}: {e}" for i, e in sorted(out.failed.items())[:20]]


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
        for k in ("alerts_sent", "alerts_acknowledged", "alerts_resent", "reviews_adopted"):
            setattr(res, k, getattr(alerts, k))
        res.errors += alerts.errors
    except (TransportError, ApiError) as e:
        res.errors.append(f"Elasticsearch: {type(e).__name__}: {e}")
    except Exception as e:  # an index error must not lose the run: local data stays, the outbox remains
        res.errors.append(f"{type(e).__name__}: {e}")
    return res


def sync_from_settings(store: Store, settings) -> SyncResult | None:
    """What `ews run` calls after the local stages when `EWS_ES_URL` is set; None without it."""
    if not settings.es_url:
        return None
    es = ElasticAlertStore.from_settings(settings, journal=EmbeddedAlertStore(store))
    try:
        return sync_to_elasticsearch(store, es)
    finally:
        es.close()


def describe(res: SyncResult) -> str:
    return json.dumps({k: getattr(res, k) for k in ("documents", "documents_skipped", "trends", "alerts_sent",
                                                     "alerts_acknowledged", "alerts_resent", "reviews_adopted")} | {"errors": res.errors[:5]})
