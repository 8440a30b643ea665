"""Progress of long work: bars on a terminal, plain lines with counts otherwise, never on standard output."""
from __future__ import annotations

import io
import json
import logging
import re

import pytest
from rich.console import Console

from ews.app import pipeline
from ews.app.progress import Progress
from ews.kernel.config import load_settings
from ews.kernel.store import Store
from tests.app.cli import ews


def test_a_terminal_console_renders_a_bar_with_counts():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100, color_system=None)
    with Progress.for_console(console) as progress:
        with progress.task("classify", total=40, unit="documents") as task:
            for _ in range(4):
                task.advance(10)
    screen = buf.getvalue()
    assert "classify" in screen and "40/40 documents" in screen
    assert "━" in screen  # the bar itself
    assert "classify: " not in screen  # no plain lines on a terminal


def test_a_terminal_shows_one_row_per_source_of_unknown_size():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100, color_system=None)
    with Progress.for_console(console) as progress:
        a, b = progress.task("crawl src-a"), progress.task("crawl src-b")
        a.update(7, note="2 pages")
        b.update(3, note="1 pages")
        a.finish()
        b.finish(note="failed, 1 errors")
    screen = buf.getvalue()
    assert "crawl src-a" in screen and "7 documents (2 pages)" in screen
    assert "crawl src-b" in screen and "3 documents (failed, 1 errors)" in screen
    assert "/" not in screen.split("crawl src-a")[-1].split("documents")[0]  # no made-up total


def test_plain_lines_when_not_a_terminal_every_n_items_and_at_the_end():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=200)
    progress = Progress.for_console(console)
    with progress.task("ingesting x.jsonl", unit="lines", every=100) as task:
        for line in range(1, 351):
            task.update(line)
    lines = buf.getvalue().splitlines()
    assert lines[:3] == ["ingesting x.jsonl: 100 lines", "ingesting x.jsonl: 200 lines", "ingesting x.jsonl: 300 lines"]
    assert re.fullmatch(r"ingesting x\.jsonl: 350 lines, done in \d+\.\d s", lines[3])
    assert len(lines) == 4
    assert "━" not in buf.getvalue() and "\r" not in buf.getvalue()


def test_plain_lines_by_time_and_to_a_log(caplog):
    progress = Progress.to_log(interval=0.0)
    with caplog.at_level(logging.INFO, logger="ews.progress"):
        with progress.task("detect", total=3, unit="series judged") as task:
            task.update(2, note="1 flags")
    got = [r.getMessage() for r in caplog.records if r.name == "ews.progress"]
    assert got[0] == "detect: 2/3 series judged (1 flags)"
    assert got[1].startswith("detect: 2/3 series judged (1 flags), done in ")


def test_work_ended_by_an_error_is_not_reported_done():
    buf = io.StringIO()
    progress = Progress.for_console(Console(file=buf, force_terminal=False, width=200))
    with pytest.raises(KeyError), progress.task("classify", total=10) as task:
        task.update(4)
        raise KeyError("x")
    (line,) = buf.getvalue().splitlines()
    assert re.fullmatch(r"classify: 4/10 documents \(stopped by KeyError\), stopped after \d+\.\d s", line)


def test_silent_progress_says_nothing(capsys):
    with Progress.silent().task("classify", total=2) as task:
        task.advance(2)
    assert capsys.readouterr() == ("", "")


@pytest.fixture
def tagged_store(ews_home):
    """A data directory with a few documents ingested (no crawl)."""
    import datetime as dt

    from ews.kernel.schema import Document, Party, PatentInfo

    docs = [Document(id=f"d{i}", source="s", source_key=f"k{i}", kind="patent", title=f"Lithium-ion battery cell {i}",
                     text="A lithium-ion battery cell with a cathode and an electrolyte.", lang="en",
                     published=dt.date(2023, 1 + i % 12, 5), fetched_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                     jurisdiction="US", patent=PatentInfo(application_date=dt.date(2023, 1 + i % 12, 5),
                                                          applicants=[Party(name="ACME", country="US")],
                                                          cpc=["H01M10/0525"]))
            for i in range(30)]
    with Store(ews_home) as store:
        store.upsert_documents(docs)
    return ews_home


