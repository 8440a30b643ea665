"""The alert store interface: one set of operations, two implementations.

`EmbeddedAlertStore` (SQLite, `alerts.embedded`) and `ElasticAlertStore`
(`alerts.elastic`) both implement `AlertStore`; one contract test suite runs
against both. The review workflow rules (which status may follow which) live
here, once.
"""
from __future__ import annotations

import abc
import datetime as dt
import fnmatch
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field

from ews.kernel.ids import stable_id
from ews.kernel.schema import Alert, AlertDirection, AlertKind, AlertStatus
from ews.kernel.series import SeriesKey

Status = AlertStatus  # declared once, in the kernel schema

# new → triaged → confirmed / dismissed / escalated; an escalated alert is settled
# as confirmed or dismissed; a dismissed one may be reopened for triage. An
# obvious false alarm may be dismissed straight from new.
TRANSITIONS: dict[str, set[str]] = {
    "new": {"triaged", "dismissed"},
    "triaged": {"confirmed", "dismissed", "escalated"},
    "escalated": {"confirmed", "dismissed"},
    "confirmed": set(),
    "dismissed": {"triaged"},
}


class AlertStoreError(Exception):
    pass


class AlertNotFound(AlertStoreError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "alert not found"


class ReviewConflict(AlertStoreError):
    """Another review changed the alert since the caller read it."""

    def __init__(self, alert_id: str, expected: str, current: str | None):
        self.alert_id, self.expected, self.current = alert_id, expected, current
        super().__init__(
            f"alert {alert_id} was changed by someone else since you read it "
            f"(your version {expected}, current version {current}); reload it and apply your review again")


class InvalidTransition(AlertStoreError, ValueError):
    pass


def check_transition(alert_id: str, current: str, target: str | None) -> None:
    if target is None or target == current:
        return
    if target not in TRANSITIONS.get(current, set()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, set()))) or "none"
        raise InvalidTransition(f"alert {alert_id}: cannot go from {current} to {target} (allowed: {allowed})")


class HistoryEntry(BaseModel):
    """One review action; entries are only ever appended."""

    alert_id: str
    at: dt.datetime
    actor: str
    action: Literal["status", "assign", "note"]
    from_status: str | None = None
    to_status: str | None = None
    assignee: str | None = None
    note: str = ""


class ReviewedAlert(BaseModel):
    """An alert with its review state and the version token needed to change it."""

    alert: Alert
    assignee: str | None = None
    version: str = Field(description="opaque concurrency token: pass it back with a review")
    silenced: bool = False

    def public(self) -> dict:
        d = self.alert.model_dump(mode="json")
        d.update({"assignee": self.assignee, "version": self.version, "silenced": self.silenced})
        return d


class Silence(BaseModel):
    """Hide alerts of matching series (a glob such as 'semi.*') from listings between two times."""

    id: str = ""
    series: str = Field(min_length=1, description="series key or glob pattern (* and ?)")
    direction: AlertDirection | None = None
    starts: dt.datetime
    ends: dt.datetime
    reason: str = ""
    created_by: str = Field(min_length=1)

    def model_post_init(self, _ctx) -> None:
        if not self.id:
            self.id = stable_id("silence", self.series, self.direction or "", self.starts.isoformat(),
                                self.created_by, length=16)

    def active(self, at: dt.datetime) -> bool:
        return self.starts <= at < self.ends

    def matches(self, alert: Alert) -> bool:
        return fnmatch.fnmatchcase(alert.series, self.series) and self.direction in (None, alert.direction)


