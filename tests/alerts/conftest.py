"""Fixtures for the alert stores: an osmem-server on 127.0.0.1 and a client that can talk to it
(the Content-Type adaptation lives in `osmem_testing`, used only by the tests)."""
from __future__ import annotations

import uuid

import pytest
from osmem_testing import es_client, start_osmem

from alerts.elastic import ElasticAlertStore
from alerts.embedded import EmbeddedAlertStore


@pytest.fixture(scope="session")
def es_server():
    server = start_osmem()
    yield server
    server.close()


@pytest.fixture
def es_store(es_server, ews_home):
    """A fresh store under its own index prefix on the shared server, its review journal in the test's data
    directory (as `ElasticAlertStore.from_settings` would have it)."""
    client = es_client(es_server.url)
    journal = EmbeddedAlertStore(ews_home)
    store = ElasticAlertStore(client, prefix=f"t{uuid.uuid4().hex[:10]}", initial_backoff=0.05, max_backoff=0.5,
                              journal=journal)
    store.setup()
    yield store
    client.close()
    journal.close()
