"""The series membership table: which document counts in which series, kept up to date as documents are
tagged, so counts are SQL aggregates and a run recounts only the series that changed.

`series_members` holds one row per (series key, document) with the document's date
(`ews.kernel.schema.document_date`) and, for technology series, the classifier's score: the rows of
`ews.kernel.series.document_series`, the one membership rule. A document's rows are replaced whenever
its tagging or its content changes; every series whose rows changed is written to `dirty_series`, the
count stage's to-do list, and the count stage hands the series it recounted to `detect_pending`, the
detect stage's. `stage_state` remembers what each stage last ran with (cut-off date, granularity): a
change there makes the stage redo every series.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator

from ews.kernel.periods import GRANULARITIES, period_of, period_range
from ews.kernel.schema import Document, TaggedDocument, document_date
from ews.kernel.series import document_series


def member_rows(doc: Document, tagged: TaggedDocument) -> list[tuple[str, str, str, float]]:
    """(series, date, doc id, score) of every series the tagged document counts in; none when undated."""
    date = document_date(doc)
    if date is None:
        return []
    scores = {t.id: t.score for t in tagged.tagging.technologies}
    return [(k.text, date.isoformat(), doc.id, float(scores.get(k.technology, 0.0)))
            for k in document_series(doc, tagged)]


def replace_members(c: sqlite3.Connection, doc_id: str, rows: list[tuple[str, str, str, float]]) -> None:
    """Replace one document's membership rows; every series it left or joined is marked dirty."""
    old = c.execute("SELECT series, date, score FROM series_members WHERE doc_id=?", (doc_id,)).fetchall()
    new = {(s, d, sc) for s, d, _, sc in rows}
    if set(old) == new:
        return
    c.executemany("INSERT OR IGNORE INTO dirty_series VALUES (?)", [(s,) for s, _, _ in old] + [(s,) for s, *_ in rows])
    c.execute("DELETE FROM series_members WHERE doc_id=?", (doc_id,))
    c.executemany("INSERT OR REPLACE INTO series_members VALUES (?,?,?,?)", rows)


def get_stage_state(c: sqlite3.Connection, stage: str) -> dict:
    row = c.execute("SELECT body FROM stage_state WHERE stage=?", (stage,)).fetchone()
    return json.loads(row[0]) if row else {}


def set_stage_state(c: sqlite3.Connection, stage: str, state: dict) -> None:
    c.execute("INSERT OR REPLACE INTO stage_state VALUES (?,?)", (stage, json.dumps(state, sort_keys=True)))


def _where(series: list[str] | None, as_of: str | None) -> tuple[str, list]:
    """The WHERE clause (with its arguments) selecting membership rows of `series` dated up to `as_of`."""
    where, args = [], []
    if as_of is not None:
        where.append("date <= ?")
        args.append(as_of)
    if series is not None:
        where.append(f"series IN ({','.join('?' * len(series))})")
        args.extend(series)
    return (" WHERE " + " AND ".join(where) if where else ""), args


def _month_counts(c: sqlite3.Connection, series: list[str] | None, as_of: str | None) -> Iterator[tuple[str, str, int]]:
    where, args = _where(series, as_of)
    yield from c.execute(f"SELECT series, substr(date, 1, 7) AS p, COUNT(*) FROM series_members{where} "
                         "GROUP BY series, p ORDER BY series, p", args)


def _counts_at(c: sqlite3.Connection, series: list[str] | None, granularity: str,
               as_of: str | None) -> Iterator[tuple[str, str, int]]:
    """(series, period, count) of the non-empty periods, series by series in key order."""
    if granularity == "month":
        yield from _month_counts(c, series, as_of)
        return
    # other granularities: aggregated here from the daily dates, one series at a time (bounded memory)
    cur_key, acc = None, {}
    for key, p, n in _daily_counts(c, series, as_of):
        if key != cur_key:
            if cur_key is not None:
                yield from ((cur_key, per, k) for per, k in sorted(acc.items()))
            cur_key, acc = key, {}
        per = period_of(dt.date.fromisoformat(p), granularity)
        acc[per] = acc.get(per, 0) + n
    if cur_key is not None:
        yield from ((cur_key, per, k) for per, k in sorted(acc.items()))


def _daily_counts(c, series, as_of):
    where, args = _where(series, as_of)
    yield from c.execute(f"SELECT series, date, COUNT(*) FROM series_members{where} "
                         "GROUP BY series, date ORDER BY series, date", args)


def filled_counts(rows: Iterable[tuple[str, str, int]], last_period: str | None) -> Iterator[tuple[str, str, int]]:
    """Each series' rows zero-filled from its first period to its last, or to `last_period` when later
    (the rule of `models.aggregate.build_counts`)."""
    cur_key, got = None, {}

    def flush():
        periods = sorted(got)
        end = max(periods[-1], last_period) if last_period else periods[-1]
        for p in period_range(periods[0], end):
            yield cur_key, p, got.get(p, 0)

    for key, period, n in rows:
        if key != cur_key:
            if cur_key is not None:
                yield from flush()
            cur_key, got = key, {}
        got[period] = n
    if cur_key is not None:
        yield from flush()


