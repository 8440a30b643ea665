"""Crawl DAGs generated from the source registry: one DAG per source kind, one task per source.

The data interval is the crawl window; a failing source fails only its own task.
Each successful crawl updates the documents asset, which triggers monitoring.
"""
from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import Asset, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

DOCUMENTS = Asset("ews://documents")
# Cron expressions per source kind; a data-interval timetable makes each run's interval the crawl window
# (Airflow 3's plain cron schedules give runs an empty interval). Intervals start and end at midnight UTC,
# so `airflow dags test ews_crawl_patent 2024-06-03` crawls the week ending (exclusive) on that date.
SCHEDULES = {"policy": "0 0 * * *", "patent": "0 0 * * 1", "paper": "0 0 * * 1"}


def _on_failure(context) -> None:
    """Raise an alert of the pipeline's own (detector 'pipeline') so analysts see the failing source."""
    from ews.app.tasks import record_task_failure

    record_task_failure(context)


# retries wait 10, 20, 40 min (capped at 2 h); a crawl running over 3 h is killed and retried
DEFAULT_ARGS = {"retries": 3, "retry_delay": dt.timedelta(minutes=10), "retry_exponential_backoff": True,
                "max_retry_delay": dt.timedelta(hours=2), "execution_timeout": dt.timedelta(hours=3),
                "on_failure_callback": _on_failure}


def crawl_queue(kind: str, source_id: str) -> str | None:
    """The Celery queue of one crawl task, so worker pools can be partitioned by source (compose's scale profile).

    EWS_CRAWL_QUEUES=kind gives crawl-<kind>, =source gives crawl-<source id>, unset or none keeps Airflow's
    default queue. Executors without queues (LocalExecutor) ignore it.
    """
    mode = os.environ.get("EWS_CRAWL_QUEUES", "").strip().lower()
    if mode in ("", "none"):
        return None
    if mode in ("kind", "source"):
        return f"crawl-{kind if mode == 'kind' else source_id}"
    raise ValueError(f"EWS_CRAWL_QUEUES={mode!r}: expected kind, source or none")


def _sources(kind: str) -> list[str]:
    from ews.app.tasks import source_ids_by_kind

    return source_ids_by_kind(kind)


def build(kind: str):
    @dag(dag_id=f"ews_crawl_{kind}", schedule=CronDataIntervalTimetable(SCHEDULES[kind], timezone="UTC"), start_date=dt.datetime(2015, 1, 1), catchup=False,
         default_args=DEFAULT_ARGS, tags=["ews", "crawl", kind], max_active_runs=1)
    def crawl_dag():
        for source_id in _sources(kind):
            queue = crawl_queue(kind, source_id)

            @task(task_id=f"crawl__{source_id.replace('.', '_').replace('-', '_')}", outlets=[DOCUMENTS],
                  params={"source_id": source_id}, **({"queue": queue} if queue else {}))
            def crawl(source_id: str = source_id, data_interval_start=None, data_interval_end=None) -> dict:
                from ews.app.tasks import crawl_source, scrubbed, settings_from_airflow

                # API keys from Airflow connections when not in the environment
                settings = scrubbed(settings_from_airflow, [source_id])
                return scrubbed(crawl_source, source_id, data_interval_start.isoformat(), data_interval_end.isoformat(),
                                settings=settings)

            crawl()

    return crawl_dag()


for _kind in SCHEDULES:
    globals()[f"ews_crawl_{_kind}"] = build(_kind)
