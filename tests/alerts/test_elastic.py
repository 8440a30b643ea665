"""Elasticsearch-specific behaviour against the session's cluster: a real node on 127.0.0.1
(osmem-server only where none can run, see `elastic_testing`)."""
from __future__ import annotations

import datetime as dt
import threading
import uuid

import pandas as pd
import pytest
from elastic_testing import es_node
from elastic_transport import Urllib3HttpNode
from elasticsearch import Elasticsearch

from alerts.build import alerts_from_detections
from alerts.elastic import ElasticAlertStore
from alerts.sync import sync_to_elasticsearch
from ews.kernel.schema import Detection, Document, Party, PatentInfo, TaggedDocument, Tagging, TechnologyScore
from ews.kernel.store import Store

pytestmark = pytest.mark.integration

# "반도체 기술은" under each analysis the store can choose
KOREAN_TOKENS = {"nori": ["반", "도체", "기술", "은"], "cjk_bigram": ["반도", "도체", "기술", "술은"],
                 "standard": ["반도체", "기술은"]}


def test_templates_aliases_and_strict_mappings(es_store):
    es = es_store.es
    for fam, n in es_store.names.items():
        t = es.indices.get_index_template(name=n.template)["index_templates"][0]["index_template"]
        assert t["version"] == es_store.versions[fam] and t["index_patterns"] == [f"{es_store.prefix}-{fam}-v*"]
        assert es.indices.get_alias(name=n.read).body.keys() == {n.index}
        assert es.indices.get_alias(name=n.write)[n.index]["aliases"][n.write].get("is_write_index") is True
        assert es.indices.get_mapping(index=n.read)[n.index]["mappings"]["dynamic"] == "strict"
    es_store.setup()  # idempotent
    assert es.indices.get_alias(name=es_store.names["alerts"].read).body.keys() == {es_store.names["alerts"].index}


def test_mapping_change_is_a_reindex_behind_the_aliases(es_store):
    es_store.upsert_alerts(alerts_from_detections([Detection(series="tech:semi.memory", period="2023-07", observed=9,
                                                             expected=2, alarm=True, direction="surge", score=0.9,
                                                             method="m")]))
    up = es_store.versions["alerts"] + 1
    v2 = ElasticAlertStore(es_store.es, prefix=es_store.prefix, versions={"alerts": up}, journal=es_store.journal)
    v2.setup()
    assert es_store.es.indices.get_alias(name=v2.names["alerts"].read).body.keys() == {f"{es_store.prefix}-alerts-v{up}"}
    assert es_store.es.indices.get_alias(name=v2.names["alerts"].write).body.keys() == {f"{es_store.prefix}-alerts-v{up}"}
    assert v2.count_alerts() == 1 and v2.search()[0].alert.series == "tech:semi.memory"


def test_alerts_stored_before_kinds_are_migrated_with_their_ids_and_reviews(es_server, tmp_path):
    """A v1 index holds a silent source and a failed task disguised as drops, reviewed in the cluster; the v2
    store gives them their kind and direction, keeps ids, and the next run's sync hands the journal the status
    and history only the cluster had; the new direction finds them."""
    from alerts.build import pipeline_failure_alert
    from alerts.embedded import EmbeddedAlertStore
    from alerts.sync import sync_alerts
    from ews.kernel.ids import alert_id
    from ews.kernel.schema import Alert

    client = es_server.client()
    prefix = "legacy" + dt.datetime.now().strftime("%H%M%S%f")
    old = ElasticAlertStore(client, prefix=prefix, versions={"alerts": 1})
    old.setup()
    now = dt.datetime.now(dt.UTC).isoformat()
    silent_id = alert_id("source_silent", "source:kr.msit", "2024-03-04")
    legacy = [
        {"id": silent_id, "detector": "source_silent", "series": "source:kr.msit", "period": "2024-03",
         "direction": "drop", "observed": 0.0, "expected": 10.7, "score": 1.0, "severity": 0.8, "method": "silent",
         "explanation": "source kr.msit returned no items", "evidence": {}, "status": "triaged",
         "assignee": "kim", "history": [{"alert_id": silent_id, "at": now, "actor": "kim", "action": "status",
                                          "from_status": "new", "to_status": "triaged", "note": ""}],
         "first_seen": now, "last_seen": now},
        {**pipeline_failure_alert("ews_monitoring", "index", None, None, "manual__1", "boom").model_dump(mode="json"),
         "direction": "drop", "observed": 0.0, "expected": 1.0, "assignee": None, "history": []},
    ]
    legacy[1].pop("kind")
    for doc in legacy:
        client.index(index=old.names["alerts"].write, id=doc["id"], document=doc, refresh=True)
    # a deployment of then: the pipeline wrote every alert into the data directory too, its review only in the cluster
    home = Store(tmp_path / "home")
    home.upsert_alerts([Alert.model_validate({k: v for k, v in d.items() if k not in ("assignee", "history")}
                                             | {"status": "new"}) for d in legacy])
    sent = home.outbox()  # ... and had sent them to the cluster long ago
    home.mark_indexed([a.id for a, _ in sent], {a.id: stamp for a, stamp in sent})
    new = ElasticAlertStore(client, prefix=prefix, journal=EmbeddedAlertStore(home))
    new.setup()
    assert sync_alerts(home, new).reviews_adopted == 1
    got = new.get(silent_id)
    assert (got.alert.kind, got.alert.direction, got.alert.status, got.assignee) == ("source_silent", "silent",
                                                                                     "triaged", "kim")
    assert [h.to_status for h in new.history(silent_id)] == ["triaged"]
    failed = new.get(legacy[1]["id"]).alert
    assert (failed.kind, failed.direction, failed.observed, failed.expected) == ("pipeline_failure", "failure",
                                                                                 None, None)
    from alerts.base import AlertQuery

    new.refresh()  # a real node searches what the last refresh made visible
    assert [r.alert.id for r in new.search(AlertQuery(direction="silent"))] == [silent_id]
    assert new.search(AlertQuery(direction="drop")) == []
    client.close()


