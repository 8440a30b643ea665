"""Risk scores on hand-made counts and alerts: a planted rise is scored, every component is named and bounded."""
import datetime as dt

import pandas as pd

from analysis.risk import load_weights, risk_scores
from ews.kernel.schema import Alert, Document, TaggedDocument, Tagging

COMPONENTS = {"foreign_momentum", "korea_share_low", "korea_share_falling", "foreign_policy_momentum",
              "export_control_activity", "alerts_open", "alerts_confirmed", "inventor_moves", "tech_level_gap"}


def counts(rise_from=None):
    """Two technologies, KR/US/CN filings per year 2010-2021; from `rise_from` CN's memory filings quadruple."""
    rows = []
    for y in range(2010, 2022):
        for tech in ("semi.memory", "semi.power"):
            cn = 20 if rise_from is None or tech != "semi.memory" or y < rise_from else 80
            for c, n in (("KR", 30), ("US", 40), ("CN", cn)):
                rows.append((f"tech:{tech}|country:{c}", str(y), n))
            rows.append((f"tech:{tech}", str(y), 90 + cn))
    return pd.DataFrame(rows, columns=["series", "period", "count"])


def alert(series, status="new", severity=0.8, direction="surge"):
    now = dt.datetime(2021, 6, 1, tzinfo=dt.UTC)
    return Alert(id=f"a-{series}-{status}-{direction}", detector="t", series=series, period="2021",
                 direction=direction, observed=10, expected=2, score=0.9, severity=severity, method="t",
                 status=status, first_seen=now, last_seen=now)


def by_tech(rows):
    return {r.technology: r for r in rows}


def test_every_component_is_named_bounded_and_weighted_from_data():
    rows = risk_scores(counts())
    assert set(by_tech(rows)) == {"semi.memory", "semi.power"}
    weights = load_weights()["weights"]
    for r in rows:
        assert COMPONENTS <= set(r.components) and 0 <= r.score <= 1
        assert all(0 <= v <= 1 for v in r.components.values())
        expected = sum(weights[k] * r.components[k] for k in COMPONENTS) / sum(weights.values())
        assert abs(r.score - expected) < 1e-3
    # the plan's table: semiconductors 1.3 years behind the leader
    assert by_tech(rows)["semi.memory"].raw["gap_years"] == 1.3


def test_planted_foreign_rise_raises_the_score_as_of_its_time():
    data = counts(rise_from=2019)
    before = by_tech(risk_scores(data, as_of="2018"))
    after = by_tech(risk_scores(data, as_of="2021"))
    mem, power = after["semi.memory"], after["semi.power"]
    assert mem.score > before["semi.memory"].score + 0.05
    assert mem.score > power.score + 0.05
    assert mem.components["foreign_momentum.CN"] > 0.9 and "foreign_momentum.KR" not in mem.components
    assert mem.components["korea_share_falling"] > 0.3 and power.components["korea_share_falling"] == 0
    # what happened after as_of is not seen
    assert before["semi.memory"].score == before["semi.power"].score


def test_alerts_and_inventor_moves_count_by_status():
    alerts = [alert("tech:semi.memory|country:CN"), alert("tech:semi.memory", status="confirmed"),
              alert("tech:semi.memory|country:US", status="dismissed"),
              alert("inventor:kim", direction="move").model_copy(
                  update={"evidence": {"technologies": ["semi.memory"]}})]
    rows = by_tech(risk_scores(counts(), alerts=alerts))
    mem, power = rows["semi.memory"], rows["semi.power"]
    assert mem.components["alerts_open"] > 0 and mem.components["alerts_confirmed"] > 0
    assert mem.raw["alerts_open_severity"] == 0.8          # the dismissed one is not counted
    assert mem.components["inventor_moves"] > 0 and power.components["inventor_moves"] == 0
    assert mem.score > power.score


def test_foreign_export_control_documents_are_counted_per_field():
    now = dt.datetime(2021, 6, 1, tzinfo=dt.UTC)
    docs, tags = [], []
    for i, (juris, text) in enumerate([("US", "New export controls on advanced memory chips (entity list additions)"),
                                       ("KR", "수출통제 대응 방안"), ("US", "A roadmap for power devices")]):
        d = Document.build(source="s", source_key=str(i), kind="policy", title=text, text=text, lang="en",
                           published=dt.date(2021, 5, 1), fetched_at=now, jurisdiction=juris)
        docs.append(d)
        tags.append(TaggedDocument(doc_id=d.id, tagging=Tagging(id=d.id, fields=["semi"]), model_version="m",
                                   taxonomy_version="2024.1"))
    rows = by_tech(risk_scores(counts(), documents=docs, tagged=tags))
    assert rows["semi.memory"].raw["export_control_documents"] == 1   # the Korean one is home, the roadmap no control
    assert rows["semi.memory"].components["export_control_activity"] > 0


def test_without_any_data_a_technology_gets_its_prior_only():
    (r,) = risk_scores(pd.DataFrame(columns=["series", "period", "count"]), technologies=["aerospace.satellite"])
    assert r.components["tech_level_gap"] > 0.9 and r.components["foreign_momentum"] == 0
    assert "foreign_momentum" in r.raw["missing"]
