"""Stage functions as the Airflow tasks call them: plain arguments in, JSON-able summaries out.

Each opens the store from settings, so a task needs nothing but its arguments
and the `EWS_*` environment; the `ews` command calls the same pipeline functions.
"""
from __future__ import annotations

import datetime as dt
import json
import os

from ews import pipeline
from ews.config import get_settings
from ews.store import Store


def _registry(source_ids: list[str] | None = None):
    from crawlers.registry import load_registry

    base = os.environ.get("EWS_DEMO_BASE_URL")
    sources = load_registry(demo=bool(base), base_url=base)
    if source_ids is not None:
        wanted = set(source_ids)
        missing = wanted - {s.id for s in sources}
        if missing:
            raise KeyError(f"unknown source id(s): {sorted(missing)}")
        sources = [s for s in sources if s.id in wanted]
    return sources


def source_ids_by_kind(kind: str) -> list[str]:
    return [s.id for s in _registry() if s.kind == kind]


def crawl_source(source_id: str, window_start: str, window_end: str) -> dict:
    """Crawl one source for one data interval; raises if the source failed, so Airflow retries it."""
    with Store(get_settings().home) as store:
        (health,) = pipeline.crawl(store, _registry([source_id]), dt.date.fromisoformat(window_start[:10]),
                                   dt.date.fromisoformat(window_end[:10]))
    if not health.ok:
        raise RuntimeError(f"source {source_id} failed: {'; '.join(health.error_messages[:3])}")
    return health.model_dump(mode="json")


def classify_documents() -> int:
    with Store(get_settings().home) as store:
        return pipeline.classify(store)


def count_series(as_of: str | None = None) -> int:
    with Store(get_settings().home) as store:
        return pipeline.count(store, as_of=dt.date.fromisoformat(as_of[:10]) if as_of else None)


def detect_alerts(as_of: str | None = None) -> dict:
    with Store(get_settings().home) as store:
        return pipeline.detect_and_alert(store, as_of=dt.date.fromisoformat(as_of[:10]) if as_of else None)


def index_to_elasticsearch() -> dict | None:
    """Raises when the cluster refused part of the run, so Airflow retries; the outbox keeps the rest."""
    with Store(get_settings().home) as store:
        res = pipeline.index(store)
    if res is None:
        return None
    if not res.ok:
        raise RuntimeError(f"indexing incomplete: {'; '.join(res.errors[:3])}")
    from alerts.sync import describe

    return json.loads(describe(res))


def write_report() -> str:
    settings = get_settings()
    with Store(settings.home) as store:
        return str(pipeline.report(store, settings.reports_dir))