def test_bulk_reports_per_item_errors_and_indexes_the_rest(es_store):
    w = es_store.names["trends"].write
    actions = [{"_op_type": "index", "_index": w, "_id": f"ok{i}", "_source": {"series": "s", "period": f"2023-0{i}", "count": i}}
               for i in range(1, 4)]
    actions.insert(1, {"_op_type": "index", "_index": w, "_id": "bad", "_source": {"series": "s", "not_a_field": 1}})
    out = es_store.bulk(actions, refresh=True)
    assert sorted(out.ok) == ["ok1", "ok2", "ok3"]
    assert list(out.failed) == ["bad"] and "strict_dynamic_mapping" in out.failed["bad"]
    assert out.attempts == 1  # a bad document is not retried


def _local_store(home, n_docs=40, n_alerts=0) -> Store:
    store = Store(home)
    now = dt.datetime.now(dt.UTC)
    docs = [Document.build(source="demo", source_key=str(i), kind="patent", title=f"반도체 메모리 셀 {i}",
                           text="DRAM memory cell with a capacitor", lang="ko", fetched_at=now, published=dt.date(2023, 1 + i % 12, 5),
                           patent=PatentInfo(application_date=dt.date(2023, 1 + i % 12, 1), cpc=["H10B12/00"],
                                             applicants=[Party(name="SAMSUNG ELECTRONICS", country="KR")]))
            for i in range(n_docs)]
    store.upsert_documents(docs)
    store.upsert_tagged(TaggedDocument(doc_id=d.id, model_version="t1", taxonomy_version="2024.1",
                                       tagging=Tagging(id=d.id, fields=["semi"], technologies=[TechnologyScore(id="semi.memory", score=0.8)]))
                        for d in docs)
    rows = [(f"tech:t{k}.x", f"2023-{m:02d}", m + k) for k in range(5) for m in range(1, 13)]
    store.replace_counts(pd.DataFrame(rows, columns=["series", "period", "count"]))
    ds = [Detection(series=f"tech:t{k}.x|applicant:A{k}", period=f"20{10 + k // 12:02d}-{1 + k % 12:02d}", observed=20 + k % 7,
                    expected=4, lower=1, upper=9, alarm=True, direction="surge", score=0.9, method="nb")
          for k in range(n_alerts)]
    store.upsert_alerts(alerts_from_detections(ds))
    return store


def test_a_run_indexes_documents_alerts_and_trends_and_a_rerun_changes_no_counts(tmp_path, es_store):
    store = _local_store(tmp_path / "home", n_docs=40, n_alerts=12)
    first = sync_to_elasticsearch(store, es_store)
    assert first.ok, first.errors
    assert (first.documents, first.trends, first.alerts_acknowledged) == (40, 60, 12)
    assert store.pending_alerts() == []
    counts = (es_store.count_documents(), es_store.count_alerts(),
              int(es_store.es.count(index=es_store.names["trends"].read)["count"]))
    assert counts == (40, 12, 60)
    hits = es_store.es.search(index=es_store.names["documents"].read,
                              query={"simple_query_string": {"query": "메모리", "fields": ["title"]}})["hits"]["total"]["value"]
    assert hits == 40
    second = sync_to_elasticsearch(store, es_store)
    assert second.ok and second.documents == 0 and second.documents_skipped == 40 and second.alerts_sent == 0
    es_store.refresh()
    assert (es_store.count_documents(), es_store.count_alerts(),
            int(es_store.es.count(index=es_store.names["trends"].read)["count"])) == counts


