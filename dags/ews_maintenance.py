"""Maintenance DAGs: monthly model retraining, the monthly field briefings, the annual per-field patent-trend report,
the biennial taxonomy review.

Thin orchestration: each task calls one function of `ews.app.tasks` (implemented in
`ews.app.maintenance`). The data interval says what a run covers: the annual report's
interval is the calendar year it reports on, the taxonomy review's the two years
whose emerging terms it lists. Nothing heavy is imported at parse time.
"""
from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from dateutil.relativedelta import relativedelta


def _on_failure(context) -> None:
    """Raise an alert of the pipeline's own (detector 'pipeline') so analysts see the failing job."""
    from ews.app.tasks import record_task_failure

    record_task_failure(context)


def _args(timeout: dt.timedelta) -> dict:
    # retries wait 15, 30 min (capped at 2 h) and back off exponentially
    return {"retries": 2, "retry_delay": dt.timedelta(minutes=15), "retry_exponential_backoff": True,
            "max_retry_delay": dt.timedelta(hours=2), "execution_timeout": timeout, "on_failure_callback": _on_failure}


@dag(dag_id="ews_retrain", schedule=CronDataIntervalTimetable("0 0 2 * *", timezone="UTC"),
     start_date=dt.datetime(2024, 1, 1), catchup=False, default_args=_args(dt.timedelta(hours=4)),
     tags=["ews", "maintenance", "model"], max_active_runs=1,
     doc_md="Monthly: train the classifier on the crawled patents; promote it only if no worse on held-out patents.")
def ews_retrain():
    @task
    def retrain() -> dict:
        from ews.app.tasks import retrain_classifier

        decision = retrain_classifier()
        print(f"retraining: {decision['status']}: {decision['reason']}")
        return decision

    retrain()


@dag(dag_id="ews_annual_report", schedule=CronDataIntervalTimetable("0 0 1 1 *", timezone="UTC"),
     start_date=dt.datetime(2015, 1, 1), catchup=False, default_args=_args(dt.timedelta(hours=1)),
     tags=["ews", "maintenance", "report"], max_active_runs=1,
     doc_md="Yearly: per-field patent trends of the year the data interval covers (reports/annual/<year>/).")
def ews_annual_report():
    @task
    def annual_report(data_interval_start=None) -> dict:
        from ews.app.tasks import write_annual_report

        return write_annual_report(data_interval_start.year)

    annual_report()


@dag(dag_id="ews_briefings", schedule=CronDataIntervalTimetable("0 0 1 * *", timezone="UTC"),
     start_date=dt.datetime(2024, 1, 1), catchup=False, default_args=_args(dt.timedelta(hours=2)),
     tags=["ews", "maintenance", "report"], max_active_runs=1, params={"fields": []},
     doc_md="Monthly: each field's briefing (HTML and PDF) of the calendar month the data interval covers "
            "(reports/briefings/<YYYY-MM>/); after December also the annual reports (reports/annual/<year>/). "
            "Param `fields`: only these field ids (default: all 12).")
def ews_briefings():
    @task
    def briefings(data_interval_start=None, params=None) -> dict:
        from ews.app.tasks import write_briefings

        month = data_interval_start.strftime("%Y-%m")
        result = write_briefings(month, list((params or {}).get("fields") or []) or None)
        print(f"briefings {month}: {', '.join(result['briefings'])}")
        return result

    briefings()


@dag(dag_id="ews_taxonomy_review", schedule=DeltaDataIntervalTimetable(relativedelta(years=2)),
     start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), catchup=False,
     default_args=_args(dt.timedelta(hours=2)), tags=["ews", "maintenance", "taxonomy"], max_active_runs=1,
     doc_md="Every two years: terms emerging in documents that fit none of the 50 technologies (reports/taxonomy-review/).")
def ews_taxonomy_review():
    @task
    def taxonomy_review(data_interval_start=None, data_interval_end=None) -> dict:
        from ews.app.tasks import write_taxonomy_review

        return write_taxonomy_review(data_interval_start.isoformat(), data_interval_end.isoformat())

    taxonomy_review()


ews_retrain()
ews_briefings()
ews_annual_report()
ews_taxonomy_review()