class AlertQuery(BaseModel):
    """Structured filters plus free text (simple query syntax: terms, "phrases", -exclusions, a|b)."""

    text: str | None = None
    status: list[Status] | None = None
    series: str | None = None
    technology: str | None = None
    field: str | None = None
    direction: AlertDirection | None = None
    min_severity: float | None = None
    period_from: str | None = None
    period_to: str | None = None
    assignee: str | None = None
    kind: AlertKind | None = Field(default=None, description="the alert kind (count_deviation, inventor_move, ...)")
    country: str | None = Field(default=None, description="series facet country:X or jurisdiction:X")
    include_silenced: bool = False
    size: int = Field(default=50, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class TrendPoint(BaseModel):
    series: str
    period: str
    count: int


class Mover(BaseModel):
    series: str
    period: str
    previous_period: str
    count: int
    previous: int
    change: int
    ratio: float | None


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def default_movers_period(with_data: list[str], as_of: dt.date | None) -> str | None:
    """The period movers compare by default: the newest of `with_data` (periods where some series counted a
    document) that is complete by the data cut-off `as_of` (it ends on or before it), else the newest of
    them. Never a zero-filled one: the count stage pads every series with zeros up to the cut-off's period,
    and ranking those zeros against the last real period would read as every technology collapsing."""
    from ews.kernel.periods import PeriodError, period_end

    newest_first = sorted(with_data, reverse=True)
    if as_of is not None:
        for p in newest_first:
            try:
                if period_end(p) <= as_of:
                    return p
            except PeriodError:  # a period key the calendar does not know: only string order applies
                continue
    return newest_first[0] if newest_first else None


def movers_from_counts(counts: pd.DataFrame, n: int = 10, period: str | None = None,
                       technology_only: bool = True, as_of: dt.date | None = None) -> list[Mover]:
    """Series ranked by the absolute change from the previous period to `period` (default: the newest period
    with data, complete by the data cut-off `as_of`: `default_movers_period`)."""
    if counts.empty:
        return []
    df = counts
    if technology_only:
        bare = {s for s in df["series"].unique() if SeriesKey.read(str(s)).facet is None}
        df = df[df["series"].isin(bare)]
    periods = sorted(df["period"].unique())
    if period is None:
        period = default_movers_period(list(df.loc[df["count"] > 0, "period"].unique()), as_of)
        if period is None:
            return []
    earlier = [p for p in periods if p < period]
    if not earlier:
        return []
    prev = earlier[-1]
    cur = df[df["period"] == period].set_index("series")["count"]
    old = df[df["period"] == prev].set_index("series")["count"]
    out = []
    for s in sorted(set(cur.index) | set(old.index)):
        c, o = int(cur.get(s, 0)), int(old.get(s, 0))
        out.append(Mover(series=s, period=period, previous_period=prev, count=c, previous=o, change=c - o,
                         ratio=(c / o) if o else None))
    out.sort(key=lambda m: (-abs(m.change), m.series))
    return out[:n]


class AlertStore(abc.ABC):
    """The operations every alert store offers."""

    @abc.abstractmethod
    def setup(self) -> None:
        """Create what the store needs (tables; index templates, indices and aliases). Idempotent."""

    @abc.abstractmethod
    def upsert_alerts(self, alerts: list[Alert]) -> dict[str, int]:
        """Write alerts by id, applying the re-alerting window; review state of existing alerts is kept."""

    def record(self, alerts: list[Alert]) -> dict[str, int]:
        """Commit alerts durably (re-alerting window applied, review state kept) without waiting for a search
        index: what the pipeline's alert stage calls. A store with an index sends them at its next sync."""
        return self.upsert_alerts(alerts)

    @abc.abstractmethod
    def all_alerts(self) -> list[Alert]:
        """Every alert with its review status, as the review journal holds it (what the reports show):
        highest severity first, then series and period; silences do not hide any."""

    @abc.abstractmethod
    def get(self, alert_id: str) -> ReviewedAlert | None: ...

    @abc.abstractmethod
    def search(self, query: AlertQuery | None = None) -> list[ReviewedAlert]:
        """Highest severity first, then series and period."""

    @abc.abstractmethod
    def search_page(self, query: AlertQuery | None = None) -> tuple[list[ReviewedAlert], int]:
        """One page as `search` returns it, and how many alerts match in all pages."""

    @abc.abstractmethod
    def count_alerts(self) -> int: ...

    @abc.abstractmethod
    def review(self, alert_id: str, *, actor: str, version: str, status: Status | None = None,
               assignee: str | None = None, note: str = "") -> ReviewedAlert:
        """Change status and/or assignee and/or add a note, if nobody changed the alert since `version`.

        Raises AlertNotFound, InvalidTransition or ReviewConflict.
        """

    @abc.abstractmethod
    def history(self, alert_id: str) -> list[HistoryEntry]: ...

    @abc.abstractmethod
    def add_silence(self, silence: Silence) -> Silence: ...

    @abc.abstractmethod
    def silences(self, active_at: dt.datetime | None = None) -> list[Silence]: ...

    @abc.abstractmethod
    def index_trends(self, counts: pd.DataFrame) -> int:
        """Replace the trend data with a fresh aggregation (columns series, period, count)."""

    @abc.abstractmethod
    def trend(self, series: str, period_from: str | None = None, period_to: str | None = None) -> list[TrendPoint]: ...

    @abc.abstractmethod
    def top_movers(self, n: int = 10, period: str | None = None) -> list[Mover]:
        """Technology-level series ranked by change from the previous period to `period`; by default the
        newest period with data that the data cut-off (`data_cutoff`) covers whole."""

    def data_cutoff(self) -> dt.date | None:
        """The last day the stored data covers (`ews.kernel.store.Store.data_cutoff`), None if unknown."""
        return None

    @abc.abstractmethod
    def series_exists(self, pattern: str) -> bool:
        """Whether a series with this key, or matching this glob (* and ?), has count rows or alerts."""

    def close(self) -> None:  # noqa: B027 - optional: stores without resources keep this no-op
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # shared helpers ---------------------------------------------------------
    @staticmethod
    def _history_for(alert_id: str, actor: str, old_status: str, status: str | None,
                     old_assignee: str | None, assignee: str | None, note: str, at: dt.datetime) -> list[HistoryEntry]:
        entries = []
        if status is not None and status != old_status:
            entries.append(HistoryEntry(alert_id=alert_id, at=at, actor=actor, action="status",
                                        from_status=old_status, to_status=status, note=note))
        if assignee is not None and assignee != old_assignee:
            entries.append(HistoryEntry(alert_id=alert_id, at=at, actor=actor, action="assign", assignee=assignee,
                                        note="" if entries else note))
        if not entries:
            if not note:
                raise AlertStoreError(f"alert {alert_id}: a review needs a status change, an assignee or a note")
            entries.append(HistoryEntry(alert_id=alert_id, at=at, actor=actor, action="note", note=note))
        return entries