CHUNK = 500  # series per SQL statement (SQLite allows 32766 parameters; a chunk keeps each result small)
PROGRESS_SERIES = 100  # series between two calls of update_counts' progress callback


def _reporting(rows: Iterable[tuple[str, str, int]], progress: Callable[[int], None], done: int = 0
               ) -> Iterator[tuple[str, str, int]]:
    """`rows` (series by series) unchanged; `progress(series done)` every PROGRESS_SERIES series."""
    cur = None
    for row in rows:
        if row[0] != cur:
            if cur is not None:
                done += 1
                if done % PROGRESS_SERIES == 0:
                    progress(done)
            cur = row[0]
        yield row


def update_counts(c: sqlite3.Connection, granularity: str, as_of: dt.date | None, full: bool = False,
                  progress: Callable[[int, int], None] | None = None) -> dict:
    """Recount the dirty series (all of them when `full`, or when the cut-off or granularity differs from the
    last count); the recounted series go to the detect stage's list. Returns what was done.

    `progress(series recounted, series to recount)` is called as the work goes on and once at its end."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
    wanted = {"granularity": granularity, "as_of": as_of.isoformat() if as_of else None}
    everything = full or get_stage_state(c, "count") != wanted
    last_period = period_of(as_of, granularity) if as_of is not None else None
    cut = wanted["as_of"]
    c.execute("BEGIN IMMEDIATE")
    try:
        if everything:
            c.execute("DELETE FROM counts")
            rows = filled_counts(_counts_at(c, None, granularity, cut), last_period)
            if progress is not None:
                where, args = _where(None, cut)
                total = c.execute(f"SELECT COUNT(DISTINCT series) FROM series_members{where}", args).fetchone()[0]
                progress(0, total)
                rows = _reporting(rows, lambda done: progress(done, total))
            c.executemany("INSERT INTO counts VALUES (?,?,?)", rows)
            c.execute("INSERT OR IGNORE INTO detect_pending SELECT DISTINCT series FROM counts")
            recounted = c.execute("SELECT COUNT(DISTINCT series) FROM counts").fetchone()[0]
        else:
            dirty = [s for (s,) in c.execute("SELECT series FROM dirty_series ORDER BY series").fetchall()]
            for i in range(0, len(dirty), CHUNK):
                if progress is not None:
                    progress(i, len(dirty))
                chunk = dirty[i:i + CHUNK]
                c.executemany("DELETE FROM counts WHERE series=?", [(s,) for s in chunk])
                c.executemany("INSERT INTO counts VALUES (?,?,?)",
                              list(filled_counts(_counts_at(c, chunk, granularity, cut), last_period)))
            c.executemany("INSERT OR IGNORE INTO detect_pending VALUES (?)", [(s,) for s in dirty])
            recounted = len(dirty)
        c.execute("DELETE FROM dirty_series")
        set_stage_state(c, "count", wanted)
    except BaseException:
        c.execute("ROLLBACK")
        raise
    c.execute("COMMIT")
    if progress is not None:
        progress(recounted, recounted)
    return {"recounted_series": recounted, "all": everything}


def _detect_state(as_of: dt.date | None, settings: dict | None) -> dict:
    return {"as_of": as_of.isoformat() if as_of else None, **(settings or {})}


def series_to_detect(c: sqlite3.Connection, as_of: dt.date | None, full: bool = False,
                     settings: dict | None = None) -> tuple[list[tuple[str, int]], bool]:
    """(series, documents in all) of the series the detect stage must judge: those recounted since it last
    ran, or every series when `full` or when its cut-off or `settings` (what else decides which series are
    judged) changed. One pass over the counts table's key order."""
    wanted = _detect_state(as_of, settings)
    everything = full or get_stage_state(c, "detect") != wanted
    q = "SELECT series, SUM(count) FROM counts GROUP BY series ORDER BY series" if everything else (
        "SELECT c.series, SUM(c.count) FROM detect_pending p JOIN counts c ON c.series = p.series "
        "GROUP BY c.series ORDER BY c.series")
    return [(s, int(n)) for s, n in c.execute(q).fetchall()], everything


def detected(c: sqlite3.Connection, as_of: dt.date | None, settings: dict | None = None) -> None:
    """The detect stage is done with what was pending."""
    c.execute("BEGIN IMMEDIATE")
    c.execute("DELETE FROM detect_pending")
    set_stage_state(c, "detect", _detect_state(as_of, settings))
    c.execute("COMMIT")


def members_of(c: sqlite3.Connection, series: str, first: dt.date, last: dt.date) -> list[tuple[str, float]]:
    """(doc id, score) of the documents counted in `series` between the two dates (inclusive)."""
    return c.execute("SELECT doc_id, score FROM series_members WHERE series=? AND date BETWEEN ? AND ?",
                     (series, first.isoformat(), last.isoformat())).fetchall()
