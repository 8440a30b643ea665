"""Fixtures for the alert stores: one Elasticsearch cluster per test session (a real node started
by `tools/es_node.py`, or osmem-server where this machine cannot run one; see `elastic_testing`)."""
from __future__ import annotations

import uuid
import warnings

import pytest
from elastic_testing import start_cluster

from alerts.elastic import ElasticAlertStore
from alerts.embedded import EmbeddedAlertStore

_notices: list[str] = []


@pytest.fixture(scope="session")
def es_server():
    cluster = start_cluster()
    if cluster.notice:
        _notices.append(cluster.notice)
        warnings.warn(cluster.notice, stacklevel=1)
    yield cluster
    cluster.close()


@pytest.fixture
def es_store(es_server, ews_home):
    """A fresh store under its own index prefix on the shared cluster, its review journal in the test's data
    directory (as `ElasticAlertStore.from_settings` would have it)."""
    client = es_server.client()
    journal = EmbeddedAlertStore(ews_home)
    store = ElasticAlertStore(client, prefix=f"t{uuid.uuid4().hex[:10]}", initial_backoff=0.05, max_backoff=0.5,
                              journal=journal)
    store.setup()
    yield store
    client.close()
    journal.close()


def pytest_terminal_summary(terminalreporter):
    for notice in _notices:
        terminalreporter.write_sep("!", notice, yellow=True)
