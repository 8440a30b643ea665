"""Count series from tagged documents: how many documents per series key and period.

Series keys are dimensions `name:value` joined by '|', the subject first:

| key | counts |
|---|---|
| `tech:semi.memory` | patents tagged with the technology |
| `field:semi` | patents tagged with the field |
| `tech:semi.memory\\|applicant:SAMSUNG ELECTRONICS` | patents of one applicant (normalised name, `ews.kernel.names`) |
| `tech:semi.memory\\|country:KR` | patents with an applicant from that country |
| `tech:semi.memory\\|jurisdiction:KR` | patents filed at that office |
| `field:semi\\|policy:KR`, `tech:semi.memory\\|policy:KR` | policy documents of that country (jurisdiction) |
| `field:semi\\|paper:ALL`, `tech:semi.memory\\|paper:ALL` | papers |

A key without `policy:` or `paper:` counts patents (that is what the
publication-lag guard of `models.detect.lag` relies on). Values never contain
'|'. A patent is dated by its application (filing) date, else its publication
date; policy documents and papers by their publication date; an undated
document is not counted. Each document counts once per key (two Korean
applicants on one patent make one count in `…|country:KR`).

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

from ews.kernel.names import normalise_applicant
from ews.kernel.periods import GRANULARITIES, period_of, period_range
from ews.kernel.schema import Document, TaggedDocument, document_date

SEP = "|"
UNKNOWN_COUNTRY = "XX"


def series_key(*dims: tuple[str, str]) -> str:
    """`series_key(("tech", "semi.memory"), ("country", "KR"))` → 'tech:semi.memory|country:KR'."""
    parts = []
    for name, value in dims:
        value = " ".join(str(value).replace(SEP, "/").split())
        parts.append(f"{name}:{value}")
    return SEP.join(parts)


def parse_series_key(key: str) -> dict[str, str]:
    """'tech:semi.memory|country:KR' → {'tech': 'semi.memory', 'country': 'KR'}."""
    out = {}
    for part in key.split(SEP):
        name, _, value = part.partition(":")
        out[name] = value
    return out


def document_keys(doc: Document, tagged: TaggedDocument) -> set[str]:
    """Every series key one tagged document counts in."""
    techs = [t.id for t in tagged.tagging.technologies]
    fields = list(tagged.tagging.fields)
    subjects = [("tech", t) for t in techs] + [("field", f) for f in fields]
    keys: set[str] = set()
    if doc.kind == "patent":
        info = doc.patent
        applicants = {normalise_applicant(a.name) for a in info.applicants} - {""} if info else set()
        countries = {a.country for a in info.applicants if a.country} if info else set()
        for subj in subjects:
            keys.add(series_key(subj))
            if subj[0] != "tech":
                continue
            keys.update(series_key(subj, ("applicant", a)) for a in applicants)
            keys.update(series_key(subj, ("country", c)) for c in countries)
            if doc.jurisdiction:
                keys.add(series_key(subj, ("jurisdiction", doc.jurisdiction)))
    else:
        qualifier = ("policy", doc.jurisdiction or UNKNOWN_COUNTRY) if doc.kind == "policy" else ("paper", "ALL")
        keys.update(series_key(subj, qualifier) for subj in subjects)
    return keys


def build_counts(documents: Iterable[Document], tagged: Iterable[TaggedDocument], granularity: str = "month",
                 as_of: dt.date | None = None) -> pd.DataFrame:
    """The count table (series, period, count), sorted, zero-filled inside each series' range."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
    tags = {t.doc_id: t for t in tagged}
    counter: Counter[tuple[str, str]] = Counter()
    for doc in documents:
        tag = tags.get(doc.id)
        if tag is None:
            continue
        date = document_date(doc)
        if date is None or (as_of is not None and date > as_of):
            continue
        period = period_of(date, granularity)
        for key in document_keys(doc, tag):
            counter[(key, period)] += 1
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
