"""Crawl DAGs generated from the source registry: one DAG per source kind, one task per source.

The data interval is the crawl window; a failing source fails only its own task.
Each successful crawl updates the documents asset, which triggers monitoring.
"""
from __future__ import annotations

import datetime as dt

from airflow.sdk import Asset, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

DOCUMENTS = Asset("ews://documents")
# Cron expressions per source kind; a data-interval timetable makes each run's interval the crawl window
# (Airflow 3's plain cron schedules give runs an empty interval).
SCHEDULES = {"policy": "0 1 * * *", "patent": "0 2 * * 1", "paper": "0 3 * * 1"}
DEFAULT_ARGS = {"retries": 3, "retry_delay": dt.timedelta(minutes=10), "retry_exponential_backoff": True,
                "execution_timeout": dt.timedelta(hours=3)}


def _sources(kind: str) -> list[str]:
    from ews.tasks import source_ids_by_kind

    return source_ids_by_kind(kind)


def build(kind: str):
    @dag(dag_id=f"ews_crawl_{kind}", schedule=CronDataIntervalTimetable(SCHEDULES[kind], timezone="UTC"), start_date=dt.datetime(2015, 1, 1), catchup=False,
         default_args=DEFAULT_ARGS, tags=["ews", "crawl", kind], max_active_runs=1)
    def crawl_dag():
        for source_id in _sources(kind):
            @task(task_id=f"crawl__{source_id.replace('.', '_').replace('-', '_')}", outlets=[DOCUMENTS])
            def crawl(source_id: str = source_id, data_interval_start=None, data_interval_end=None) -> dict:
                from ews.tasks import crawl_source

                return crawl_source(source_id, data_interval_start.isoformat(), data_interval_end.isoformat())

            crawl()

    return crawl_dag()


for _kind in SCHEDULES:
    globals()[f"ews_crawl_{_kind}"] = build(_kind)
