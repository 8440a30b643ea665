"""`ews run --demo` end to end, twice: the second run finds nothing new and duplicates nothing."""
import os
import sqlite3
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def run_demo(home):
    env = {**os.environ, "EWS_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "ews.app.cli", "run", "--demo"], capture_output=True, text=True,
                          env=env, timeout=900)


def table_counts(home):
    con = sqlite3.connect(home / "ews.sqlite")
    try:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("raw", "documents", "tagged", "counts", "alerts")}
    finally:
        con.close()


def test_demo_runs_end_to_end_and_is_idempotent(ews_home):
    first = run_demo(ews_home)
    assert first.returncode == 0, first.stderr[-3000:] + first.stdout[-3000:]
    assert "Alerts (" in first.stdout, first.stdout[-3000:]
    after_first = table_counts(ews_home)
    assert after_first["documents"] > 1000 and after_first["alerts"] > 0
    report = ews_home / "reports" / "report.html"
    assert report.exists() and ("<svg" in report.read_text() or "<img" in report.read_text())

    second = run_demo(ews_home)
    assert second.returncode == 0, second.stderr[-3000:]
    assert table_counts(ews_home) == after_first
    assert "(0 new)" in second.stdout and "alerts: 0 new" in second.stdout
