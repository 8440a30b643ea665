"""Risk score per technology: a transparent weighted mean of named components, each in [0, 1].

    from analysis.risk import risk_scores
    rows = risk_scores(counts, alerts=alerts, documents=docs, tagged=tagged)   # one per technology

The weights and parameters live in `analysis/data/risk_weights.yaml`; the
plan's technology-level table (seed 001 l.806-823) in
`analysis/data/tech_level_2024.yaml`. Components (1 = more risk to the home
country, Korea by default):

- `foreign_momentum`: for each foreign country with at least `min_recent`
  filings in the recent window (`tech:T|country:CC` series), its momentum
  clip(log(recent / previous) / log(growth_full), 0, 1) (counts + 1); the
  component is their mean weighted by recent filings. Each country's value is
  shown as `foreign_momentum.CC`; they enter the score only through the mean.
- `korea_share_low`: 1 - min(1, home share of recent filings / reference share).
- `korea_share_falling`: the relative fall of the home share from the previous
  window to the recent one, clipped to [0, 1].
- `foreign_policy_momentum`: the momentum (as above) of foreign policy documents
  of the technology's field (`field:F|policy:CC`, CC not home).
- `export_control_activity`: 1 - exp(-n / scale), n = recent foreign policy
  documents of the field naming a term of the export-control, sanctions or
  entity-list groups of `security_terms.yaml`.
- `alerts_open`, `alerts_confirmed`: 1 - exp(-summed severity / scale) of the
  technology's alerts that are open (new, triaged, escalated) or confirmed.
- `inventor_moves`: 1 - exp(-n / scale) of not-dismissed inventor-move alerts.
- `tech_level_gap`: Korea's gap in years behind the leader in the field / max_gap_years.

`raw` carries the measured inputs (shares, window sums) so every number can be
checked by hand. A component without data is 0 and says so in `raw.missing`.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from analysis.resources import load_data, security_groups
from ews.kernel.periods import granularity, period_end
from ews.kernel.schema import document_date
from ews.kernel.series import SeriesKey

OPEN = ("new", "triaged", "escalated")
EXPORT_GROUPS = ("export_controls", "sanctions", "entity_listings")


@dataclass
class RiskScore:
    technology: str
    field: str
    score: float
    components: dict[str, float]
    raw: dict = field(default_factory=dict)
    as_of: str | None = None

    def public(self) -> dict:
        return {"technology": self.technology, "field": self.field, "score": self.score,
                "components": self.components, "raw": self.raw, "as_of": self.as_of}


def load_weights() -> dict:
    cfg = load_data("risk_weights.yaml")
    weights = cfg.get("weights") or {}
    if not weights or any(not isinstance(v, (int, float)) or v < 0 for v in weights.values()):
        raise ValueError("analysis/data/risk_weights.yaml: weights must be non-negative numbers")
    return cfg


def _momentum(recent: float, previous: float, growth_full: float) -> float:
    return min(1.0, max(0.0, math.log((recent + 1) / (previous + 1)) / math.log(growth_full)))


def _windows(table: pd.DataFrame, as_of: str | None, window: dict) -> dict[str, tuple[float, float]]:
    """Per series: (sum of the recent window, sum of the window before), periods after as_of left out."""
    out = {}
    for key, rows in table.groupby("series", sort=False):
        rows = rows.sort_values("period")
        if as_of is not None:
            rows = rows[rows["period"] <= as_of]
        if rows.empty:
            continue
        w = window[granularity(rows["period"].iloc[-1])]
        values = rows["count"].to_numpy(dtype=float)
        out[key] = (float(values[-w:].sum()), float(values[-2 * w:-w].sum()) if len(values) > w else 0.0)
    return out


def technology_level_gap(field_id: str) -> float | None:
    row = load_data("tech_level_2024.yaml")["korea"].get(field_id)
    return None if row is None else float(row["gap_years"])


def risk_scores(counts: pd.DataFrame, alerts: list | None = None, documents=None, tagged=None,
                technologies: list[str] | None = None, as_of: str | None = None,
                config: dict | None = None) -> list[RiskScore]:
    """One score per technology (those of `technologies`, else every technology seen in the counts)."""
    cfg = config or load_weights()
    weights, par, home = cfg["weights"], cfg["parameters"], cfg.get("home", "KR")
    facets: dict[str, dict] = defaultdict(dict)       # tech -> country -> (recent, previous)
    policy: dict[str, dict] = defaultdict(dict)       # field -> country -> (recent, previous)
    seen_techs = set()
    sums = _windows(counts, as_of, par["window"]) if len(counts) else {}
    for key, rp in sums.items():
        k = SeriesKey.read(key)
        if k.subject_kind == "tech":
            seen_techs.add(k.subject)
            if k.corpus == "patent" and k.dimension == "country":
                facets[k.subject][k.value] = rp
        if k.subject_kind == "field" and k.corpus == "policy":
            policy[k.subject][k.value] = rp
    export_docs = _export_control_documents(documents, tagged, home, as_of, par) if documents is not None else {}
    techs = technologies or sorted(seen_techs)
    out = []
    for tech in techs:
        field_id = tech.split(".", 1)[0]
        comp, raw, missing = {}, {}, []
        by_country = facets.get(tech, {})
        foreign = {c: rp for c, rp in by_country.items() if c != home}
        total_recent = sum(r for r, _ in by_country.values())
        total_prev = sum(p for _, p in by_country.values())
        moving = {c: _momentum(r, p, par["growth_full"]) for c, (r, p) in foreign.items() if r >= par["min_recent"]}
        mass = sum(foreign[c][0] for c in moving)
        comp["foreign_momentum"] = round(sum(moving[c] * foreign[c][0] for c in moving) / mass, 4) if mass else 0.0
        if not moving:
            missing.append("foreign_momentum")
        home_recent, home_prev = by_country.get(home, (0.0, 0.0))
        share = home_recent / total_recent if total_recent else None
        share_prev = home_prev / total_prev if total_prev else None
        if share is None:
            comp["korea_share_low"] = comp["korea_share_falling"] = 0.0
            missing += ["korea_share_low", "korea_share_falling"]
        else:
            comp["korea_share_low"] = round(1 - min(1.0, share / par["korea_reference_share"]), 4)
            fall = (share_prev - share) / share_prev if share_prev else 0.0
            comp["korea_share_falling"] = round(min(1.0, max(0.0, fall)), 4)
        pol = {c: rp for c, rp in policy.get(field_id, {}).items() if c != home}
        if pol:
            comp["foreign_policy_momentum"] = round(_momentum(sum(r for r, _ in pol.values()),
                                                              sum(p for _, p in pol.values()), par["growth_full"]), 4)
        else:
            comp["foreign_policy_momentum"] = 0.0
            missing.append("foreign_policy_momentum")
        n_export = export_docs.get(field_id, 0)
        comp["export_control_activity"] = round(1 - math.exp(-n_export / par["export_control_scale"]), 4)
        open_sev, conf_sev, moves = _alert_sums(alerts or [], tech)
        comp["alerts_open"] = round(1 - math.exp(-open_sev / par["alert_scale"]), 4)
        comp["alerts_confirmed"] = round(1 - math.exp(-conf_sev / par["alert_scale"]), 4)
        comp["inventor_moves"] = round(1 - math.exp(-moves / par["move_scale"]), 4)
        gap = technology_level_gap(field_id)
        comp["tech_level_gap"] = round(min(1.0, gap / par["max_gap_years"]), 4) if gap is not None else 0.0
        if gap is None:
            missing.append("tech_level_gap")
        total_w = sum(weights.values())
        score = sum(weights.get(k, 0.0) * v for k, v in comp.items()) / total_w if total_w else 0.0
        for c in sorted(moving, key=lambda c: -foreign[c][0]):
            comp[f"foreign_momentum.{c}"] = round(moving[c], 4)
        raw.update({"home": home, "home_share": None if share is None else round(share, 4),
                    "home_share_previous": None if share_prev is None else round(share_prev, 4),
                    "filings_recent": total_recent, "filings_previous": total_prev,
                    "foreign_policy_recent": sum(r for r, _ in pol.values()),
                    "export_control_documents": n_export, "alerts_open_severity": round(open_sev, 4),
                    "alerts_confirmed_severity": round(conf_sev, 4), "inventor_moves": moves,
                    "gap_years": gap, "missing": missing})
        out.append(RiskScore(tech, field_id, round(min(1.0, max(0.0, score)), 4), comp, raw, as_of))
    return sorted(out, key=lambda r: (-r.score, r.technology))


def _alert_tech(a) -> tuple[str | None, list[str]]:
    techs = list(a.evidence.get("technologies") or [])
    tech = SeriesKey.read(a.series).technology or a.evidence.get("technology")
    return tech, techs or ([tech] if tech else [])


def _alert_sums(alerts: list, tech: str) -> tuple[float, float, int]:
    open_sev = conf_sev = 0.0
    moves = 0
    for a in alerts:
        _, techs = _alert_tech(a)
        if tech not in techs:
            continue
        if a.direction == "move":
            moves += a.status != "dismissed"
            continue
        if a.status in OPEN:
            open_sev += a.severity
        elif a.status == "confirmed":
            conf_sev += a.severity
    return open_sev, conf_sev, moves


def _export_control_documents(documents, tagged, home: str, as_of: str | None, par: dict) -> dict[str, int]:
    """Per field: foreign policy documents naming export controls, sanctions or entity lists (recent window)."""
    fields_of = {t.doc_id: set(t.tagging.fields) for t in (tagged or [])}
    dated = []
    for d in documents:
        if d.kind != "policy" or (d.jurisdiction or "") == home or d.id not in fields_of:
            continue
        date = document_date(d)
        if date is None:
            continue
        dated.append((date, d))
    if not dated:
        return {}
    last = max(date for date, _ in dated)
    if as_of is not None:
        last = min(last, period_end(as_of))
    months = par["window"]["month"]
    first = (pd.Timestamp(last) - pd.DateOffset(months=months)).date()
    out: dict[str, int] = defaultdict(int)
    for date, d in dated:
        if not (first < date <= last):
            continue
        if set(security_groups(f"{d.title}\n{d.text}")) & set(EXPORT_GROUPS):
            for f in fields_of[d.id]:
                out[f] += 1
    return dict(out)
