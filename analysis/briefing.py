"""The monthly field briefing and the annual patent-trend report, as HTML and PDF.

    from analysis.briefing import write_briefing, write_annual
    paths = write_briefing(stage1, "battery", period=None, out_dir=Path("out"))   # latest complete month
    paths = write_annual(store, stage1, "battery", 2024, out_dir=Path("out"))

The page is rendered from Jinja templates (`analysis/templates/*.html.j2`, every
value autoescaped: titles come from crawled sources), charts are embedded as PNG,
and WeasyPrint turns the same HTML into PDF with the system's fonts (Debian:
fonts-noto-cjk for Korean).

Sections of the monthly briefing (seed 001 l.1571, l.1504-1507): summary;
per technology filings in the month, the three-month growth, the leading
applicant countries and applicants; the forecast of each technology's monthly
filings with 80 % and 95 % intervals; new and confirmed alerts; emerging terms;
issues (`analysis.issues`); risk and its components (`analysis.risk`); the
policy-activity forecast per country. The annual report (l.1577) has the same
parts per year, from `analysis.annual.annual_data`.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from analysis import charts
from analysis.forecast import forecast_counts, policy_activity_forecast
from analysis.inputs import Stage1
from analysis.issues import IssueHistory, discover_issues
from analysis.resources import load_data
from analysis.risk import load_weights, risk_scores
from analysis.summarise import get_summariser, summarise_issues
from ews.kernel.files import write_text_atomic
from ews.kernel.periods import granularity, period_end, period_of, to_period
from ews.kernel.schema import document_date
from ews.kernel.series import SeriesKey

FORECAST_MONTHS = 6
FORECAST_YEARS = 2
WINDOW_MONTHS = 24
TOP = 8


class BriefingError(ValueError):
    pass


_env = Environment(loader=PackageLoader("analysis", "templates"), autoescape=select_autoescape(default=True))


def latest_complete_month(stage1: Stage1) -> str:
    """The newest month whose end the data has reached: the month before the newest document's, unless that
    document is dated on its month's last day."""
    dates = [d for d in (document_date(doc) for doc in stage1.documents) if d is not None]
    if not dates:
        raise BriefingError("no dated documents in the store: run `ews run` (or `ews ingest`) first")
    newest = max(dates)
    month = period_of(newest, "month")
    return month if period_end(month) == newest else period_of(newest.replace(day=1) - dt.timedelta(days=1), "month")


def _month_periods(last: str, n: int) -> list[str]:
    p = to_period(last)
    return [f"{(p - i).year:04d}-{(p - i).month:02d}" for i in range(n - 1, -1, -1)]


def _series(counts: pd.DataFrame, key: str, periods: list[str]) -> list[float]:
    rows = counts[counts["series"] == key]
    by = dict(zip(rows["period"], rows["count"]))
    return [float(by.get(p, 0)) for p in periods]


def _facets(counts: pd.DataFrame, tech: str, facet: str, periods: set[str]) -> Counter:
    prefix = f"tech:{tech}|{facet}:"
    rows = counts[counts["series"].str.startswith(prefix) & counts["period"].isin(periods)]
    out: Counter = Counter()
    for key, n in zip(rows["series"], rows["count"]):
        out[SeriesKey.read(key).value] += int(n)
    return out


def _field_alerts(alerts, field_id: str):
    out = []
    for a in alerts:
        fields = {SeriesKey.read(a.series).field} | {t.split(".", 1)[0] for t in (a.evidence or {}).get("technologies") or []}
        if field_id in fields:
            out.append(a)
    return out


def _alert_row(a) -> dict:
    return {"id": a.id, "series": a.series, "period": a.period, "direction": a.direction, "observed": a.observed,
            "expected": round(a.expected, 2), "severity": round(a.severity, 2), "status": a.status,
            "explanation": a.explanation}


def _emerging(stage1: Stage1, techs: list[str], granularity_: str, as_of: dt.date) -> list[dict]:
    from models.emerging import emerging_terms

    wanted = set(techs)
    tagged = [t for t in stage1.tagged if {s.id for s in t.tagging.technologies} & wanted]
    ids = {t.doc_id for t in tagged}
    docs = [d for d in stage1.documents if d.id in ids]
    ranked = emerging_terms(docs, tagged, granularity=granularity_, as_of=as_of, top=6)
    return [{"technology": t, "terms": [{"term": e.term, "score": e.score, "emerging": e.emerging,
                                         "documents": e.evidence["documents_total"]} for e in ranked[t]]}
            for t in techs if t in ranked]


