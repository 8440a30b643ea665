"""`crawl_sources`: crawl registry sources for one window and return one health record per source.

The crawl runs in a subprocess (`python -m crawlers.run`) because Scrapy's Twisted reactor cannot be
restarted inside one process, and the pipeline, the tests and Airflow all call this more than once.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crawlers.registry import Source
from ews.kernel.config import DEFAULT_USER_AGENT
from ews.kernel.schema import SourceHealth
from ews.kernel.secrets import scrub

DEFAULT_TIMEOUT_S = 6 * 3600


def _bytecode_cache(env: dict) -> None:
    """Every crawl is a fresh interpreter importing Scrapy, Twisted and lxml: with bytecode writing turned
    off (PYTHONDONTWRITEBYTECODE) each run would compile ~700 modules again (3-4 s). Such runs get a
    bytecode cache outside the source tree instead (PYTHONPYCACHEPREFIX), which leaves the tree clean as
    the setting intends. EWS_CRAWL_PYCACHE=0 keeps the environment as it is."""
    if env.get("EWS_CRAWL_PYCACHE") == "0" or not env.get("PYTHONDONTWRITEBYTECODE") or env.get("PYTHONPYCACHEPREFIX"):
        return
    cache = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ews" / "pycache"
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)


POLL_S = 0.3  # seconds between two looks at the crawler process's progress file


class CrawlProgress:
    """Reads the progress lines the crawler process appends (`crawlers.run`) and hands each on to
    `report(source id, documents stored, pages fetched, done)`."""

    def __init__(self, path: Path, report: Callable[[str, int, int, bool], None]):
        self.path, self.report, self.offset, self.partial = path, report, 0, ""

    def poll(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as f:
                f.seek(self.offset)
                chunk = f.read()
                self.offset = f.tell()
        except FileNotFoundError:
            return
        lines = (self.partial + chunk).split("\n")
        self.partial = lines.pop()  # a line still being written
        for line in lines:
            try:
                ev = json.loads(line)
                self.report(str(ev["source"]), int(ev["items"]), int(ev.get("pages", 0)), bool(ev.get("done")))
            except (ValueError, KeyError, TypeError):
                continue  # progress is a courtesy: a garbled line never stops a crawl


def _run_crawler(cmd: list[str], env: dict, cwd: str, timeout: float, progress: CrawlProgress | None):
    """Run the crawler process to its end (or kill it at `timeout`), polling its progress meanwhile; the
    pipes are read all along, so a chatty crawl never blocks on a full pipe."""
    deadline = time.monotonic() + timeout
    with subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        while True:
            try:
                _, stderr = proc.communicate(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                if progress is not None:
                    progress.poll()
                if time.monotonic() > deadline:
                    proc.kill()
                    proc.communicate()
                    raise
        if progress is not None:
            progress.poll()
        return proc.returncode, stderr


def crawl_sources(sources: list[Source], window_start: dt.date, window_end: dt.date, home: Path,
                  timeout: float | None = None, user_agent: str = DEFAULT_USER_AGENT,
                  credentials: dict[str, str] | None = None,
                  progress: Callable[[str, int, int, bool], None] | None = None) -> list[SourceHealth]:
    """Fetch [window_start, window_end) from every source; failures become that source's health errors.

    `credentials` (variable -> value, e.g. from Airflow connections) are handed to the crawler process's
    environment only, where the spiders read the variables the registry names; this process's environment
    is never changed. `progress(source id, documents stored, pages fetched, done)` is called as each
    source's crawl goes on (a few times a second at most) and once when it is done."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    if not sources:
        return []
    started = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="ews-crawl-") as tmp:
        job_path, health_path = Path(tmp) / "job.json", Path(tmp) / "health.json"
        job = {"sources": [s.model_dump(mode="json") for s in sources], "window_start": window_start.isoformat(),
               "window_end": window_end.isoformat(), "home": str(home), "health_out": str(health_path),
               "user_agent": user_agent}
        watch = None
        if progress is not None:
            job["progress_out"] = str(Path(tmp) / "progress.jsonl")
            watch = CrawlProgress(Path(job["progress_out"]), progress)
        job_path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        env = dict(os.environ)
        for var, value in (credentials or {}).items():
            env.setdefault(var, value)  # a variable already set wins, as it did when these were filled into it
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        _bytecode_cache(env)
        problem = None
        try:
            code, stderr = _run_crawler([sys.executable, "-m", "crawlers.run", str(job_path)], env, tmp,
                                        timeout or DEFAULT_TIMEOUT_S, watch)
            if code != 0:
                tail = " | ".join(stderr.strip().splitlines()[-5:])
                problem = scrub(f"crawler process exited with code {code}: {tail}")  # Scrapy logs URLs
        except subprocess.TimeoutExpired:
            problem = f"crawler process killed after {timeout or DEFAULT_TIMEOUT_S:.0f} s"
        records = {}
        if health_path.exists():
            for h in json.loads(health_path.read_text(encoding="utf-8")):
                rec = SourceHealth.model_validate(h)
                records[rec.source] = rec
    out = []
    for s in sources:
        rec = records.get(s.id)
        if rec is None:
            rec = SourceHealth(source=s.id, started_at=started, finished_at=dt.datetime.now(dt.UTC),
                               window_start=window_start, window_end=window_end, errors=1,
                               error_messages=[problem or "no health record from the crawler process"], ok=False)
        out.append(rec)
    return out
