"""Sources that fell silent: no items for the last N runs while they used to deliver some.

A source that keeps answering without error but returns nothing (a changed page layout whose list
selector now matches an empty block, an API that silently narrowed its query, a feed frozen in time)
looks healthy run by run; only its history shows it. `silent_sources` reads the health records the
crawls left in the store and names those sources, with what they used to deliver; `SilentSource.signal`
is what raises an alert of its own (`alerts.build`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ews.kernel.periods import period_of
from ews.kernel.schema import Signal, SourceHealth
from ews.kernel.series import SeriesKey
from ews.kernel.store import Store

SKIPPED_WINDOW = "already crawled; nothing to fetch"  # what SourceSpider notes when it skips a done window


@dataclass(frozen=True)
class SilentSource:
    source: str
    silent_runs: int                 # consecutive most recent runs without items
    silent_since: dt.datetime        # start of the first of those runs
    last_items_at: dt.datetime       # start of the last run that had items
    usual_items: float               # mean items per run over the earlier runs that had items
    errors_while_silent: int         # errors in the silent runs (0: silent *and* apparently healthy)

    def signal(self) -> Signal:
        """This silence as a `source_silent` signal, keyed by the source and the day the silence began, so the
        same silence re-checked on later runs updates one alert instead of raising another."""
        since = self.silent_since.date().isoformat()
        facts = {"source": self.source, "silent_runs": self.silent_runs, "silent_since": self.silent_since.isoformat(),
                 "last_items_at": self.last_items_at.isoformat(), "errors_while_silent": self.errors_while_silent}
        return Signal(kind="source_silent", detector="source_silent", series=SeriesKey.of_source(self.source).text,
                      period=period_of(self.silent_since.date(), "month"), occasion=since, direction="silent",
                      observed=0.0, expected=float(self.usual_items), score=1.0,
                      method=f"silent-source(runs>={self.silent_runs})", facts=facts,
                      evidence={**facts, "silent_since": since, "usual_items": float(self.usual_items)})


def health_history(store: Store, source: str | None = None) -> dict[str, list[SourceHealth]]:
    """Every health record, per source, oldest first."""
    out: dict[str, list[SourceHealth]] = {}
    for h in store.health_records(source):
        if h.items == 0 and h.errors == 0 and any(SKIPPED_WINDOW in m for m in h.error_messages):
            continue  # a re-run of a window already crawled says nothing about the source
        out.setdefault(h.source, []).append(h)
    return out


def silent_sources(store: Store, min_silent_runs: int = 3, min_active_runs: int = 2,
                   sources: list[str] | None = None) -> list[SilentSource]:
    """Sources whose last `min_silent_runs` runs (or more) had no items, after at least `min_active_runs`
    earlier runs with items. Runs that skipped an already-crawled window are not counted; a source that never delivered anything is not "silent", it is new or broken
    (its errors say which).
    """
    out = []
    for name, runs in sorted(health_history(store).items()):
        if sources is not None and name not in sources:
            continue
        silent = 0
        for h in reversed(runs):
            if h.items > 0:
                break
            silent += 1
        if silent < min_silent_runs or silent == len(runs):
            continue
        earlier = runs[: len(runs) - silent]
        active = [h for h in earlier if h.items > 0]
        if len(active) < min_active_runs:
            continue
        quiet = runs[len(runs) - silent:]
        out.append(SilentSource(source=name, silent_runs=silent, silent_since=quiet[0].started_at,
                                last_items_at=active[-1].started_at,
                                usual_items=sum(h.items for h in active) / len(active),
                                errors_while_silent=sum(h.errors for h in quiet)))
    return out