def _field_info(field_id: str, taxonomy) -> dict:
    f = taxonomy.field(field_id)
    level = load_data("tech_level_2024.yaml")
    return {"id": f.id, "name_ko": f.name_ko, "name_en": f.name_en,
            "technologies": [{"id": t.id, "name_ko": t.name_ko, "name_en": t.name_en} for t in f.technologies],
            "level": level["korea"].get(f.id), "level_source": level["provenance"]["source"],
            "others": {c: v.get(f.id) for c, v in level["others"].items()}}


def _summary(issues, alerts_new, technologies) -> dict:
    """Key sentences for the summary section: from the issues' summaries and the new alerts' explanations."""
    summariser = get_summariser()
    texts = [" ".join(i.summary.get("en", []) + i.summary.get("ko", [])) for i in issues[:5]]
    texts += [a["explanation"] for a in alerts_new[:10] if a["explanation"]]
    growing = [t for t in technologies if (t["growth"] or 0) > 0.2]
    lead = [f"{t['name_en']} filings grew {t['growth']:+.0%} over the last three months." for t in growing[:3]]
    return {"en": lead + summariser.summarise(texts, "en", 3), "ko": summariser.summarise(texts, "ko", 3)}


def briefing_context(stage1: Stage1, field_id: str, period: str | None, taxonomy, home: Path | None = None) -> dict:
    if period is None:
        period = latest_complete_month(stage1)
    elif granularity(period) != "month":
        raise BriefingError(f"--period {period!r}: a briefing is monthly, give YYYY-MM (or --annual YYYY)")
    info = _field_info(field_id, taxonomy)
    techs = [t["id"] for t in info["technologies"]]
    counts = stage1.counts
    counts = counts[counts["period"].str.len() == 7] if len(counts) else counts   # the monthly series
    window = _month_periods(period, WINDOW_MONTHS)
    last3, prev3 = set(window[-3:]), set(window[-6:-3])
    month = {period}
    tech_rows, history = [], {}
    cut = counts[counts["period"] <= period] if len(counts) else counts
    for t in info["technologies"]:
        values = _series(counts, f"tech:{t['id']}", window)
        recent, before = sum(values[-3:]), sum(values[-6:-3])
        tech_rows.append({**t, "month": int(values[-1]), "last3": int(recent), "prev3": int(before),
                          "growth": (recent / before - 1) if before else None,
                          "countries": _facets(counts, t["id"], "country", last3 | prev3).most_common(5),
                          "applicants": _facets(counts, t["id"], "applicant", last3 | prev3).most_common(5)})
        if sum(values):
            history[t["id"]] = (window, values)
    fc_input = cut[cut["series"].isin([f"tech:{k}" for k in history])] if len(cut) else cut
    fc = {f.series.split(":", 1)[1]: f.rows() for f in forecast_counts(fc_input, FORECAST_MONTHS)} if len(fc_input) else {}
    policy_rows = cut[cut["series"].str.startswith(f"field:{field_id}|policy:")] if len(cut) else cut
    policy_fc = [{"series": f.series, "country": SeriesKey.read(f.series).value, "model": f.model,
                  "rows": f.rows()} for f in policy_activity_forecast(policy_rows, FORECAST_MONTHS)] if len(policy_rows) else []
    field_alerts = _field_alerts(stage1.alerts, field_id)
    alerts_new = [_alert_row(a) for a in sorted(field_alerts, key=lambda a: -a.severity) if a.period in month]
    alerts_confirmed = [_alert_row(a) for a in field_alerts if a.status == "confirmed" and a.period <= period]
    history_file = IssueHistory(home / "analysis" / "issues" / f"{field_id}.json") if home else None
    issues = discover_issues(stage1.documents, stage1.tagged, field_id, period=period, alerts=stage1.alerts,
                             history=history_file, taxonomy=taxonomy)
    summarise_issues(issues, stage1.documents)
    risk = [r.public() for r in risk_scores(stage1.counts, alerts=stage1.alerts, documents=stage1.documents,
                                            tagged=stage1.tagged, technologies=techs, as_of=period)]
    weights = load_weights()["weights"]
    country_totals: Counter = Counter()
    for t in tech_rows:
        country_totals.update(dict(t["countries"]))
    ctx = {
        "kind": "briefing", "title_en": f"{info['name_en']}: monthly briefing {period}",
        "title_ko": f"{info['name_ko']} 월간 브리핑 {period}", "field": info, "period": period,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "technologies": tech_rows, "alerts_new": alerts_new, "alerts_confirmed": alerts_confirmed,
        "emerging": _emerging(stage1, techs, "month", period_end(period)),
        "issues": [i.public() for i in issues[:TOP]], "risk": risk, "weights": weights,
        "forecasts": [{"technology": k, "rows": v} for k, v in fc.items()], "policy_forecasts": policy_fc,
        "charts": {
            "trend": charts.trend_with_forecast({k: (p, v) for k, (p, v) in history.items()}, fc,
                                                "Monthly patent filings per technology, forecast with 80/95 % bands"),
            "risk": charts.stacked_components(risk, weights, "Risk score per technology by component"),
            "countries": charts.bars(dict(country_totals), "Applicant countries, last 6 months", "patents"),
        },
    }
    ctx["summary"] = _summary(issues, alerts_new, tech_rows)
    return ctx


