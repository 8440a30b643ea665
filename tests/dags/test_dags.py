import subprocess
import sys

import pytest

from tests.dags.conftest import DAGS


def test_dagbag_loads_without_import_errors(airflow_home):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert {"ews_monitoring", "ews_crawl_policy", "ews_crawl_patent", "ews_crawl_paper"} <= set(bag.dags)
    crawl = bag.dags["ews_crawl_policy"]
    assert crawl.tasks and all(t.task_id.startswith("crawl__") for t in crawl.tasks)
    assert all(t.retries >= 1 and t.execution_timeout for d in bag.dags.values() for t in d.tasks)


@pytest.mark.parametrize("name", ["ews_monitoring.py", "ews_crawl.py"])
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
