import subprocess
import sys

import pytest

from tests.dags.conftest import DAGS


def test_dagbag_loads_without_import_errors(airflow_home):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert {"ews_monitoring", "ews_crawl_policy", "ews_crawl_patent", "ews_crawl_paper", "ews_retrain",
            "ews_annual_report", "ews_taxonomy_review"} <= set(bag.dags)
    crawl = bag.dags["ews_crawl_policy"]
    assert crawl.tasks and all(t.task_id.startswith("crawl__") for t in crawl.tasks)
    tasks = [t for d in bag.dags.values() for t in d.tasks]
    assert all(t.retries >= 1 and t.retry_exponential_backoff and t.max_retry_delay and t.execution_timeout
               and t.on_failure_callback for t in tasks)


def test_schedules_data_intervals(airflow_home):
    """Each scheduled DAG's data interval is what its run covers: a week of crawling, a month, a year, two years."""
    import datetime as dt

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    utc = dt.UTC
    expect = {"ews_crawl_policy": (dt.datetime(2024, 5, 31, tzinfo=utc), dt.datetime(2024, 6, 1, tzinfo=utc)),
              "ews_crawl_patent": (dt.datetime(2024, 5, 20, tzinfo=utc), dt.datetime(2024, 5, 27, tzinfo=utc)),
              "ews_retrain": (dt.datetime(2024, 4, 2, tzinfo=utc), dt.datetime(2024, 5, 2, tzinfo=utc)),
              "ews_annual_report": (dt.datetime(2023, 1, 1, tzinfo=utc), dt.datetime(2024, 1, 1, tzinfo=utc))}
    for dag_id, (start, end) in expect.items():
        iv = bag.dags[dag_id].timetable.infer_manual_data_interval(run_after=dt.datetime(2024, 6, 1, 6, tzinfo=utc))
        assert (iv.start, iv.end) == (start, end), dag_id
    # the README's examples: the date given to `airflow dags test` is when the run happens; it covers the
    # interval that ended then
    readme = (DAGS.parent / "README.md").read_text(encoding="utf-8")
    examples = {"ews_crawl_patent": (dt.datetime(2024, 6, 3, tzinfo=utc), "the week ending 2024-06-03",
                                     (dt.datetime(2024, 5, 27, tzinfo=utc), dt.datetime(2024, 6, 3, tzinfo=utc))),
                "ews_annual_report": (dt.datetime(2025, 1, 1, tzinfo=utc), "the 2024 report",
                                      (dt.datetime(2024, 1, 1, tzinfo=utc), dt.datetime(2025, 1, 1, tzinfo=utc)))}
    for dag_id, (run_after, comment, (start, end)) in examples.items():
        assert f"dags test {dag_id} {run_after.date()}" in readme and comment in readme
        iv = bag.dags[dag_id].timetable.infer_manual_data_interval(run_after=run_after)
        assert (iv.start, iv.end) == (start, end), dag_id
    iv = bag.dags["ews_taxonomy_review"].timetable.infer_manual_data_interval(run_after=dt.datetime(2026, 1, 1, tzinfo=utc))
    assert (iv.start.year, iv.end.year) == (2024, 2026)
    assert bag.dags["ews_monitoring"].timetable.asset_condition is not None  # asset-triggered


@pytest.mark.parametrize("name", ["ews_monitoring.py", "ews_crawl.py", "ews_maintenance.py"])
def test_dag_files_import_nothing_heavy(airflow_home, name):
        # (Twisted is left off the list: structlog, Airflow's logger, imports it when installed.)
    code = ("import runpy, sys, time; from airflow.sdk import Asset, dag, task; t = time.perf_counter(); "
            f"runpy.run_path({str(DAGS / name)!r}); took = time.perf_counter() - t; "
            "heavy = [m for m in ('scrapy', 'sklearn', 'pandas', 'kiwipiepy', 'elasticsearch', 'lxml') if m in sys.modules]; "
            "print(f'{took:.3f}', ','.join(heavy))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    took, *heavy = r.stdout.strip().splitlines()[-1].split(" ")
    assert heavy in ([], [""]), f"heavy modules imported at parse time: {heavy}"
    print(f"{name}: parsed in {took} s")


def _project_imports(path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.split(".")[0] in {"ews", "crawlers", "models", "alerts", "analysis"}}


def test_dags_import_only_the_application_layer():
    """dags/ is not a package import-linter can see, so the fifth floor's rule is checked here."""
    offenders = {p.name: sorted(m for m in _project_imports(p) if not (m == "ews.app" or m.startswith("ews.app.")))
                 for p in sorted(DAGS.glob("*.py"))}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_rule_check_sees_a_wrong_import(tmp_path):
    bad = tmp_path / "bad_dag.py"
    bad.write_text("def f():\n    from models.detect import detect_counts\n    from ews.app.tasks import count_series\n")
    assert _project_imports(bad) == {"models.detect", "ews.app.tasks"}
