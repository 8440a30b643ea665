"""The annual patent-trend report: per field, patents per technology per year, top applicants,
applicant countries and the alerts of the year (Markdown per field + one JSON)."""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

from alerts.base import AlertStore
from alerts.embedded import EmbeddedAlertStore
from ews.kernel.files import write_text_atomic
from ews.kernel.schema import document_date
from ews.kernel.series import SeriesKey, document_series
from ews.kernel.store import Store


def _year_of_alert(period: str) -> int | None:
    m = re.match(r"^(\d{4})", period)
    return int(m.group(1)) if m else None


def annual_data(store: Store, year: int, years_back: int = 4, top: int = 10, alerts: AlertStore | None = None,
                taxonomy_version: str | None = None) -> dict:
    """Per field: patents per technology per year (year-years_back..year), top applicants and applicant
    countries in `year`, and the alerts of that year with their review status (from `alerts`, the alert
    store the entry point selected; default the embedded one on `store`); counted as the aggregator counts
    (filing date, else publication; each patent once per key; applicants by normalised name)."""
    from ews.kernel.taxonomy import load_taxonomy

    tax = load_taxonomy(taxonomy_version)
    tagged = {t.doc_id: t for t in store.iter_tagged()}
    years = list(range(year - years_back, year + 1))
    per_tech: dict[str, Counter] = defaultdict(Counter)           # tech -> year -> patents
    per_field: dict[str, Counter] = defaultdict(Counter)          # field -> year -> patents
    applicants: dict[str, Counter] = defaultdict(Counter)         # field -> applicant -> patents in `year`
    applicants_prev: dict[str, Counter] = defaultdict(Counter)    # same, year - 1
    countries: dict[str, Counter] = defaultdict(Counter)          # field -> country -> patents in `year`
    untagged = 0
    for doc in store.iter_documents(kind="patent"):
        tg = tagged.get(doc.id)
        d = document_date(doc)
        if d is None or d.year not in years:
            continue
        if tg is None:
            untagged += 1
            continue
        # the aggregator's membership rule: the same technologies, fields, applicants and countries
        keys = document_series(doc, tg)
        techs = {k.subject for k in keys if k.subject_kind == "tech" and k.dimension is None}
        fields = {k.subject for k in keys if k.subject_kind == "field" and k.dimension is None}
        for t in techs:
            per_tech[t][d.year] += 1
        for f in fields:
            per_field[f][d.year] += 1
        if d.year in (year, year - 1):
            names = {k.value for k in keys if k.dimension == "applicant"}
            ccs = {k.value for k in keys if k.dimension == "country"}
            for f in fields:
                (applicants if d.year == year else applicants_prev)[f].update(names)
                if d.year == year:
                    countries[f].update(ccs)
    alerts_by_field: dict[str, list] = defaultdict(list)
    for a in (alerts or EmbeddedAlertStore(store)).all_alerts():
        if _year_of_alert(a.period) != year:
            continue
        parts = SeriesKey.read(a.series)
        if parts.field:
            alerts_by_field[parts.field].append(a)

    fields_out = []
    for f in tax.fields:
        techs = []
        for t in f.technologies:
            row = {str(y): per_tech[t.id][y] for y in years}
            prev = per_tech[t.id][year - 1]
            techs.append({"id": t.id, "name_ko": t.name_ko, "name_en": t.name_en, "patents": row,
                          "change_vs_previous_year": (round(per_tech[t.id][year] / prev - 1, 4) if prev else None)})
        fields_out.append({
            "id": f.id, "name_ko": f.name_ko, "name_en": f.name_en,
            "patents": {str(y): per_field[f.id][y] for y in years},
            "technologies": techs,
            "top_applicants": [{"applicant": n, "patents": c, "previous_year": applicants_prev[f.id][n]}
                               for n, c in sorted(applicants[f.id].items(), key=lambda x: (-x[1], x[0]))[:top]],
            "countries": [{"country": c, "patents": n}
                          for c, n in sorted(countries[f.id].items(), key=lambda x: (-x[1], x[0]))],
            "alerts": [{"id": a.id, "series": a.series, "period": a.period, "direction": a.direction,
                        "observed": a.observed, "expected": None if a.expected is None else round(a.expected, 3), "severity": round(a.severity, 4),
                        "status": a.status, "detector": a.detector}
                       for a in sorted(alerts_by_field[f.id], key=lambda a: (a.period, -a.severity, a.series))],
        })
    return {"year": year, "years": [str(y) for y in years], "taxonomy_version": tax.version,
            "patents_in_years_not_classified": untagged,
            "note": ("Patents are dated by filing date (else publication), so the newest year is incomplete "
                     "until publication catches up (about 18 months)"),
            "fields": fields_out}


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


