"""The monitoring pipeline: classify → count → detect and alert → index → report, when new documents land.

Thin orchestration: every task calls a function in `ews.app.tasks`, which the `ews`
command and the tests call too. Nothing heavy is imported at parse time.
"""
from __future__ import annotations

import datetime as dt

from airflow.sdk import Asset, dag, task

DOCUMENTS = Asset("ews://documents")


def _on_failure(context) -> None:
    """Raise an alert of the pipeline's own (detector 'pipeline') so analysts see the failing stage."""
    from ews.app.tasks import record_task_failure

    record_task_failure(context)


# retries wait 5, 10 min (capped at 1 h); a stage running over 2 h is killed and retried
DEFAULT_ARGS = {"retries": 2, "retry_delay": dt.timedelta(minutes=5), "retry_exponential_backoff": True,
                "max_retry_delay": dt.timedelta(hours=1), "execution_timeout": dt.timedelta(hours=2),
                "on_failure_callback": _on_failure}


@dag(dag_id="ews_monitoring", schedule=[DOCUMENTS], start_date=dt.datetime(2015, 1, 1), catchup=False,
     default_args=DEFAULT_ARGS, tags=["ews", "stage-1"], max_active_runs=1)
def ews_monitoring():
    @task
    def classify() -> int:
        from ews.app.tasks import classify_documents

        return classify_documents()

    @task
    def count(tagged: int) -> int:
        from ews.app.tasks import count_series

        return count_series()

    @task
    def detect(rows: int) -> dict:
        from ews.app.tasks import detect_alerts

        return detect_alerts()

    @task
    def index(alerts: dict) -> dict:
        from ews.app.tasks import index_to_elasticsearch, scrubbed, settings_from_airflow

        # the ews_elasticsearch connection, when EWS_ES_* are not in the environment
        settings = scrubbed(settings_from_airflow)
        return scrubbed(index_to_elasticsearch, settings=settings)

    @task
    def report(indexed: dict) -> str:
        from ews.app.tasks import write_report

        return write_report()

    report(index(detect(count(classify()))))


ews_monitoring()
