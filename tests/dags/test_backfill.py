"""Catch-up and backfill: a past interval crawled late, twice, gives exactly the records a live run gave."""
from __future__ import annotations

import datetime as dt

import pytest

from ews.kernel.store import Store
from tests.dags.test_dag_runs import load_dag, states

pytestmark = pytest.mark.integration
UTC = dt.UTC
# the weekly patent crawl's runs: logical dates at the end of their week's interval
WEEK_1 = dt.datetime(2023, 10, 2, 2, tzinfo=UTC)      # interval 2023-09-25 .. 2023-10-02
WEEK_2 = dt.datetime(2023, 10, 9, 2, tzinfo=UTC)      # interval 2023-10-02 .. 2023-10-09


@pytest.fixture
def demo_site(monkeypatch):
    from crawlers.demo import DemoSite

    with DemoSite() as site:
        monkeypatch.setenv("EWS_DEMO_BASE_URL", site.url)
        yield site


def _records(home, start: dt.date | None = None, end: dt.date | None = None) -> dict:
    """What a crawl wrote, minus fetch times: id -> (source key, content hash, published, patent data)."""
    with Store(home) as store:
        return {d.id: (d.source_key, d.content_hash, d.published, d.patent.model_dump_json() if d.patent else None)
                for d in store.iter_documents()
                if start is None or (d.published is not None and start <= d.published < end)}


def _run(dag, logical_date, home, monkeypatch):
    monkeypatch.setenv("EWS_HOME", str(home))
    run = dag.test(logical_date=logical_date)
    assert set(states(run).values()) == {"success"}, states(run)
    return run


def test_backfill_of_a_past_interval_twice_equals_the_live_run(airflow_home, demo_site, tmp_path, monkeypatch):
    dag = load_dag("ews_crawl_patent")
    live, late = tmp_path / "live", tmp_path / "late"

    # live: the week is crawled when it closes
    run = _run(dag, WEEK_1, live, monkeypatch)
    start, end = run.data_interval_start.date(), run.data_interval_end.date()
    live_records = _records(live)
    assert live_records and all(start <= p < end for _, _, p, _ in live_records.values())

    # late: the system runs the next week first, then backfills the missed one, twice
    _run(dag, WEEK_2, late, monkeypatch)
    week_2 = _records(late)
    assert week_2 and not set(week_2) & set(live_records)
    _run(dag, WEEK_1, late, monkeypatch)
    assert _records(late, start, end) == live_records          # same ids, same content, same count
    with Store(late) as store:
        after_first = store.stats()
    _run(dag, WEEK_1 + dt.timedelta(seconds=1), late, monkeypatch)   # the same interval again
    with Store(late) as store:
        assert store.stats() == after_first                    # nothing added, not even raw responses
    assert _records(late) == {**week_2, **live_records}
