"""The embedded alert store and the review journal: the core SQLite store plus review state, history and silences.

Alerts themselves stay in the core store's `alerts` table (so the pipeline, the
outbox and the reports see one truth); the review version and assignee, the
append-only history and the silences are in tables of the same database file
(all defined in `ews.kernel.migrations`).

This is where every review is written first, whichever store is selected: the
Elasticsearch store writes a review here and then indexes the result, so review
state and history outlive the search index (a cluster that comes back empty is
filled again from here by the next sync).
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import shlex
import sqlite3
from pathlib import Path

import pandas as pd

from alerts.base import (
    AlertNotFound,
    AlertQuery,
    AlertStore,
    HistoryEntry,
    Mover,
    ReviewConflict,
    ReviewedAlert,
    Silence,
    TrendPoint,
    check_transition,
    movers_from_counts,
    now_utc,
)
from alerts.build import DEFAULT_WINDOW, apply_realert_window
from ews.kernel.schema import Alert
from ews.kernel.series import SeriesKey
from ews.kernel.store import Store, immediate_transaction


class EmbeddedAlertStore(AlertStore):
    def __init__(self, store: Store | Path | str, window: int = DEFAULT_WINDOW):
        self._own_core = not isinstance(store, Store)
        self.core = Store(store) if self._own_core else store
        self.window = window

    @classmethod
    def from_settings(cls, settings) -> EmbeddedAlertStore:
        return cls(settings.home)

    @property
    def _conn(self) -> sqlite3.Connection:
        return self.core.connection  # the core's connection of this thread: one per thread, never shared

    def setup(self) -> None:
        pass  # the core store migrated the database when it opened

    def close(self) -> None:
        if self._own_core:
            self.core.close()

    def _tx(self):
        return immediate_transaction(self._conn)

    # alerts -------------------------------------------------------------------
    def upsert_alerts(self, alerts: list[Alert]) -> dict[str, int]:
        merged = apply_realert_window(alerts, self.core.list_alerts(), self.window)
        return self.core.upsert_alerts(merged)

    def all_alerts(self) -> list[Alert]:
        return self.core.list_alerts()

    def _review_rows(self, ids: list[str] | None = None) -> dict[str, tuple[int, str | None]]:
        if ids is not None and len(ids) <= 500:
            marks = ",".join("?" * len(ids))
            rows = self._conn.execute(f"SELECT id, version, assignee FROM alert_review WHERE id IN ({marks})",
                                      ids).fetchall() if ids else []
            return {i: (v, a) for i, v, a in rows}
        rows = self._conn.execute("SELECT id, version, assignee FROM alert_review").fetchall()
        out = {i: (v, a) for i, v, a in rows}
        return out if ids is None else {i: out[i] for i in ids if i in out}

    def review_state(self, ids: list[str] | None = None) -> dict[str, tuple[str, str | None]]:
        """Alert id -> (version, assignee) of reviewed alerts; an alert never reviewed is version "0"."""
        return {i: (str(v), a) for i, (v, a) in self._review_rows(ids).items()}

    def histories(self, ids: list[str] | None = None) -> dict[str, list[HistoryEntry]]:
        """Alert id -> its history, oldest first (only alerts that have one)."""
        out: dict[str, list[HistoryEntry]] = {}
        wanted = None if ids is None else set(ids)
        for alert_id, body in self._conn.execute("SELECT alert_id, body FROM alert_history ORDER BY alert_id, seq"):
            if wanted is None or alert_id in wanted:
                out.setdefault(alert_id, []).append(HistoryEntry.model_validate_json(body))
        return out

    def _reviewed(self, alert: Alert, review: tuple[int, str | None] | None, silences: list[Silence]) -> ReviewedAlert:
        version, assignee = review or (0, None)
        return ReviewedAlert(alert=alert, assignee=assignee, version=str(version),
                             silenced=any(s.matches(alert) for s in silences))

    def get(self, alert_id: str) -> ReviewedAlert | None:
        a = self.core.get_alert(alert_id)
        if a is None:
            return None
        return self._reviewed(a, self._review_rows([alert_id]).get(alert_id), self.silences(now_utc()))

    def count_alerts(self) -> int:
        return self.core.stats()["alerts"]

    def search(self, query: AlertQuery | None = None) -> list[ReviewedAlert]:
        return self.search_page(query)[0]

    def search_page(self, query: AlertQuery | None = None) -> tuple[list[ReviewedAlert], int]:
        q = query or AlertQuery()
        silences = self.silences(now_utc())
        reviews = self._review_rows()
        out = []
        for a in self.core.list_alerts():  # already sorted: severity desc, series, period
            r = self._reviewed(a, reviews.get(a.id), silences)
            if q.status and a.status not in q.status:
                continue
            if q.series and a.series != q.series:
                continue
            if q.technology and SeriesKey.read(a.series).technology != q.technology:
                continue
            if q.field and SeriesKey.read(a.series).field != q.field:
                continue
            if q.direction and a.direction != q.direction:
                continue
            if q.min_severity is not None and a.severity < q.min_severity:
                continue
            if q.period_from and a.period < q.period_from:
                continue
            if q.period_to and a.period > q.period_to:
                continue
            if q.assignee and r.assignee != q.assignee:
                continue
            if q.kind and a.kind != q.kind:
                continue
            if q.country and SeriesKey.read(a.series).facet not in (f"country:{q.country}", f"jurisdiction:{q.country}"):
                continue
            if r.silenced and not q.include_silenced:
                continue
            if q.text and not _simple_match(q.text, _searchable(a)):
                continue
            out.append(r)
        return out[q.offset:q.offset + q.size], len(out)

    # review -------------------------------------------------------------------
    def review(self, alert_id: str, *, actor: str, version: str, status=None, assignee=None, note: str = "") -> ReviewedAlert:
        at = now_utc()
        with self._tx() as c:
            row = c.execute("SELECT body FROM alerts WHERE id=?", (alert_id,)).fetchone()
            if row is None:
                raise AlertNotFound(f"no alert {alert_id}")
            alert = Alert.model_validate_json(row[0])
            rev = c.execute("SELECT version, assignee FROM alert_review WHERE id=?", (alert_id,)).fetchone()
            cur_version, cur_assignee = rev or (0, None)
            if str(cur_version) != str(version):
                raise ReviewConflict(alert_id, str(version), str(cur_version))
            check_transition(alert_id, alert.status, status)
            entries = self._history_for(alert_id, actor, alert.status, status, cur_assignee, assignee, note, at)
            new_version = cur_version + 1
            new_assignee = assignee if assignee is not None else cur_assignee
            c.execute("INSERT INTO alert_review VALUES (?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                      "version=excluded.version, assignee=excluded.assignee, updated_at=excluded.updated_at",
                      (alert_id, new_version, new_assignee, at.isoformat()))
            if status is not None and status != alert.status:
                alert = alert.model_copy(update={"status": status})
            # the core table carries the status so the core's listing, upserts, the re-alert window and the
            # reports keep it; indexed=0 puts the reviewed alert back in the outbox for the search index
            c.execute("UPDATE alerts SET status=?, body=?, indexed=0, updated_at=? WHERE id=?",
                      (alert.status, alert.model_dump_json(), at.isoformat(), alert_id))
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) FROM alert_history WHERE alert_id=?", (alert_id,)).fetchone()[0]
            for i, e in enumerate(entries, start=1):
                c.execute("INSERT INTO alert_history VALUES (?,?,?)", (alert_id, seq + i, e.model_dump_json()))
        return ReviewedAlert(alert=alert, assignee=new_assignee, version=str(new_version),
                             silenced=any(s.matches(alert) for s in self.silences(at)))

    def adopt(self, alert_id: str, status: str, assignee: str | None, history: list[HistoryEntry]) -> bool:
        """Take over review work the journal lacks (the search index holds a longer history: reviews made
        there before the journal existed): the missing history entries are appended, status and assignee
        taken. Returns whether anything changed. The history is append-only, so a shorter or equal one
        never replaces what the journal has."""
        at = now_utc()
        with self._tx() as c:
            row = c.execute("SELECT body FROM alerts WHERE id=?", (alert_id,)).fetchone()
            if row is None:
                return False
            have = c.execute("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM alert_history WHERE alert_id=?",
                             (alert_id,)).fetchone()
            if len(history) <= have[0]:
                return False
            for i, e in enumerate(history[have[0]:], start=1):
                c.execute("INSERT INTO alert_history VALUES (?,?,?)", (alert_id, have[1] + i, e.model_dump_json()))
            rev = c.execute("SELECT version FROM alert_review WHERE id=?", (alert_id,)).fetchone()
            c.execute("INSERT INTO alert_review VALUES (?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                      "version=excluded.version, assignee=excluded.assignee, updated_at=excluded.updated_at",
                      (alert_id, (rev[0] if rev else 0) + 1, assignee, at.isoformat()))
            alert = Alert.model_validate_json(row[0]).model_copy(update={"status": status})
            c.execute("UPDATE alerts SET status=?, body=? WHERE id=?", (status, alert.model_dump_json(), alert_id))
        return True

    def history(self, alert_id: str) -> list[HistoryEntry]:
        rows = self._conn.execute("SELECT body FROM alert_history WHERE alert_id=? ORDER BY seq", (alert_id,)).fetchall()
        return [HistoryEntry.model_validate_json(b) for (b,) in rows]

    # silences -----------------------------------------------------------------
    def add_silence(self, silence: Silence) -> Silence:
        self._conn.execute("INSERT OR REPLACE INTO silences VALUES (?,?)", (silence.id, silence.model_dump_json()))
        return silence

    def silences(self, active_at: dt.datetime | None = None) -> list[Silence]:
        rows = [Silence.model_validate_json(b) for (b,) in self._conn.execute("SELECT body FROM silences ORDER BY id")]
        return [s for s in rows if active_at is None or s.active(active_at)]

    # trends -------------------------------------------------------------------
    def index_trends(self, counts: pd.DataFrame) -> int:
        return self.core.replace_counts(counts)

    def trend(self, series: str, period_from: str | None = None, period_to: str | None = None) -> list[TrendPoint]:
        df = self.core.read_counts()
        df = df[df["series"] == series]
        if period_from:
            df = df[df["period"] >= period_from]
        if period_to:
            df = df[df["period"] <= period_to]
        return [TrendPoint(series=s, period=p, count=int(c)) for s, p, c in df.sort_values("period").itertuples(index=False)]

    def top_movers(self, n: int = 10, period: str | None = None) -> list[Mover]:
        return movers_from_counts(self.core.read_counts(), n, period, as_of=self.data_cutoff())

    def data_cutoff(self) -> dt.date | None:
        return self.core.data_cutoff()

    def series_exists(self, pattern: str) -> bool:
        keys = "SELECT DISTINCT series FROM counts UNION SELECT DISTINCT json_extract(body, '$.series') FROM alerts"
        if not any(ch in pattern for ch in "*?["):
            return self._conn.execute(f"SELECT 1 FROM ({keys}) WHERE series=? LIMIT 1", (pattern,)).fetchone() is not None
        return any(fnmatch.fnmatchcase(k, pattern) for (k,) in self._conn.execute(keys) if k)


def _searchable(a: Alert) -> str:
    docs = (a.evidence.get("contributors") or {}).get("documents") or []
    return " ".join([a.series, a.period, a.direction, a.method, a.explanation] + [d.get("title") or "" for d in docs]).lower()


def _simple_match(text: str, haystack: str) -> bool:
    """A small subset of simple_query_string, for parity with the Elasticsearch store.

    Terms and "quoted phrases" must all occur (default operator AND, as the
    Elasticsearch store sets it); a leading '-' excludes; 'a|b' matches either.
    """
    try:
        tokens = shlex.split(text)
    except ValueError:  # an unbalanced quote: treat the text as plain words
        tokens = text.replace('"', " ").split()
    for tok in tokens:
        tok = tok.lower().strip()
        if not tok:
            continue
        if tok.startswith("-") and len(tok) > 1:
            if tok[1:] in haystack:
                return False
            continue
        alternatives = [t for t in tok.split("|") if t]
        if alternatives and not any(t.rstrip("*") in haystack for t in alternatives):
            return False
    return True
