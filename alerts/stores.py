"""Which alert store the settings select: Elasticsearch when `EWS_ES_URL` is set, else the embedded one."""
from __future__ import annotations

from alerts.base import AlertStore


def open_alert_store(settings=None) -> AlertStore:
    from ews.kernel.config import get_settings

    settings = settings or get_settings()
    if settings.es_url:
        from alerts.elastic import ElasticAlertStore

        return ElasticAlertStore.from_settings(settings)
    from alerts.embedded import EmbeddedAlertStore

    return EmbeddedAlertStore(settings.home)
