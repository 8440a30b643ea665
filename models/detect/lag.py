"""Publication lag: the newest periods of a series are incomplete, so a low count there is not a drop.

Patents are published about 18 months after filing (the real data shows it:
drone families by application year fall to 171 in 2016, IEA counts collapse in
2020–21, only because those filings were not yet published). Policy documents
and papers appear within days, but the period containing the cut-off date is
still only partly observed.
"""
from __future__ import annotations

import datetime as dt

from ews.kernel.periods import period_end
from ews.kernel.series import SeriesKey

PATENT_LAG_MONTHS = 18
POLICY_LAG_MONTHS = 0


def lag_months_for(series: str) -> int:
    """The publication lag assumed for a series key.

    By the documents the key counts (`ews.kernel.series`): policy documents
    and papers appear without lag; patents, and any free key (user CSV input),
    get the patent lag, the conservative choice, since the lag only ever
    suppresses drop alarms.
    """
    if SeriesKey.parse(series).counts_documents in ("policy", "paper"):
        return POLICY_LAG_MONTHS
    return PATENT_LAG_MONTHS


def months_before(date: dt.date, months: int) -> dt.date:
    y, m = divmod(date.year * 12 + (date.month - 1) - months, 12)
    m += 1
    # clamp the day to the target month's length
    for day in (date.day, 30, 29, 28):
        try:
            return dt.date(y, m, min(day, 31))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def complete_until(series: str, as_of: dt.date) -> dt.date:
    """Periods ending on or before this date are complete for the series."""
    return months_before(as_of, lag_months_for(series))


def is_complete(period: str, series: str, as_of: dt.date | None) -> bool:
    if as_of is None:
        return True
    return period_end(period) <= complete_until(series, as_of)
