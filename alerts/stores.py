"""Which alert store the settings select: Elasticsearch when `EWS_ES_URL` is set, else the embedded one.

Both keep review state in the data directory's review journal (`alerts.embedded`); the
Elasticsearch store indexes it for search. Entry points (the `ews` command, the Airflow
jobs, the tests) call this once with the settings they built and pass the store down.
"""
from __future__ import annotations

from alerts.base import AlertStore
from ews.kernel.store import Store


def open_alert_store(settings, store: Store | None = None) -> AlertStore:
    """The selected alert store; its review journal is `store` when given (the caller keeps it open),
    else the data directory's."""
    from alerts.embedded import EmbeddedAlertStore

    journal = EmbeddedAlertStore(store if store is not None else settings.home)
    if settings.es_url:
        from alerts.elastic import ElasticAlertStore

        return ElasticAlertStore.from_settings(settings, journal=journal, owns_journal=True)
    return journal
