"""`detect_counts`: run a detector over every series of a long count table, keep the alarms."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ews.kernel.periods import granularity, period_range
from ews.kernel.schema import Detection
from models.detect.base import Detector
from models.detect.lag import is_complete


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


def detect_counts(df: pd.DataFrame, as_of: dt.date | None = None,
                  detector: Detector | None = None) -> list[Detection]:
    """The alarms (alarm=True) of `detector` on every series of df[series, period, count], by series, period.

    Without `detector`, patent (and paper) series get `default_detector()` and
    policy-document series (`…|policy:CC`) `policy_detector()`.

    With `as_of` (the data's cut-off date), a period not yet complete once the
    publication lag is allowed for (see `models.detect.lag`) never raises a drop:
    its count is low because documents are still to be published.
    """
    from models.detect.select import default_detector, is_policy_series, policy_detector

    if df is None or len(df) == 0:
        return []
    missing = {"series", "period", "count"} - set(df.columns)
    if missing:
        raise ValueError(f"count table lacks columns {sorted(missing)}")
    default = detector or default_detector()
    # policy-document series get their own settings unless a detector is imposed
    policy = detector or policy_detector()
    alarms: list[Detection] = []
    for key, rows in df.groupby(df["series"].astype(str), sort=True):
        counts = series_from_rows(rows, str(key))
        det = policy if is_policy_series(str(key)) else default
        for d in det.detect(counts):
            if not d.alarm:
                continue
            if d.direction == "drop" and not is_complete(d.period, d.series, as_of):
                continue
            alarms.append(d)
    # string order of periods is chronological within one granularity
    alarms.sort(key=lambda d: (d.series, d.period))
    return alarms