def _md_annual(data: dict, f: dict) -> str:
    y, years = data["year"], data["years"]
    lines = [f"# {f['name_en']} ({f['name_ko']}) — patent trends {y}", "",
             f"Taxonomy {data['taxonomy_version']}. {data['note']}.", "",
             "## Patents per technology per year", "",
             "| technology | " + " | ".join(years) + " | change vs previous year |",
             "|---|" + "---:|" * len(years) + "---:|"]
    for t in f["technologies"]:
        ch = t["change_vs_previous_year"]
        lines.append(f"| {t['name_en']} (`{t['id']}`) | " + " | ".join(str(t["patents"][k]) for k in years)
                     + f" | {'—' if ch is None else f'{ch:+.0%}'} |")
    lines.append("| **field total** | " + " | ".join(str(f["patents"][k]) for k in years) + " | |")
    lines += ["", f"## Top applicants {y}", ""]
    if f["top_applicants"]:
        lines += ["| applicant | patents | previous year |", "|---|---:|---:|"]
        lines += [f"| {a['applicant']} | {a['patents']} | {a['previous_year']} |" for a in f["top_applicants"]]
    else:
        lines.append("No patents in this field this year.")
    lines += ["", f"## Applicant countries {y}", ""]
    if f["countries"]:
        lines += ["| country | patents |", "|---|---:|"] + [f"| {c['country']} | {c['patents']} |" for c in f["countries"]]
    else:
        lines.append("No applicant country known.")
    lines += ["", f"## Alerts {y}", ""]
    if f["alerts"]:
        lines += ["| period | series | direction | observed | expected | severity | status |", "|---|---|---|---:|---:|---:|---|"]
        lines += [f"| {a['period']} | `{a['series']}` | {a['direction']} | {_num(a['observed'])} | {_num(a['expected'])} | "
                  f"{a['severity']:.2f} | {a['status']} |" for a in f["alerts"]]
    else:
        lines.append("No alerts this year.")
    return "\n".join(lines) + "\n"


def annual_report(store: Store, year: int, out_dir: Path, alerts: AlertStore | None = None,
                  taxonomy_version: str | None = None) -> dict:
    """Write out_dir/annual/<year>/{trends.json, index.md, <field>.md}; returns the paths and totals."""
    data = annual_data(store, year, alerts=alerts, taxonomy_version=taxonomy_version)
    base = Path(out_dir) / "annual" / str(year)
    write_text_atomic(base / "trends.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
    index = [f"# Patent trends {year}, per field", "", f"Taxonomy {data['taxonomy_version']}. {data['note']}.", "",
             "| field | " + " | ".join(data["years"]) + " | alerts |", "|---|" + "---:|" * (len(data["years"]) + 1)]
    for f in data["fields"]:
        write_text_atomic(base / f"{f['id']}.md", _md_annual(data, f))
        index.append(f"| [{f['name_en']}]({f['id']}.md) | " + " | ".join(str(f["patents"][k]) for k in data["years"])
                     + f" | {len(f['alerts'])} |")
    write_text_atomic(base / "index.md", "\n".join(index) + "\n")
    return {"dir": str(base), "fields": len(data["fields"]),
            "patents": sum(f["patents"][str(year)] for f in data["fields"]),
            "alerts": sum(len(f["alerts"]) for f in data["fields"])}