def test_korean_text_gets_the_analysis_the_cluster_offers(es_server, es_store):
    # osmem has CJK bigrams; the real node has nori when Maven served the plugin, else the standard tokenizer
    expected = es_server.expected_text_analysis
    assert es_store.text_analysis == expected
    tokens = es_store.es.indices.analyze(index=es_store.names["documents"].read, analyzer="ko_text",
                                         text="반도체 기술은")["tokens"]
    assert [t["token"] for t in tokens] == KOREAN_TOKENS[expected]
    template = es_store.es.indices.get_index_template(name=es_store.names["documents"].template)
    assert template["index_templates"][0]["index_template"]["_meta"]["text_analysis"] == expected


def test_cluster_down_loses_nothing(tmp_path):
    store = _local_store(tmp_path / "home", n_docs=3, n_alerts=5)
    dead = ElasticAlertStore(Elasticsearch(f"http://127.0.0.1:{es_node.free_port()}", max_retries=0), prefix="down",
                             retries=1, initial_backoff=0.01)
    res = sync_to_elasticsearch(store, dead)
    assert not res.ok and "Connection" in " ".join(res.errors)
    assert len(store.pending_alerts()) == 5


class KillOnBulk(Urllib3HttpNode):
    """Stops the node by its pid (SIGKILL) just before the n-th bulk request to one index family; test-only."""

    target = b""
    kill_at = 0
    seen = 0
    state_dir = None
    lock = threading.Lock()

    def perform_request(self, method, target, body=None, headers=None, **kw):
        if target.split("?")[0].endswith("/_bulk") and body and KillOnBulk.target in body:
            with KillOnBulk.lock:
                KillOnBulk.seen += 1
                if KillOnBulk.seen == KillOnBulk.kill_at and KillOnBulk.state_dir is not None:
                    assert es_node.stop(KillOnBulk.state_dir, kill=True)
        return super().perform_request(method, target, body, headers, **kw)


def _killing_run(store: Store, url: str, state_dir, prefix: str, family: str, kill_at: int):
    KillOnBulk.target, KillOnBulk.kill_at, KillOnBulk.seen = f"-{family}-write".encode(), kill_at, 0
    KillOnBulk.state_dir = state_dir
    client = Elasticsearch(url, node_class=KillOnBulk, max_retries=0)
    try:
        es = ElasticAlertStore(client, prefix=prefix, chunk_size=500, retries=1, initial_backoff=0.01, max_backoff=0.05)
        return sync_to_elasticsearch(store, es)
    finally:
        KillOnBulk.state_dir = None
        client.close()


def test_node_killed_mid_bulk_then_restarted_on_its_data_loses_and_doubles_nothing(tmp_path, es_server):
    if not es_server.real:
        pytest.skip("needs a real node: its data must survive the restart")
    store = _local_store(tmp_path / "home", n_docs=3000, n_alerts=2000)
    local = store.stats()
    state, prefix = es_server.node.state_dir, f"fault{uuid.uuid4().hex[:8]}"
    try:
        # the session's node dies (SIGKILL by its pid) before the second alert chunk: documents and
        # trends are in, one chunk of 500 alerts is acknowledged, the rest stays in the outbox
        res = _killing_run(store, es_server.url, state, prefix, "alerts", kill_at=2)
        assert not res.ok
        assert res.documents == local["documents"] and res.alerts_acknowledged == 500
        assert len(store.pending_alerts()) == local["alerts"] - 500
    finally:
        es_server.restart()  # same data directory and port: the other tests go on with it

    client = es_server.client()
    es = ElasticAlertStore(client, prefix=prefix, chunk_size=500)
    res = sync_to_elasticsearch(store, es)
    assert res.ok, res.errors
    # the next run drains the outbox; what the node acknowledged before dying survived, so nothing is resent
    assert res.alerts_acknowledged == local["alerts"] - 500 and res.alerts_resent == 0
    assert res.documents == 0 and res.documents_skipped == local["documents"]
    assert store.pending_alerts() == []
    es.refresh()
    assert es.count_alerts() == local["alerts"] and es.count_documents() == local["documents"]
    assert es.alert_ids() == {a.id for a in store.list_alerts()}
    for family in ("alerts", "documents"):
        dupes = client.search(index=es.names[family].read, size=0,
                              aggs={"ids": {"terms": {"field": "id", "min_doc_count": 2, "size": 10}}})
        assert dupes["aggregations"]["ids"]["buckets"] == [], family
    client.close()