def annual_context(store, stage1: Stage1, field_id: str, year: int, taxonomy, home: Path | None = None) -> dict:
    from analysis.annual import annual_data

    data = annual_data(store, year)
    f = next(x for x in data["fields"] if x["id"] == field_id)
    info = _field_info(field_id, taxonomy)
    techs = [t["id"] for t in info["technologies"]]
    yearly = []
    for t in f["technologies"]:
        for y, n in t["patents"].items():
            yearly.append((f"tech:{t['id']}", y, n))
    table = pd.DataFrame(yearly, columns=["series", "period", "count"])
    nonzero = table.groupby("series")["count"].sum()
    table = table[table["series"].isin(nonzero[nonzero > 0].index)]
    fc = {x.series.split(":", 1)[1]: x.rows() for x in forecast_counts(table, FORECAST_YEARS)} if len(table) else {}
    history = {t["id"]: (data["years"], [float(t["patents"][y]) for y in data["years"]])
               for t in f["technologies"] if sum(t["patents"].values())}
    issues = discover_issues(stage1.documents, stage1.tagged, field_id, period=str(year), alerts=stage1.alerts,
                             history=IssueHistory(home / "analysis" / "issues" / f"{field_id}-annual.json") if home else None,
                             taxonomy=taxonomy)
    summarise_issues(issues, stage1.documents)
    as_of = f"{year}-12"
    risk = [r.public() for r in risk_scores(stage1.counts, alerts=stage1.alerts, documents=stage1.documents,
                                            tagged=stage1.tagged, technologies=techs, as_of=as_of)]
    weights = load_weights()["weights"]
    alerts_by_status = Counter(a["status"] for a in f["alerts"])
    ctx = {
        "kind": "annual", "title_en": f"{info['name_en']}: patent trends {year}",
        "title_ko": f"{info['name_ko']} 연간 특허동향 {year}", "field": info, "year": year, "data": f,
        "years": data["years"], "note": data["note"], "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "emerging": _emerging(stage1, techs, "year", dt.date(year, 12, 31)),
        "issues": [i.public() for i in issues[:TOP]], "risk": risk, "weights": weights,
        "forecasts": [{"technology": k, "rows": v} for k, v in fc.items()],
        "alerts_by_status": dict(alerts_by_status),
        "charts": {
            "trend": charts.trend_with_forecast(history, fc, "Patents per technology per year, forecast with 80/95 % bands",
                                                ylabel="patents per year"),
            "risk": charts.stacked_components(risk, weights, f"Risk score per technology by component, end of {year}"),
            "countries": charts.bars({c["country"]: c["patents"] for c in f["countries"]},
                                     f"Applicant countries {year}", "patents"),
        },
    }
    summariser = get_summariser()
    texts = [" ".join(i.summary.get("en", []) + i.summary.get("ko", [])) for i in issues[:5]]
    ctx["summary"] = {"en": summariser.summarise(texts, "en", 3), "ko": summariser.summarise(texts, "ko", 3)}
    return ctx


def render_html(ctx: dict) -> str:
    return _env.get_template(f"{ctx['kind']}.html.j2").render(**ctx)


def write_html_and_pdf(ctx: dict, out_dir: Path, stem: str) -> dict[str, Path]:
    """Write stem.html and stem.pdf into out_dir (each atomically); returns their paths."""
    from weasyprint import HTML

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html = render_html(ctx)
    html_path, pdf_path = out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
    write_text_atomic(html_path, html)
    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
    HTML(string=html, base_url=str(out_dir)).write_pdf(tmp)
    tmp.replace(pdf_path)
    return {"html": html_path, "pdf": pdf_path}


def write_briefing(stage1: Stage1, field_id: str, period: str | None, out_dir: Path, taxonomy,
                   home: Path | None = None) -> dict[str, Path]:
    ctx = briefing_context(stage1, field_id, period, taxonomy, home)
    return write_html_and_pdf(ctx, out_dir, f"briefing-{field_id}-{ctx['period']}")


def write_annual(store, stage1: Stage1, field_id: str, year: int, out_dir: Path, taxonomy,
                 home: Path | None = None) -> dict[str, Path]:
    ctx = annual_context(store, stage1, field_id, year, taxonomy, home)
    return write_html_and_pdf(ctx, out_dir, f"annual-{field_id}-{year}")


