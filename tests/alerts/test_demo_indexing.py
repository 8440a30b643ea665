"""A demo run indexed into a real OpenSearch-compatible server: documents, alerts and trends,
and a second run leaves every count unchanged."""
import pytest

from alerts.sync import sync_to_elasticsearch
from ews.app.runner import run_pipeline
from ews.kernel.config import load_settings
from ews.kernel.store import Store

pytestmark = pytest.mark.integration


def index_counts(es_store):
    es_store.refresh()
    return {fam: es_store.es.count(index=n.read)["count"] for fam, n in es_store.names.items()}


def test_demo_run_indexes_documents_alerts_trends_once(ews_home, es_store):
    counts = []
    for _ in range(2):
        run_pipeline(load_settings(), demo=True)
        with Store(ews_home) as store:
            res = sync_to_elasticsearch(store, es_store)
            assert res.ok, res.errors
            assert store.pending_alerts() == []  # the outbox is empty once the cluster acknowledged
            local = store.stats()
        counts.append(index_counts(es_store))
    first, second = counts
    assert first == second
    assert first["documents"] == local["documents"] > 1000
    assert first["alerts"] == local["alerts"] > 0
    assert first["trends"] == local["counts"]
