"""Sources that fall silent: no items for the last N runs after delivering some."""
import datetime as dt

from crawlers.health import silent_sources
from ews.kernel.schema import SourceHealth
from ews.kernel.store import Store

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _run(store, source, day, items, errors=0, messages=()):
    start = T0 + dt.timedelta(days=day)
    store.record_health(SourceHealth(source=source, started_at=start, finished_at=start + dt.timedelta(minutes=1),
                                     items=items, new_items=items, errors=errors, error_messages=list(messages),
                                     ok=errors == 0))


def test_silent_source_is_named_with_what_it_used_to_deliver(tmp_path):
    with Store(tmp_path) as store:
        for day, n in enumerate([12, 8, 10, 0, 0, 0]):
            _run(store, "kr-msit", day, n)
        for day, n in enumerate([5, 0, 6, 0, 4, 0]):   # quiet now and then: not silent
            _run(store, "tt-csis", day, n)
        for day in range(6):                            # never delivered: new or broken, not silent
            _run(store, "jp-meti", day, 0, errors=1, messages=["HTTP 404"])
        for day, n in enumerate([3, 4, 0, 0, 0, 0]):    # silent with errors
            _run(store, "cn-most", day, n, errors=int(n == 0), messages=["HTTP 500"] if n == 0 else [])
        out = {s.source: s for s in silent_sources(store, min_silent_runs=3)}
    assert set(out) == {"kr-msit", "cn-most"}
    s = out["kr-msit"]
    assert (s.silent_runs, s.usual_items, s.errors_while_silent) == (3, 10.0, 0)
    assert s.silent_since == T0 + dt.timedelta(days=3) and s.last_items_at == T0 + dt.timedelta(days=2)
    sig = s.signal()
    assert (sig.kind, sig.direction, sig.series, sig.observed, sig.expected) == ("source_silent", "silent",
                                                                                 "source:kr-msit", 0.0, 10.0)
    assert sig.facts["silent_runs"] == 3 and sig.occasion == s.silent_since.date().isoformat()
    assert out["cn-most"].silent_runs == 4 and out["cn-most"].errors_while_silent == 4


def test_thresholds_and_skipped_windows(tmp_path):
    with Store(tmp_path) as store:
        for day, n in enumerate([7, 9, 0, 0]):
            _run(store, "src", day, n)
        for day in (4, 5, 6):  # re-runs of a window already done say nothing about the source
            _run(store, "src", day, 0, messages=["window 2024-01-01..2024-01-02 already crawled; nothing to fetch"])
        assert silent_sources(store, min_silent_runs=3) == []
        assert [s.silent_runs for s in silent_sources(store, min_silent_runs=2)] == [2]
        assert silent_sources(store, min_silent_runs=2, min_active_runs=3) == []
        assert silent_sources(store, min_silent_runs=2, sources=["other"]) == []
