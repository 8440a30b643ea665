"""Count series from tagged documents: how many documents per series key and period.

The series keys and the rule of which document counts in which key are the
kernel's (`ews.kernel.series`: the key table, `document_series`,
`memberships`); the evidence behind an alert reads the same rule, so the
documents an alert lists are the documents its count counted. A patent is
dated by its application (filing) date, else its publication date; policy
documents and papers by their publication date (`ews.kernel.schema.document_date`);
an undated or untagged document is not counted.

Gaps inside a series' range are filled with 0; with `as_of`, documents dated
after it are left out (a replay sees what was known then) and every series
runs to the period containing `as_of`, so a series that fell silent shows its
zeros.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

import pandas as pd

from ews.kernel.periods import GRANULARITIES, period_of, period_range
from ews.kernel.schema import Document, TaggedDocument
from ews.kernel.series import document_series, memberships


def document_keys(doc: Document, tagged: TaggedDocument) -> set[str]:
    """Every series key (string form) one tagged document counts in."""
    return {k.text for k in document_series(doc, tagged)}


def build_counts(documents: Iterable[Document], tagged: Iterable[TaggedDocument], granularity: str = "month",
                 as_of: dt.date | None = None) -> pd.DataFrame:
    """The count table (series, period, count), sorted, zero-filled inside each series' range."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
    counter: Counter[tuple[str, str]] = Counter()
    for m in memberships(documents, tagged, granularity, as_of):
        for key in m.keys:
            counter[(key.text, m.period)] += 1
    if not counter:
        return pd.DataFrame({"series": pd.Series(dtype=str), "period": pd.Series(dtype=str),
                             "count": pd.Series(dtype="int64")})
    last_period = period_of(as_of, granularity) if as_of is not None else None
    by_series: dict[str, list[str]] = {}
    for key, period in counter:
        by_series.setdefault(key, []).append(period)
    rows = []
    for key in sorted(by_series):
        periods = sorted(by_series[key])
        end = max(periods[-1], last_period) if last_period else periods[-1]
        for period in period_range(periods[0], end):
            rows.append((key, period, counter.get((key, period), 0)))
    return pd.DataFrame(rows, columns=["series", "period", "count"]).astype({"count": "int64"})
