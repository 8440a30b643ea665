"""Stage functions as the Airflow tasks call them: plain arguments in, JSON-able summaries out.

Each task function is an entry point: it builds the settings once (`settings_from_airflow`: the
`EWS_*` environment, with what it lacks filled from Airflow connections) unless the caller passes
them, opens the store and the alert store, and passes them down; the `ews` command calls the same
pipeline functions.
"""
from __future__ import annotations

import datetime as dt
import json
import os

from ews.app import pipeline
from ews.app.progress import Progress
from ews.kernel.config import Settings, load_settings
from ews.kernel.store import Store


def _registry(settings: Settings, source_ids: list[str] | None = None):
    from crawlers.registry import load_registry

    base = settings.demo_base_url
    sources = load_registry(demo=bool(base), base_url=base)
    if source_ids is not None:
        wanted = set(source_ids)
        missing = wanted - {s.id for s in sources}
        if missing:
            raise KeyError(f"unknown source id(s): {sorted(missing)}")
        sources = [s for s in sources if s.id in wanted]
    return sources


def source_ids_by_kind(kind: str, settings: Settings | None = None) -> list[str]:
    return [s.id for s in _registry(settings or load_settings()) if s.kind == kind]


def crawl_source(source_id: str, window_start: str, window_end: str, settings: Settings | None = None) -> dict:
    """Crawl one source for one data interval; raises if the source failed, so Airflow retries it."""
    settings = settings or settings_from_airflow([source_id])
    with Store(settings.home) as store:
        (health,) = pipeline.crawl(store, _registry(settings, [source_id]), dt.date.fromisoformat(window_start[:10]),
                                   dt.date.fromisoformat(window_end[:10]), settings, progress=Progress.to_log())
    if not health.ok:
        raise RuntimeError(f"source {source_id} failed: {'; '.join(health.error_messages[:3])}")
    return health.model_dump(mode="json")


def classify_documents(settings: Settings | None = None) -> int:
    settings = settings or settings_from_airflow()
    with Store(settings.home) as store:
        return pipeline.classify(store, settings, progress=Progress.to_log())


def count_series(as_of: str | None = None, settings: Settings | None = None) -> int:
    settings = settings or settings_from_airflow()
    with Store(settings.home) as store:
        return pipeline.count(store, as_of=dt.date.fromisoformat(as_of[:10]) if as_of else None,
                              progress=Progress.to_log())


def detect_alerts(as_of: str | None = None, settings: Settings | None = None) -> dict:
    from alerts.stores import open_alert_store

    settings = settings or settings_from_airflow()
    with Store(settings.home) as store, open_alert_store(settings, store) as alert_store:
        return pipeline.detect_and_alert(store, alert_store,
                                         as_of=dt.date.fromisoformat(as_of[:10]) if as_of else None,
                                         min_documents=settings.detect_min_documents, progress=Progress.to_log())


def index_to_elasticsearch(settings: Settings | None = None) -> dict:
    """Raises when the cluster refused part of the run, so Airflow retries; the outbox keeps the rest.

    Without Elasticsearch the answer says so (a task returning None leaves no XCom, and the next
    task's pull of it is logged as an error on every run)."""
    from alerts.stores import open_alert_store

    settings = settings or settings_from_airflow()
    with Store(settings.home) as store, open_alert_store(settings, store) as alert_store:
        res = pipeline.index(store, alert_store)
        waiting = pipeline.pending(store) if res is not None else {}
    if res is None:
        return {"indexed": False, "reason": "EWS_ES_URL is not set: the embedded store is the alert store"}
    if not res.ok:
        raise RuntimeError(f"indexing incomplete ({waiting.get('alerts', 0)} alerts and "
                           f"{waiting.get('documents', 0)} documents pending in the outbox): {'; '.join(res.errors[:3])}")
    from alerts.sync import describe

    return json.loads(describe(res))


def notify_new_alerts(settings: Settings | None = None) -> dict:
    """Immediate notifications after detection; raises when a channel failed, so Airflow retries
    (the delivery log keeps what already went from being sent again)."""
    from alerts.stores import open_alert_store

    settings = settings or settings_from_airflow()
    with Store(settings.home) as store, open_alert_store(settings, store) as alert_store:
        summary = pipeline.notify(settings, alert_store).public()
    if summary["failed"]:
        raise RuntimeError(f"notifications failed: {'; '.join(summary['errors'][:3])}")
    return summary


