"""One truth for review state with Elasticsearch on: reviews are journalled in the data directory first,
the cluster indexes them, and a cluster that comes back empty gets status and history back from the next run.
The pipeline's re-alerting window and both reports see the review made through the Elasticsearch store."""
from __future__ import annotations

import json
import re

import pytest
from elastic_testing import es_node
from elasticsearch import Elasticsearch

from alerts.base import AlertQuery
from alerts.elastic import ElasticAlertStore
from alerts.embedded import EmbeddedAlertStore
from analysis.annual import annual_report
from ews.app.runner import run_pipeline
from ews.kernel.config import load_settings
from ews.kernel.store import Store

pytestmark = pytest.mark.integration


def lose_everything(es: ElasticAlertStore) -> None:
    """What a cluster that restarted empty holds of this store: nothing (indices, aliases, templates gone).
    Indices are deleted by name: a real node refuses wildcard deletes."""
    names = list(es.es.indices.get(index=f"{es.prefix}-*").body)
    for name in names:
        es.es.indices.delete(index=name)
    for n in es.names.values():
        es.es.indices.delete_index_template(name=n.template)
    assert not es.es.indices.get(index=f"{es.prefix}-*", allow_no_indices=True).body


def es_doc(es: ElasticAlertStore, alert_id: str) -> dict:
    es.refresh()
    return es.es.get(index=es.names["alerts"].read, id=alert_id)["_source"]


def report_status(home, alert_id: str) -> str:
    html = (home / "reports" / "report.html").read_text(encoding="utf-8")
    row = re.search(rf'<tr id="alert-{re.escape(alert_id)}">(.*?)</tr>', html, re.S)
    assert row, f"alert {alert_id} not in the run report"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    return cells[6].strip()  # severity, series, period, direction, observed, expected, status


def annual_statuses(store: Store, es: ElasticAlertStore, year: int, out) -> dict[str, str]:
    annual_report(store, year, out, alerts=es)
    data = json.loads((out / "annual" / str(year) / "trends.json").read_text(encoding="utf-8"))
    return {a["id"]: a["status"] for f in data["fields"] for a in f["alerts"]}


def test_reviews_survive_a_cluster_that_restarts_empty_and_every_reader_sees_them(ews_home, es_store, tmp_path):
    settings = load_settings()
    first = run_pipeline(settings, demo=True, alert_store=es_store)
    assert first.index is not None and first.index.ok, first.index.errors
    # two count alerts of one year: one to confirm with a history of three entries, one to dismiss
    counted = [a for a in es_store.all_alerts() if a.detector == "count" and re.match(r"^\d{4}-\d{2}$", a.period)]
    year = max({int(a.period[:4]) for a in counted}, key=lambda y: sum(a.period.startswith(str(y)) for a in counted))
    kept, dropped = [a for a in counted if a.period.startswith(str(year))][:2]

    r = es_store.get(kept.id)
    r = es_store.review(kept.id, actor="kim", version=r.version, status="triaged", note="looks real")
    r = es_store.review(kept.id, actor="lee", version=r.version, assignee="park", note="park checks the filings")
    r = es_store.review(kept.id, actor="park", version=r.version, status="confirmed", note="three filings abroad")
    d = es_store.get(dropped.id)
    es_store.review(dropped.id, actor="kim", version=d.version, status="dismissed", note="a parser duplicate")
    history = es_store.history(kept.id)
    assert [h.action for h in history] == ["status", "assign", "status"]
    assert es_doc(es_store, kept.id)["status"] == "confirmed"
    assert len(es_doc(es_store, kept.id)["history"]) == 3
    with Store(ews_home) as store:
        assert store.pending_alerts() == []  # the cluster acknowledged every review

    lose_everything(es_store)
    second = run_pipeline(settings, crawl=False, alert_store=es_store)  # `ews run --no-crawl`: the monitoring stages
    assert second.index.ok, second.index.errors
    # re-detected alerts come back through the outbox, with their review state from the journal
    assert second.index.alerts_sent + second.index.alerts_resent >= len(counted)

    # the cluster holds the journal's review state again: status, assignee, history, and its version
    doc = es_doc(es_store, kept.id)
    assert doc["status"] == "confirmed" and doc["assignee"] == "park"
    assert [(h["actor"], h["action"], h.get("to_status"), h["note"]) for h in doc["history"]] == [
        (h.actor, h.action, h.to_status, h.note) for h in history]
    assert es_doc(es_store, dropped.id)["status"] == "dismissed"
    assert es_store.get(kept.id).version == r.version
    found = es_store.search(AlertQuery(status=["confirmed"], size=1000))
    assert kept.id in {x.alert.id for x in found}
    # a dismissed alert stays dismissed: the re-run re-detected it and kept the verdict
    assert {a.id: a.status for a in second.alert_list}[dropped.id] == "dismissed"
    assert {a.id: a.status for a in second.alert_list}[kept.id] == "confirmed"

    # lost again, and this time only a sync runs (nothing re-detected, the outbox empty): reconciliation
    # finds every alert missing and restores it with its review state
    lose_everything(es_store)
    with Store(ews_home) as store:
        from alerts.sync import sync_to_elasticsearch

        assert store.pending_alerts() == []
        res = sync_to_elasticsearch(store, es_store)
        assert res.ok, res.errors
        assert res.alerts_sent == 0 and res.alerts_resent == store.stats()["alerts"]
    assert len(es_doc(es_store, kept.id)["history"]) == 3
    assert es_doc(es_store, dropped.id)["status"] == "dismissed"

    # both reports show the reviewed status
    assert report_status(ews_home, kept.id) == "confirmed"
    assert report_status(ews_home, dropped.id) == "dismissed"
    with Store(ews_home) as store:
        statuses = annual_statuses(store, es_store, year, tmp_path / "reports")
    assert statuses[kept.id] == "confirmed" and statuses[dropped.id] == "dismissed"


