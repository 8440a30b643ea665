"""`detect_counts`: run the detectors over every series of a long count table, keep the alarms."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ews.kernel.periods import granularity, period_range
from ews.kernel.schema import Detection
from ews.kernel.series import SeriesKey
from models.detect.base import Detector
from models.detect.lag import complete_until, is_complete
from models.detect.sensitivity import Sensitivity, load_sensitivity, rescaled


def series_from_rows(rows: pd.DataFrame, key: str) -> pd.Series:
    """One series' rows → a count Series over every period from its first to its last, missing ones 0."""
    rows = rows.assign(period=rows["period"].astype(str).str.strip())
    grans = {granularity(p) for p in rows["period"]}
    if len(grans) != 1:
        raise ValueError(f"series {key!r} mixes granularities {sorted(grans)}")
    by_period = rows.groupby("period")["count"].sum()
    # zero-padded period strings of one granularity sort chronologically (YYYY, YYYY-MM, YYYY-Qn, YYYY-Www)
    ordered = sorted(by_period.index)
    full = period_range(ordered[0], ordered[-1])
    counts = by_period.reindex(full, fill_value=0).astype(float)
    counts.name = key
    return counts


def total_key(key: str) -> str | None:
    """The technology (or field) total an applicant series is a part of: `tech:X|applicant:A` → `tech:X`."""
    k = SeriesKey.read(key)
    if k.dimension != "applicant" or k.corpus != "patent":
        return None
    if k.subject_kind == "tech":
        return str(SeriesKey.of_technology(k.subject))
    if k.subject_kind == "field":
        return str(SeriesKey.of_field(k.subject))
    return None


@dataclass
class Withheld:
    detection: Detection
    reason: str


@dataclass
class DetectionRun:
    """The alarms of one run, and the alarms withheld (with why)."""

    alarms: list[Detection] = field(default_factory=list)
    withheld: list[Withheld] = field(default_factory=list)

    def withheld_summary(self) -> str:
        if not self.withheld:
            return ""
        reasons: dict[str, int] = {}
        for w in self.withheld:
            reasons[w.reason] = reasons.get(w.reason, 0) + 1
        return "; ".join(f"{n} {r}" for r, n in sorted(reasons.items()))


def run_detection(df: pd.DataFrame, as_of: dt.date | None = None, detector: Detector | None = None,
                  sensitivity: Sensitivity | None = None, progress: Callable[[int], None] | None = None,
                  only: set[str] | None = None) -> DetectionRun:
    """Alarms of every series of df[series, period, count], and the drops withheld as incomplete.

    Without `detector`: patent (and paper) series get `default_detector()`,
    policy-document series (`…|policy:CC`) `policy_detector()`, and an applicant
    series whose technology total is in the table (`tech:X|applicant:A` next to
    `tech:X`) the share detector, so technology-wide growth is not read as the
    company's surge. Each field's sensitivity (`sensitivity.yaml`, or
    `sensitivity`) scales the alpha of the detectors on its series; an imposed
    `detector` is used as given.

    With `as_of` (the data's cut-off date), a period not yet complete once the
    publication lag is allowed for (see `models.detect.lag`) never raises a drop:
    its count is low because documents are still to be published.

    `progress(series judged)` is called after each series. With `only`, just those series are judged; the
    others serve as technology totals.
    """
    from models.detect.select import default_detector, is_policy_series, policy_detector, share_detector

    run = DetectionRun()
    if df is None or len(df) == 0:
        return run
    missing = {"series", "period", "count"} - set(df.columns)
    if missing:
        raise ValueError(f"count table lacks columns {sorted(missing)}")
    if detector is None and sensitivity is None:
        sensitivity = load_sensitivity()
    base = {"count": default_detector(), "policy": policy_detector(), "share": share_detector()}
    cache: dict[tuple[str, float], Detector] = {}

    def chosen(kind: str, key: str):
        if detector is not None:
            return detector
        factor = sensitivity.for_series(key)
        if (kind, factor) not in cache:
            cache[(kind, factor)] = rescaled(base[kind], factor)
        return cache[(kind, factor)]

    groups = dict(tuple(df.groupby(df["series"].astype(str), sort=True)))
    series = {str(k): series_from_rows(rows, str(k)) for k, rows in groups.items()}
    judged = 0
    for key, counts in series.items():
        if only is not None and key not in only:
            continue
        total = total_key(key)
        if detector is None and total in series and granularity(series[total].index[0]) == granularity(counts.index[0]):
            verdicts = chosen("share", key).detect_share(counts, series[total])
        else:
            verdicts = chosen("policy" if is_policy_series(key) else "count", key).detect(counts)
        for d in verdicts:
            if not d.alarm:
                continue
            if d.direction == "drop" and not is_complete(d.period, d.series, as_of):
                run.withheld.append(Withheld(d, f"drops in periods not complete before "
                                                f"{complete_until(d.series, as_of).isoformat()} (publication lag)"))
                continue
            run.alarms.append(d)
        judged += 1
        if progress is not None:
            progress(judged)
    # string order of periods is chronological within one granularity
    run.alarms.sort(key=lambda d: (d.series, d.period))
    return run


def detect_counts(df: pd.DataFrame, as_of: dt.date | None = None, detector: Detector | None = None,
                  sensitivity: Sensitivity | None = None, progress: Callable[[int], None] | None = None,
                  only: set[str] | None = None) -> list[Detection]:
    """The alarms (alarm=True) of `run_detection`, by series, period."""
    return run_detection(df, as_of, detector, sensitivity, progress, only).alarms
