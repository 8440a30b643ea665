"""Crawl tasks land on the Celery queue the compose stack's worker pools listen to (EWS_CRAWL_QUEUES)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.deploy.conftest import ROOT

# Build the crawl DAGs as the dag-processor does, once per mode, and print each task's queue per kind.
PRINT_QUEUES = """
import json, os, runpy, sys
out = {}
for mode in sys.argv[1:]:
    os.environ.pop("EWS_CRAWL_QUEUES", None)
    if mode != "unset":
        os.environ["EWS_CRAWL_QUEUES"] = mode
    g = runpy.run_path("dags/ews_crawl.py")
    out[mode] = {k: sorted({t.queue for t in g[f"ews_crawl_{k}"].tasks}) for k in g["SCHEDULES"]}
print(json.dumps(out))
"""


def run_dag_file(tmp_path, *modes: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EWS_", "AIRFLOW"))}
    env.update({"AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    return subprocess.run([sys.executable, "-c", PRINT_QUEUES, *modes], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def source_ids():
    from crawlers.registry import load_registry

    by_kind: dict[str, set[str]] = {}
    for s in load_registry():
        by_kind.setdefault(s.kind, set()).add(s.id)
    return by_kind


def test_queue_per_source_kind_per_source_or_default(tmp_path, source_ids):
    r = run_dag_file(tmp_path, "kind", "source", "unset", "none")
    assert r.returncode == 0, r.stderr[-2000:]
    queues = json.loads(r.stdout.splitlines()[-1])
    assert queues["kind"] == {k: [f"crawl-{k}"] for k in source_ids}
    assert {k: set(v) for k, v in queues["source"].items()} == {k: {f"crawl-{i}" for i in ids} for k, ids in source_ids.items()}
    for mode in ("unset", "none"):  # Airflow's default queue: what LocalExecutor and the default worker use
        assert set(map(tuple, queues[mode].values())) == {("default",)}, mode


def test_an_unknown_mode_fails_the_dag_file_naming_the_setting(tmp_path):
    r = run_dag_file(tmp_path, "by-moon")
    assert r.returncode != 0 and "EWS_CRAWL_QUEUES='by-moon': expected kind, source or none" in r.stderr