def test_a_review_while_the_cluster_is_down_is_kept_and_indexed_by_the_next_sync(ews_home, es_store):
    from alerts.build import alerts_from_detections
    from alerts.sync import sync_to_elasticsearch
    from ews.kernel.schema import Detection

    det = Detection(series="tech:semi.memory", period="2023-07", observed=40, expected=10, lower=5, upper=20,
                    alarm=True, direction="surge", score=0.97, method="m")
    es_store.upsert_alerts(alerts_from_detections([det]))
    (a,) = es_store.all_alerts()
    dead = ElasticAlertStore(Elasticsearch(f"http://127.0.0.1:{es_node.free_port()}", max_retries=0), prefix=es_store.prefix,
                             retries=0, journal=es_store.journal)
    r = dead.review(a.id, actor="kim", version=dead.get(a.id).version, status="dismissed", note="noise")
    assert r.alert.status == "dismissed"  # saved although the cluster is unreachable
    with Store(ews_home) as store:
        assert [x.id for x in store.pending_alerts()] == [a.id]
        assert es_doc(es_store, a.id)["status"] == "new"  # the cluster has not seen it yet
        res = sync_to_elasticsearch(store, es_store)
        assert res.ok, res.errors
        assert store.pending_alerts() == []
    doc = es_doc(es_store, a.id)
    assert doc["status"] == "dismissed" and [h["note"] for h in doc["history"]] == ["noise"]


def test_an_alert_reviewed_while_it_was_being_sent_stays_in_the_outbox(ews_home):
    from alerts.build import alerts_from_detections
    from ews.kernel.schema import Detection

    det = Detection(series="tech:semi.memory", period="2023-07", observed=40, expected=10, lower=5, upper=20,
                    alarm=True, direction="surge", score=0.97, method="m")
    with Store(ews_home) as store, EmbeddedAlertStore(store) as journal:
        journal.upsert_alerts(alerts_from_detections([det]))
        sent = store.outbox()  # what a sync read and is sending
        (a,) = [x for x, _ in sent]
        journal.review(a.id, actor="kim", version="0", status="triaged")  # meanwhile
        store.mark_indexed([a.id], {x.id: stamp for x, stamp in sent})  # the cluster acknowledged the old one
        assert [x.status for x in store.pending_alerts()] == ["triaged"]


def test_reviews_the_cluster_holds_and_the_journal_lacks_are_taken_over(ews_home, es_store):
    """A deployment that reviewed in Elasticsearch before reviews were journalled keeps that work."""
    from alerts.build import alerts_from_detections
    from alerts.sync import sync_to_elasticsearch
    from ews.kernel.schema import Detection

    det = Detection(series="tech:semi.memory", period="2023-07", observed=40, expected=10, lower=5, upper=20,
                    alarm=True, direction="surge", score=0.97, method="m")
    es_store.upsert_alerts(alerts_from_detections([det]))
    (a,) = es_store.all_alerts()
    src = es_doc(es_store, a.id)
    src.update(status="dismissed", assignee="kim", history=[
        {"alert_id": a.id, "at": "2024-01-02T03:04:05+00:00", "actor": "kim", "action": "status",
         "from_status": "new", "to_status": "dismissed", "assignee": None, "note": "reviewed in the cluster"}])
    es_store.es.index(index=es_store.names["alerts"].write, id=a.id, document=src, refresh=True)
    with Store(ews_home) as store:
        res = sync_to_elasticsearch(store, es_store)
        assert res.ok and res.reviews_adopted == 1 and res.alerts_resent == 0, res
        again = sync_to_elasticsearch(store, es_store)
        assert again.reviews_adopted == 0 and again.alerts_resent == 0
    r = es_store.get(a.id)
    assert (r.alert.status, r.assignee) == ("dismissed", "kim")
    assert [h.note for h in es_store.history(a.id)] == ["reviewed in the cluster"]
    assert es_doc(es_store, a.id)["status"] == "dismissed"