def send_notification_digest(every: str, settings: Settings | None = None) -> dict:
    """The daily or weekly digest of open incidents, once per period per route and channel."""
    from alerts.notify import send_digest
    from alerts.stores import open_alert_store

    settings = settings or settings_from_airflow()
    with Store(settings.home) as store, open_alert_store(settings, store) as alert_store:
        summary = send_digest(settings, every, alert_store).public()
    if summary["failed"]:
        raise RuntimeError(f"digest failed: {'; '.join(summary['errors'][:3])}")
    return summary


def write_report(settings: Settings | None = None) -> str:
    from alerts.stores import open_alert_store

    settings = settings or settings_from_airflow()
    with Store(settings.home) as store, open_alert_store(settings, store) as alert_store:
        return str(pipeline.report(store, alert_store, settings.reports_dir, settings.app_url))


# --- maintenance jobs, failure alerts, credentials (called by the DAGs) ------------------------------------------
def retrain_classifier(settings: Settings | None = None, **params) -> dict:
    """Monthly retraining on the crawled patents; promotes the new model only if no worse on held-out patents."""
    from models.classify.promotion import retrain

    settings = settings or settings_from_airflow()
    with Store(settings.home) as store:
        return retrain(store, settings.models_dir, taxonomy_version=settings.taxonomy_version, **params)


def write_annual_report(year: int, settings: Settings | None = None) -> dict:
    from alerts.stores import open_alert_store
    from analysis.annual import annual_report

    settings = settings or settings_from_airflow()
    with Store(settings.home) as store, open_alert_store(settings, store) as alert_store:
        return annual_report(store, int(year), settings.reports_dir, alerts=alert_store,
                             taxonomy_version=settings.taxonomy_version)


def write_briefings(month: str, fields: list[str] | None = None, settings: Settings | None = None) -> dict:
    """The monthly briefing of each field (HTML and PDF) into reports/briefings/<month>/; a month that closes a
    year also writes each field's annual patent-trend report (HTML and PDF) into reports/annual/<year>/."""
    from analysis.briefing import write_annual, write_briefing
    from analysis.inputs import load_stage1
    from ews.kernel.taxonomy import load_taxonomy

    settings = settings or settings_from_airflow()
    tax = load_taxonomy(settings.taxonomy_version)
    unknown = sorted(set(fields or []) - set(tax.field_ids))
    if unknown:
        raise KeyError(f"unknown field id(s): {unknown}")
    data = load_stage1(settings)
    written: dict[str, dict] = {}
    out = settings.reports_dir / "briefings" / month
    for f in fields or tax.field_ids:
        written[f] = {k: str(v) for k, v in write_briefing(data, f, month, out, tax, home=settings.home).items()}
    annual = {}
    if month.endswith("-12"):
        year = int(month[:4])
        with Store(settings.home) as store:
            for f in fields or tax.field_ids:
                paths = write_annual(store, data, f, year, settings.reports_dir / "annual" / str(year), tax,
                                     home=settings.home)
                annual[f] = {k: str(v) for k, v in paths.items()}
    return {"month": month, "dir": str(out), "briefings": written, "annual": annual}


def write_taxonomy_review(window_start: str, window_end: str, settings: Settings | None = None) -> dict:
    from analysis.taxonomy_review import taxonomy_review

    settings = settings or settings_from_airflow()
    with Store(settings.home) as store:
        return taxonomy_review(store, dt.date.fromisoformat(window_start[:10]), dt.date.fromisoformat(window_end[:10]),
                               settings.reports_dir)


