"""`ews run --demo` twice with EWS_ES_URL set: documents, alerts and trends land in Elasticsearch,
as many as the embedded store holds, and the second run changes no count."""
import uuid

import pytest

from alerts.elastic import ElasticAlertStore
from alerts.embedded import EmbeddedAlertStore
from alerts.sync import sync_to_elasticsearch
from ews.app.runner import run_pipeline
from ews.kernel.config import load_settings
from ews.kernel.store import Store
from tests.app.cli import ews

pytestmark = pytest.mark.integration


def index_counts(es_store):
    es_store.refresh()
    return {fam: es_store.es.count(index=n.read)["count"] for fam, n in es_store.names.items()}


def test_demo_run_indexes_documents_alerts_trends_once(ews_home, es_server, monkeypatch):
    prefix = f"demo{uuid.uuid4().hex[:8]}"
    client = es_server.client()
    # reads need no review journal; the in-process sync (osmem) writes, so it gets the data directory's
    journal = None if es_server.real else EmbeddedAlertStore(ews_home)
    es_store = ElasticAlertStore(client, prefix=prefix, journal=journal)
    counts = []
    for _ in range(2):
        if es_server.real:  # the command itself (in-process), as a user runs it after `make elasticsearch`
            monkeypatch.setenv("EWS_ES_URL", es_server.url)
            monkeypatch.setenv("EWS_ES_INDEX_PREFIX", prefix)
            res = ews("run", "--demo")
            assert res.returncode == 0, res.stderr[-3000:] + res.stdout[-3000:]
        else:  # osmem needs the test-only client adaptation, so the run and the sync happen in-process
            run_pipeline(load_settings(), demo=True)
            with Store(ews_home) as store:
                res = sync_to_elasticsearch(store, es_store)
                assert res.ok, res.errors
        with Store(ews_home) as store:
            assert store.pending_alerts() == []  # the outbox is empty once the cluster acknowledged
            local = store.stats()
            local_ids = {a.id for a in store.list_alerts()}
        counts.append(index_counts(es_store))
        assert es_store.alert_ids() == local_ids
    first, second = counts
    assert first == second
    assert first["documents"] == local["documents"] > 1000
    assert first["alerts"] == local["alerts"] > 0
    assert first["trends"] == local["counts"]
    client.close()
    if journal is not None:
        journal.close()
