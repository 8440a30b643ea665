"""`ews run --demo` end to end, twice: the second run finds nothing new and duplicates nothing."""
import json
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
    assert_evidence_is_the_counted_documents(ews_home)
    assert_progress_is_plain_lines_on_stderr(first, after_first)

    second = run_demo(ews_home)
    assert second.returncode == 0, second.stderr[-3000:]
    assert table_counts(ews_home) == after_first
    assert "(0 new)" in second.stdout and "alerts: 0 new" in second.stdout

    # a command with --json and long work: the JSON on stdout parses, the progress is on stderr
    env = {**os.environ, "EWS_HOME": str(ews_home)}
    reparsed = subprocess.run([sys.executable, "-m", "ews.app.cli", "reparse", "--json"], capture_output=True,
                              text=True, env=env, timeout=900)
    assert reparsed.returncode == 0, reparsed.stderr[-3000:]
    rows = json.loads(reparsed.stdout)
    raw = sum(r["raw"] for r in rows)
    assert raw == after_first["raw"] and sum(r["inserted"] for r in rows) == 0
    assert f"reparse: {raw:,}/{raw:,} archived responses, done in " in reparsed.stderr


def assert_evidence_is_the_counted_documents(home):
    """Every count alert of the demo lists exactly the documents its count counted: as many as the stored count
    and the alert's observed value, and the same ids a document-by-document pass over the membership rule finds."""
    from ews.kernel.periods import period_of
    from ews.kernel.schema import document_date
    from ews.kernel.series import document_series
    from ews.kernel.store import Store

    with Store(home) as store:
        counts = {(s, p): n for s, p, n in store.read_counts().itertuples(index=False)}
        alerts = [a for a in store.list_alerts() if a.kind == "count_deviation"]
        tags = {t.doc_id: t for t in store.iter_tagged()}
        members: dict[tuple[str, str], set[str]] = {}
        for doc in store.iter_documents():
            date = document_date(doc)
            if doc.id not in tags or date is None:
                continue
            for key in document_series(doc, tags[doc.id]):
                members.setdefault((key.text, period_of(date, "month")), set()).add(doc.id)
    assert alerts
    for a in alerts:
        c = a.evidence["contributors"]
        assert c["documents_total"] == counts[(a.series, a.period)] == a.observed, a.id
        assert set(c["document_ids"]) == members.get((a.series, a.period), set()), a.id


def assert_progress_is_plain_lines_on_stderr(run, tables):
    """Not a terminal: each source's crawl, classify, count and detect end with a plain line of counts on
    stderr; stdout is the summary alone."""
    import re

    from crawlers.registry import load_registry

    done = {line.split(":")[0]: line for line in run.stderr.splitlines() if ", done in " in line}
    crawled = 0
    for src in load_registry(demo=True):
        m = re.search(r": ([\d,]+) documents \([\d,]+ pages\), done in ", done.get(f"crawl {src.id}", ""))
        assert m, (src.id, run.stderr[-3000:])
        crawled += int(m.group(1).replace(",", ""))
    assert crawled == tables["documents"]  # the first run on an empty store: every document is new
    assert done["classify"].startswith(f"classify: {tables['tagged']:,}/{tables['tagged']:,} documents")
    assert f"({tables['counts']:,} count rows)" in done["count"]
    assert re.match(r"detect: (\d+)/\1 series judged \(\d+ flags\)", done["detect"]), done["detect"]
    assert not re.search(r"^(crawl |classify: |count: |detect: )", run.stdout, re.M)