def record_task_failure(context, settings: Settings | None = None) -> str | None:
    """Airflow on_failure_callback: store an alert (detector 'pipeline') about the failed task; returns its id.

    Never raises: a broken callback must not hide the task's own failure.
    """
    import logging

    log = logging.getLogger(__name__)
    try:
        from alerts.build import pipeline_failure_alert
        from alerts.embedded import EmbeddedAlertStore

        ti = context.get("ti") or context.get("task_instance")
        dag_run = context.get("dag_run")
        start, end = context.get("data_interval_start"), context.get("data_interval_end")
        if start is None and dag_run is not None:
            start, end = getattr(dag_run, "data_interval_start", None), getattr(dag_run, "data_interval_end", None)
        exc = context.get("exception")
        task = context.get("task")
        source = (getattr(task, "params", None) or {}).get("source_id") if task is not None else None
        alert = pipeline_failure_alert(
            dag_id=ti.dag_id, task_id=ti.task_id, run_id=str(getattr(ti, "run_id", "") or getattr(dag_run, "run_id", "")),
            interval_start=start.isoformat() if start else None, interval_end=end.isoformat() if end else None,
            error=str(exc) if exc is not None else "unknown error", error_type=type(exc).__name__ if exc else "Error",
            try_number=getattr(ti, "try_number", None), source=source)
        settings = settings or load_settings()
        # into the review journal; the index stage's outbox carries it to Elasticsearch
        with EmbeddedAlertStore(settings.home) as journal:
            journal.record([alert])
        log.warning("pipeline alert %s stored for %s.%s", alert.id, ti.dag_id, ti.task_id)
        return alert.id
    except Exception:  # noqa: BLE001 - reported, never raised
        log.exception("could not store the pipeline failure alert")
        return None


# Airflow connection ids the tasks read credentials from, when the environment does not already set them.
ES_CONNECTION_ID = "ews_elasticsearch"


def _airflow_connection(conn_id: str):
    try:
        from airflow.sdk import Connection

        return Connection.get(conn_id)
    except Exception:  # noqa: BLE001 - not under Airflow, or no such connection
        return None


def settings_from_airflow(source_ids: list[str] | None = None) -> Settings:
    """The settings of an Airflow task: the environment, with unset credentials filled from Airflow connections.

    - `ews_elasticsearch`: es_url from its host/schema/port, es_username/es_password from login/password,
      es_ca_certs from extra "ca_certs".
    - every `*_env` variable a source of the registry names (PATENTSVIEW_API_KEY, EPO_OPS_KEY, …): the
      connection of the same name in lower case, its password (or login for *_MAILTO / client ids), into
      `source_credentials` (handed to the crawler process, never to this process's environment).
    A variable already set in the environment wins, so the environment alone also works. Every secret is
    registered with Airflow's log masker.
    """
    base = load_settings()
    update: dict = {}
    if not base.es_url:
        conn = _airflow_connection(ES_CONNECTION_ID)
        if conn is not None and conn.host:
            host = conn.host if "://" in conn.host else f"{conn.schema or 'https'}://{conn.host}"
            update["es_url"] = f"{host}:{conn.port}" if conn.port else host
            for name, value in (("es_username", conn.login), ("es_password", conn.password),
                                ("es_ca_certs", (conn.extra_dejson or {}).get("ca_certs"))):
                if value and getattr(base, name) is None:
                    update[name] = value
    credentials = dict(base.source_credentials)
    if source_ids:
        for s in _registry(base, source_ids):
            for key, var in (s.settings or {}).items():
                if not key.endswith("_env") or not isinstance(var, str) or os.environ.get(var) or var in credentials:
                    continue
                conn = _airflow_connection(var.lower())
                value = conn and (conn.password or conn.login)
                if value:
                    credentials[var] = value
    if credentials != base.source_credentials:
        update["source_credentials"] = credentials
    settings = load_settings(**update) if update else base  # validated like the environment's values
    _mask_in_task_logs(settings)
    return settings


def _mask_in_task_logs(settings: Settings) -> None:
    """Register every credential the environment and the settings hold with Airflow's secrets masker."""
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # not under Airflow
        return
    from ews.kernel.secrets import secret_values

    for value in secret_values(settings.secret_variables()):
        mask_secret(value)


def scrubbed(fn, *args, **kwargs):
    """Call fn; an exception comes back as a RuntimeError whose message has every credential removed (those
    of the environment and of a `settings=` argument; the original is not chained, so neither the task log
    nor the pipeline alert can show a password it held)."""
    try:
        return fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - re-raised, scrubbed
        from ews.kernel.secrets import scrub

        settings = kwargs.get("settings")
        extra = settings.secret_variables() if isinstance(settings, Settings) else None
        raise RuntimeError(f"{type(e).__name__}: {scrub(str(e), extra)}") from None
