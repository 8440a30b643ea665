"""Period keys of count series: YYYY, YYYY-MM, YYYY-Qn, YYYY-Www (ISO week)."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

GRANULARITIES = ("year", "quarter", "month", "week")
_FREQ = {"year": "Y-DEC", "quarter": "Q-DEC", "month": "M", "week": "W-SUN"}
_PATTERNS = [
    ("year", re.compile(r"^(\d{4})$")),
    ("month", re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$")),
    ("week", re.compile(r"^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$")),
]


# pandas periods reach only 1677..2262 at nanosecond precision; counts of this system fall well inside
FIRST_YEAR, LAST_YEAR = 1800, 2199


class PeriodError(ValueError):
    pass


def granularity(period: str) -> str:
    for name, pat in _PATTERNS:
        if pat.match(period):
            return name
    raise PeriodError(f"period {period!r} is none of YYYY, YYYY-MM, YYYY-Qn, YYYY-Www")


def to_period(period: str) -> pd.Period:
    g = granularity(period)
    year = int(period[:4])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"period {period!r}: year {year:04d} is outside {FIRST_YEAR}..{LAST_YEAR}")
    if g == "year":
        return pd.Period(period, freq=_FREQ[g])
    if g == "month":
        return pd.Period(period, freq=_FREQ[g])
    if g == "quarter":
        y, q = period.split("-Q")
        return pd.Period(year=int(y), quarter=int(q), freq=_FREQ[g])
    y, w = period.split("-W")
    try:
        monday = dt.date.fromisocalendar(int(y), int(w), 1)
    except ValueError:
        raise PeriodError(f"period {period!r}: ISO year {y} has no week {w}") from None
    return pd.Period(monday, freq=_FREQ[g])


def format_period(p: pd.Period, gran: str) -> str:
    if gran == "year":
        return f"{p.year:04d}"
    if gran == "month":
        return f"{p.year:04d}-{p.month:02d}"
    if gran == "quarter":
        return f"{p.year:04d}-Q{p.quarter}"
    iso = p.start_time.date().isocalendar()
    return f"{iso[0]:04d}-W{iso[1]:02d}"


def period_of(date: dt.date, gran: str) -> str:
    return format_period(pd.Period(date, freq=_FREQ[gran]), gran)


def period_range(first: str, last: str) -> list[str]:
    """Every period from first to last inclusive (same granularity)."""
    g = granularity(first)
    if granularity(last) != g:
        raise PeriodError(f"{first!r} and {last!r} have different granularities")
    return [format_period(p, g) for p in pd.period_range(to_period(first), to_period(last), freq=_FREQ[g])]


def period_end(period: str) -> dt.date:
    return to_period(period).end_time.date()
