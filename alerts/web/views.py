"""What the pages show, computed from the stores (no HTML here: the templates render it)."""
from __future__ import annotations

from collections import Counter, defaultdict

from alerts.base import AlertQuery, AlertStore, ReviewedAlert
from alerts.web.i18n import SEVERITY_BANDS, severity_band
from ews.kernel.series import SeriesKey
from ews.kernel.store import Store

OPEN_STATUSES = ["new", "triaged", "escalated"]
SCAN = 1000


def open_alerts(store: AlertStore, field: str | None = None) -> tuple[list[ReviewedAlert], int]:
    return store.search_page(AlertQuery(status=OPEN_STATUSES, field=field, size=SCAN))


def by_severity(alerts: list[ReviewedAlert]) -> dict[str, int]:
    counts = Counter(severity_band(r.alert.severity) for r in alerts)
    return {band: counts.get(band, 0) for band, _ in SEVERITY_BANDS}


def landing(store: AlertStore, taxonomy) -> list[dict]:
    """The 12 fields with their open alerts per severity band."""
    alerts, _ = open_alerts(store)
    per_field: dict[str, list[ReviewedAlert]] = defaultdict(list)
    for r in alerts:
        per_field[SeriesKey.read(r.alert.series).field].append(r)
    return [{"field": f, "open": len(per_field[f.id]), "bands": by_severity(per_field[f.id]),
             "technologies": len(f.technologies)} for f in taxonomy.fields]


def sparklines(store: AlertStore, tech_ids: list[str], last: int = 24) -> list[dict]:
    out = []
    for tid in tech_ids:
        points = store.trend(f"tech:{tid}")[-last:]
        out.append({"technology": tid, "series": f"tech:{tid}", "periods": [p.period for p in points],
                    "counts": [p.count for p in points], "latest": points[-1].count if points else None})
    return out


def field_movers(store: AlertStore, field_id: str, n: int = 8) -> list:
    return [m for m in store.top_movers(200) if SeriesKey.read(m.series).field == field_id][:n]


def newest_documents(library: Store, field_id: str, kind: str = "policy", n: int = 8) -> list:
    tagged = {t.doc_id: t for t in library.iter_tagged() if field_id in t.tagging.fields
              or any(x.id.split(".", 1)[0] == field_id for x in t.tagging.technologies)}
    docs = [d for d in library.iter_documents(kind=kind) if d.id in tagged]
    docs.sort(key=lambda d: (d.published.isoformat() if d.published else "", d.id), reverse=True)
    return docs[:n]


def alert_chart(store: AlertStore, r: ReviewedAlert) -> dict:
    """The series with the expected value and upper bound at every flagged period the detectors returned."""
    a = r.alert
    points = store.trend(a.series)
    flagged: dict[str, dict] = {}
    siblings, _ = store.search_page(AlertQuery(series=a.series, include_silenced=True, size=SCAN))
    for s in siblings + [r]:
        occ = s.alert.evidence.get("occurrences") or {
            s.alert.period: {"observed": s.alert.observed, "expected": s.alert.expected,
                             "lower": s.alert.evidence.get("lower"), "upper": s.alert.evidence.get("upper")}}
        for period, o in occ.items():
            flagged[period] = {"expected": o.get("expected"), "lower": o.get("lower"), "upper": o.get("upper"),
                               "direction": s.alert.direction, "this": s.alert.id == a.id}
    periods = sorted({p.period for p in points} | set(flagged))
    counts = {p.period: p.count for p in points}
    return {
        "series": a.series, "periods": periods,
        "observed": [counts.get(p) for p in periods],
        "expected": [flagged[p]["expected"] if p in flagged else None for p in periods],
        "upper": [flagged[p]["upper"] if p in flagged else None for p in periods],
        "lower": [flagged[p]["lower"] if p in flagged else None for p in periods],
        "flagged": [{"period": p, "direction": f["direction"], "this": f["this"]} for p, f in sorted(flagged.items())],
    }


def evidence(library: Store, r: ReviewedAlert) -> dict:
    """Documents, applicants, classes and countries behind the alert's count, as far as the store still has them."""
    contrib = r.alert.evidence.get("contributors") or {}
    docs = []
    applicants: Counter = Counter()
    classes: Counter = Counter()
    countries: Counter = Counter()
    for ref in contrib.get("documents") or []:
        doc = library.get_document(ref.get("id", "")) if ref.get("id") else None
        docs.append({"ref": ref, "doc": doc})
        if doc is None:
            continue
        if doc.jurisdiction and not doc.patent:  # a patent counts under its applicants' countries
            countries[doc.jurisdiction] += 1
        if doc.patent:
            applicants.update(p.name for p in doc.patent.applicants)
            countries.update(p.country for p in doc.patent.applicants if p.country)
            classes.update(c.split("/")[0] for c in doc.patent.cpc)
    top = contrib.get("top_applicants") or [{"name": n, "documents": c} for n, c in applicants.most_common(8)]
    return {"documents": docs, "total": contrib.get("documents_total", len(docs)), "applicants": top,
            "classes": classes.most_common(8), "countries": countries.most_common(8),
            "error": r.alert.evidence.get("contributors_error")}


def series_choices(library: Store, limit: int = 5000) -> list[str]:
    df = library.read_counts()
    return sorted(df["series"].unique().tolist())[:limit] if not df.empty else []
