"""The share detector (a company against its technology's total) and the per-field sensitivity file."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_detect_series import months

from models.detect import (
    EARSC1Detector,
    Sensitivity,
    SensitivityError,
    ShareShiftDetector,
    default_detector,
    detect_counts,
    load_sensitivity,
    rescaled,
    run_detection,
)
from models.detect.counts import total_key
from models.detect.sensitivity import DEFAULT_FILE, field_of

N = 72


def _pair(seed=0, boom_at=None, company_surge_at=None, share=0.2, level=100.0):
    """(company counts, technology totals): the company a fixed share of the technology, plus optional events."""
    rng = np.random.default_rng(seed)
    mu = np.full(N, level)
    if boom_at is not None:
        mu[boom_at:] *= 2.5  # the whole technology grows
    others = rng.poisson(mu * (1 - share))
    company = rng.poisson(mu * share).astype(float)
    if company_surge_at is not None:
        company[company_surge_at] *= 3
    total = others + company
    idx = months(N)
    return (pd.Series(company, index=idx, name="tech:semi.memory|applicant:ACME"),
            pd.Series(total.astype(float), index=idx, name="tech:semi.memory"))


def _table(*series: pd.Series) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"series": s.name, "period": s.index, "count": s.to_numpy()}) for s in series])


def test_technology_wide_growth_is_not_the_company_s_surge():
    company, total = _pair(boom_at=50)
    # a count detector alone reads the boom as the company's surge
    assert any(d.alarm and d.direction == "surge" for d in default_detector().detect(company))
    alarms = detect_counts(_table(company, total))
    assert not [a for a in alarms if a.series == company.name], "the company kept its share: no alarm"
    assert any(a.series == total.name and a.direction == "surge" for a in alarms)


def test_company_specific_surge_is_flagged_with_its_share_explained():
    company, total = _pair(company_surge_at=60)
    alarms = [a for a in detect_counts(_table(company, total)) if a.series == company.name]
    assert [a.period for a in alarms] == [company.index[60]]
    a = alarms[0]
    assert a.method.endswith("+share") and a.direction == "surge"
    assert "its share of the technology moved too" in a.note and "usual share of 2" in a.note
    assert a.lower <= a.expected <= a.upper and a.expected == pytest.approx(20, rel=0.25)


def test_a_share_jump_of_a_shrinking_technology_is_flagged_by_the_share_alone():
    company, total = _pair(level=200.0)
    shrink = total.copy()
    shrink.iloc[60:] = np.round(shrink.iloc[60:] * 0.5)
    company.iloc[60:] = np.round(shrink.iloc[60:] * 0.45)  # the company's count stays about level, its share doubles
    alarms = [a for a in detect_counts(_table(company, shrink)) if a.series == company.name]
    assert alarms and alarms[0].period == company.index[60]
    assert alarms[0].method.startswith("share-betabinomial")


def test_share_drop_when_the_company_goes_quiet_while_the_technology_does_not():
    company, total = _pair(level=200.0)
    company.iloc[65:] = 0
    out = {d.period: d for d in ShareShiftDetector().detect_share(company, total)}
    assert out[company.index[65]].alarm and out[company.index[65]].direction == "drop"


@pytest.mark.parametrize("cut", [10, 40, 61, 70])
def test_share_detector_is_causal(cut):
    company, total = _pair(company_surge_at=60, boom_at=40)
    det = ShareShiftDetector()
    full = {d.period: d for d in det.detect_share(company, total)}
    part = det.detect_share(company.iloc[:cut], total.iloc[:cut])
    assert part
    for d in part:
        assert full[d.period] == d
    # changing the future of either series changes nothing before
    later = total.copy()
    later.iloc[cut:] *= 4
    assert [d for d in det.detect_share(company, later) if d.period < company.index[cut]] == \
        [d for d in full.values() if d.period < company.index[cut]]


def test_share_detector_empty_and_short():
    det = ShareShiftDetector()
    empty = pd.Series([], dtype=float, name="e")
    assert det.detect_share(empty, empty) == []
    company, total = _pair()
    assert det.detect_share(company.iloc[:5], total.iloc[:5]) == []


def test_total_key_only_for_patent_applicant_series():
    assert total_key("tech:semi.memory|applicant:ACME") == "tech:semi.memory"
    assert total_key("field:semi|applicant:ACME") == "field:semi"
    assert total_key("tech:semi.memory|country:KR") is None
    assert total_key("tech:semi.memory|policy:KR|applicant:X") is None


def test_shipped_sensitivity_file_names_every_field_of_the_taxonomy():
    from ews.kernel.taxonomy import load_taxonomy

    fields = {f.id for f in load_taxonomy().fields}
    s = load_sensitivity(DEFAULT_FILE, known_fields=fields)
    assert set(s.fields) == fields and s.default == 1.0


@pytest.mark.parametrize("text,problem", [
    ("default: loud\n", ":1: sensitivity 'loud'"),
    ("default: high\nfields:\n  semi: 50\n", ":3: sensitivity 50 is outside"),
    ("fields:\n  semi: high\n  nosuch: low\n", ":3: unknown field 'nosuch'"),
    ("fields: [1, 2\n", "not valid YAML"),
    ("colour: red\n", ":1: unknown key 'colour'"),
])
def test_bad_sensitivity_file_names_line_and_problem(tmp_path, text, problem):
    f = tmp_path / "sensitivity.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(SensitivityError) as e:
        load_sensitivity(f, known_fields={"semi", "battery"})
    assert str(e.value).startswith(str(f)) and problem in str(e.value)


def test_field_of_series_keys():
    assert field_of("tech:semi.memory|applicant:X") == "semi"
    assert field_of("field:battery|policy:KR") == "battery"
    assert field_of("semi.memory|SAMSUNG") == "semi"
    assert field_of("anything") is None


def test_rescaled_multiplies_every_alpha_and_leaves_the_original_alone():
    det = default_detector()
    before = det.yearly.first.alpha
    hi = rescaled(det, 2.0)
    # the yearly default is the agreement of two windows: both parts are rescaled
    assert hi.yearly.first.alpha == pytest.approx(2 * det.yearly.first.alpha)
    assert hi.yearly.second.alpha == pytest.approx(2 * det.yearly.second.alpha)
    assert hi.seasonal.alpha == pytest.approx(2 * det.seasonal.alpha)
    assert hi.sustained.alpha == pytest.approx(2 * det.sustained.alpha)
    assert f"alpha={2 * det.yearly.first.alpha:g}" in hi.name and det.yearly.first.alpha == before
    e = rescaled(EARSC1Detector(), 10.0)
    assert e.z == pytest.approx(2.326348, abs=1e-5)


def test_field_sensitivity_changes_what_detect_counts_flags():
    rng = np.random.default_rng(5)
    idx = [str(1995 + i) for i in range(24)]
    rows = []
    for k in range(30):
        y = rng.poisson(200 * np.exp(rng.normal(0, 0.12, len(idx))))
        for field in ("semi", "battery"):
            rows += [{"series": f"tech:{field}.x{k}", "period": p, "count": int(v)} for p, v in zip(idx, y)]
    df = pd.DataFrame(rows)
    low = Sensitivity(default=1.0, fields={"semi": 0.1})
    high = Sensitivity(default=1.0, fields={"semi": 10.0})

    def count(sens, field):
        return sum(a.series.startswith(f"tech:{field}.") for a in detect_counts(df, sensitivity=sens))

    assert count(high, "semi") > count(low, "semi")
    assert count(high, "battery") == count(low, "battery")  # the other field keeps its own setting


def test_withheld_drops_are_counted_with_their_reason():
    import datetime as dt

    idx = months(48, 2019)
    y = np.full(48, 40.0)
    y[-3:] = 2.0
    df = pd.DataFrame({"series": "tech:semi.memory", "period": idx, "count": y})
    run = run_detection(df, as_of=dt.date(2022, 12, 31))
    assert not [a for a in run.alarms if a.direction == "drop"]
    assert len(run.withheld) >= 1
    assert "publication lag" in run.withheld_summary() and "2021-06-30" in run.withheld_summary()
    assert [a.period for a in run_detection(df).alarms if a.direction == "drop"]