def test_ews_run_prints_plain_progress_on_stderr_only_and_json_output_stays_parseable(tagged_store):
    r = ews("run", "--no-crawl")
    assert r.returncode == 0, r.stdout + r.stderr
    err = r.stderr.splitlines()
    classify = [x for x in err if x.startswith("classify: ")]
    count = [x for x in err if x.startswith("count: ")]
    detect = [x for x in err if x.startswith("detect: ")]
    assert classify and re.match(r"classify: 30/30 documents, done in ", classify[-1]), err
    with Store(tagged_store) as store:
        rows, series = store.count_rows(), store.read_counts()["series"].nunique()
    assert count and re.match(rf"count: {series}/{series} series recounted \({rows} count rows\), done in ",
                              count[-1]), err
    assert detect and re.match(rf"detect: {series}/{series} series judged \(\d+ flags\), done in ", detect[-1]), err
    # standard output is the summary, as before: no progress in it
    assert "tagged: 30" in r.stdout and f"count rows: {rows}" in r.stdout
    assert not re.search(r"^(classify|count|detect): ", r.stdout, re.M)
    # a second run has nothing to do, and says so
    again = ews("run", "--no-crawl")
    assert "classify: 0/0 documents, done in " in again.stderr
    listed = ews("alerts", "--json")
    assert listed.returncode == 0 and isinstance(json.loads(listed.stdout)["count"], int)


def test_the_stages_called_without_progress_print_nothing(tagged_store, capsys):
    settings = load_settings()
    with Store(tagged_store) as store:
        assert pipeline.classify(store, settings) == 30
        assert pipeline.count(store) > 0
    assert capsys.readouterr() == ("", "")


def test_count_reports_series_as_it_goes(tagged_store):
    calls = []
    with Store(tagged_store) as store:
        pipeline.classify(store, load_settings())
        store.update_counts("month", None, full=True, progress=lambda done, total: calls.append((done, total)))
        n = store.read_counts()["series"].nunique()
    assert calls[0] == (0, n) and calls[-1] == (n, n) and n > 0
    assert all(d <= t for d, t in calls)


def test_ews_classify_and_detect_on_files_end_with_a_progress_line_on_stderr(tmp_path, ews_home):
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"id": f"d{i}", "text": "lithium-ion battery cathode"}) + "\n"
                            for i in range(5)), encoding="utf-8")
    r = ews("classify", "--input", str(docs), "--output", str(tmp_path / "tags.jsonl"))
    assert r.returncode == 0, r.stderr
    assert re.search(r"^classify: 5/5 documents, done in ", r.stderr, re.M), r.stderr
    assert len((tmp_path / "tags.jsonl").read_text().splitlines()) == 5
    csv = tmp_path / "s.csv"
    csv.write_text("series,period,count\n" + "".join(f"{s},2023-{m:02d},{5 + m}\n" for s in ("a", "b")
                                                     for m in range(1, 13)), encoding="utf-8")
    r = ews("detect", "--input", str(csv), "--output", str(tmp_path / "flags.jsonl"))
    assert r.returncode == 0, r.stderr
    assert re.search(r"^detect: 2/2 series judged, done in ", r.stderr, re.M), r.stderr


def test_the_airflow_tasks_log_plain_progress_lines(tagged_store, caplog):
    from ews.app import tasks

    settings = load_settings()
    with caplog.at_level(logging.INFO, logger="ews.progress"):
        assert tasks.classify_documents(settings=settings) == 30
        rows = tasks.count_series(settings=settings)
        tasks.detect_alerts(settings=settings)
    got = [r.getMessage() for r in caplog.records if r.name == "ews.progress"]
    assert any(re.match(r"classify: 30/30 documents, done in ", m) for m in got), got
    assert any(re.match(rf"count: \d+/\d+ series recounted \({rows} count rows\), done in ", m) for m in got), got
    assert any(re.match(r"detect: (\d+)/\1 series judged \(\d+ flags\), done in ", m) for m in got), got
