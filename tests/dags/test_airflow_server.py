"""A real Airflow on 127.0.0.1: api-server, scheduler and dag-processor as processes (LocalExecutor, SQLite).

A crawl run triggered through the REST API v2 and a backfill created through it
both end in success on the demo site, and only 127.0.0.1 is ever listened on.
Every process started here is stopped by its pid (SIGTERM, then SIGKILL).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ews.kernel.store import Store
from tests.dags.conftest import DAGS

pytestmark = pytest.mark.integration
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
DAG_ID = "ews_crawl_patent"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, base: str):
        self.base, self.token = base, None

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 30):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
        for attempt in range(5):
            try:
                with urllib.request.urlopen(req, timeout=timeout) as r:
                    return json.loads(r.read() or b"null")
            except urllib.error.HTTPError as e:  # 503: SQLite was locked by another component; the write was rolled back
                if e.code != 503 or attempt == 4:
                    raise
                time.sleep(2)


def _wait(what: str, check, timeout: float, procs: dict, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        for name, p in procs.items():
            assert p.poll() is None, f"airflow {name} exited with {p.returncode} while waiting for {what}"
        try:
            last = check()
            if last:
                return last
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


def _tree(pids: set[int]) -> set[int]:
    """The pids and all their descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), list(pids)
    while todo:
        p = todo.pop()
        if p not in out:
            out.add(p)
            todo.extend(children.get(p, []))
    return out


def _listening(pids: set[int]) -> list[str]:
    """Local addresses of the TCP sockets in LISTEN state held by these processes."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
        except OSError:
            continue
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes:  # LISTEN
                addr, port = f[1].split(":")
                if len(addr) == 8:
                    ip = socket.inet_ntop(socket.AF_INET, bytes.fromhex(addr)[::-1])
                else:
                    raw = bytes.fromhex(addr)
                    ip = socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
                out.append(f"{ip}:{int(port, 16)}")
    return out


def _stop(procs: dict) -> dict:
    """SIGTERM each process we started (its own process group), wait, SIGKILL what is left; returns exit codes."""
    for p in procs.values():
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 30
    for p in procs.values():
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=10)
    return {name: p.returncode for name, p in procs.items()}


def test_real_airflow_runs_a_triggered_run_and_a_backfill(tmp_path, ews_home):
    from crawlers.demo import DemoSite

    home = tmp_path / "airflow"
    home.mkdir()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({
        "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(port), "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32), "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
        # the worker log server binds every interface: the scheduler runs with --skip-serve-logs (the
        # api-server reads task logs from AIRFLOW_HOME/logs on this machine); its port is set free regardless
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5", "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "EWS_HOME": str(ews_home),
    })
    started = time.monotonic()
    r = subprocess.run([AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    timings = {"migrate": time.monotonic() - started}

    procs: dict[str, subprocess.Popen] = {}
    logs = {}
    with DemoSite() as site:
        env["EWS_DEMO_BASE_URL"] = site.url
        try:
            for name, args in (("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]),
                               ("dag-processor", ["dag-processor"]),
                               ("scheduler", ["scheduler", "--skip-serve-logs"])):
                logs[name] = open(tmp_path / f"{name}.log", "wb")
                procs[name] = subprocess.Popen([AIRFLOW, *args], env=env, stdout=logs[name], stderr=subprocess.STDOUT,
                                               start_new_session=True)  # own process group: stopped as a whole
            api = Api(f"http://127.0.0.1:{port}")
            _wait("the api-server", lambda: api.call("GET", "/api/v2/version"), 240, procs)
            api.token = api.call("GET", "/auth/token")["access_token"]
            _wait(f"{DAG_ID} parsed", lambda: api.call("GET", f"/api/v2/dags/{DAG_ID}"), 180, procs, 2)
            timings["up"] = time.monotonic() - started
            assert api.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})["is_paused"] is False

            # a run for a past week, triggered as an operator would (its data interval is that week) ...
            run = api.call("POST", f"/api/v2/dags/{DAG_ID}/dagRuns",
                           {"logical_date": "2023-10-02T00:00:00Z", "dag_run_id": "api_week_2023_39"})
            assert run["state"] in ("queued", "running")
            # ... and a backfill of the week before it, as catch-up would run it
            backfill = api.call("POST", "/api/v2/backfills", {
                "dag_id": DAG_ID, "from_date": "2023-09-18T00:00:00Z", "to_date": "2023-09-18T00:00:00Z",
                "max_active_runs": 1, "reprocess_behavior": "none"})

            def finished():
                runs = api.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns?limit=50")["dag_runs"]
                ended = {r["dag_run_id"]: r for r in runs if r["state"] in ("success", "failed")}
                return runs if len(runs) >= 2 and len(ended) == len(runs) else None

            runs = _wait("both runs to end", finished, 480, procs, 2)  # a loaded machine schedules slowly
            timings["runs"] = time.monotonic() - started
            assert {r["state"] for r in runs} == {"success"}, [(r["dag_run_id"], r["state"]) for r in runs]
            by_type = {r["run_type"]: r for r in runs}
            # unpausing also starts the newest closed week on schedule (catchup=False: only that one)
            assert {"manual", "backfill"} <= set(by_type) <= {"manual", "backfill", "scheduled"}, by_type
            assert by_type["backfill"].get("backfill_id") in (None, backfill["id"])
            listening = _listening(_tree({p.pid for p in procs.values()}))
            assert listening and all(a.startswith(("127.0.0.1:", "::1:")) for a in listening), listening
        finally:
            codes = _stop(procs)
            for f in logs.values():
                f.close()
    assert all(p.poll() is not None for p in procs.values())
    print(f"exit codes {codes}; seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))

    # what the two runs crawled: each its own week's patents
    intervals = sorted((dt.date.fromisoformat(r["data_interval_start"][:10]), dt.date.fromisoformat(r["data_interval_end"][:10]))
                       for r in runs if r["run_type"] in ("manual", "backfill"))
    assert intervals == [(dt.date(2023, 9, 18), dt.date(2023, 9, 25)), (dt.date(2023, 9, 25), dt.date(2023, 10, 2))]
    with Store(ews_home) as store:
        published = [d.published for d in store.iter_documents(kind="patent")]
        health = {h: store.last_health(h) for h in ("demo-patentsview",)}
    assert published and all(dt.date(2023, 9, 18) <= p < dt.date(2023, 10, 2) for p in published)  # nothing else
    assert {p < dt.date(2023, 9, 25) for p in published} == {True, False}  # both weeks have patents
    assert health["demo-patentsview"].ok
