"""The reference modes against R `surveillance` 1.26.0's own test values (tests/testthat/test-earsC.R,
test-farringtonFlexible.R), and the documented rules the R code implements."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.detect import EARSC1Detector, EARSC2Detector, EARSC3Detector, FarringtonFlexibleReference
from models.detect.farrington_r import (
    assign_weights,
    blocks,
    reference_positions,
    threshold_farrington,
    threshold_noufaily,
    week_reference_dates,
)

DATA = Path(__file__).parent / "data"


def salmnewport_germany() -> pd.Series:
    d = pd.read_csv(DATA / "salmnewport_germany_weekly.csv")
    return pd.Series(d["count"].to_numpy(dtype=float), index=list(d["period"]), name="salmNewport|DE")


def test_salmnewport_fixture_is_the_aggregated_r_data_set():
    s = salmnewport_germany()
    assert len(s) == 528 and s.index[0] == "2004-W02" and s.index[-1] == "2014-W07" and s.sum() == 1374


def test_ears_c1_reference_upper_bounds_are_those_of_the_r_test():
    """test-earsC.R: C1, alpha 0.05, range = the ISO weeks of 2011, upperbound[1:4]."""
    s = salmnewport_germany()
    out = {d.period: d for d in EARSC1Detector(alpha=0.05, reference=True).detect(s)}
    got = [out[f"2011-W{w:02d}"].upper for w in (1, 2, 3, 4)]
    assert got == pytest.approx([3.278854, 3.278854, 3.436517, 3.855617], abs=1e-6)


def test_ears_defaults_are_r_defaults():
    assert EARSC1Detector().z == pytest.approx(3.090232, abs=1e-6)
    assert EARSC2Detector().z == pytest.approx(3.090232, abs=1e-6)
    assert EARSC3Detector().z == pytest.approx(1.959964, abs=1e-6)


def test_ears_reference_alarm_is_observed_above_the_upper_bound_surges_only():
    s = salmnewport_germany()
    for det in (EARSC1Detector(reference=True), EARSC2Detector(reference=True)):
        out = det.detect(s)
        assert out
        for d in out:
            assert d.alarm == (d.observed > d.upper + 1e-12)
            assert not (d.alarm and d.direction == "drop")


def test_ears_c2_uses_the_lagged_baseline_and_c3_sums_three_excesses():
    y = np.array([2, 3, 2, 4, 3, 2, 3, 2, 3, 9, 9, 9], dtype=float)
    s = pd.Series(y, index=[f"2020-{m:02d}" for m in range(1, 13)], name="x")
    c2 = {d.period: d for d in EARSC2Detector(reference=True).detect(s)}
    base = y[0:7]
    assert c2["2020-10"].expected == pytest.approx(base.mean())
    assert c2["2020-10"].upper == pytest.approx(base.mean() + 3.090232306 * base.std(ddof=1))
    c3 = {d.period: d for d in EARSC3Detector(reference=True).detect(s)}
    # C3 needs the C2 statistic at t-2: judged from index baseline + 4
    assert min(c3) == "2020-12"

    def c2z(t):
        b = y[t - 9:t - 2]
        return (y[t] - b.mean()) / b.std(ddof=1)

    total = sum(max(0.0, c2z(t) - 1.0) for t in (9, 10, 11))
    assert c3["2020-12"].alarm == (total >= 1.959964)
    assert c3["2020-12"].score == pytest.approx(1 - np.exp(-total))


def test_farrington_weights_case_checked_by_hand():
    """test-farringtonFlexible.R: s = (0 x5, 2 x5), threshold 0 → weights 1.6 and 0.4; all below → 1."""
    w = assign_weights(np.array([0.0] * 5 + [2.0] * 5), 0.0)
    assert w[:5] == pytest.approx([1.6] * 5) and w[5:] == pytest.approx([0.4] * 5)
    assert assign_weights(np.zeros(10), 0.0) == pytest.approx(np.ones(10))


@pytest.mark.parametrize("power,expected", [
    ("none", (1.3073128, 8.6926872, 0.0907246, 0.8124165)),
    ("1/2", (1.9891097, 9.3744842, 0.1189986, 0.6857951)),
    ("2/3", (1.8084477, 9.1154825, 0.1094727, 0.7289546)),
])
def test_farrington_delta_threshold_known_results(power, expected):
    got = threshold_farrington(5.0, 0.2, 1.0, power, 0.05, 8.0)
    assert got == pytest.approx(expected, abs=1e-6)


def test_farrington_delta_threshold_rejects_a_wrong_exponent():
    with pytest.raises(ValueError, match="proper exponent"):
        threshold_farrington(5.0, 0.2, 1.0, "2/88", 0.05, 8.0)


@pytest.mark.parametrize("phi,method,expected", [
    (1.5, "muan", (8.0, 24.0, 0.8597797, 0.4193982)),
    (1.0, "muan", (9.0, 22.0, 0.9093099, 0.4605347)),
    (1.5, "nbPlugin", (1.0, 10.0, 0.03763657, 1.11918153)),
    (1.0, "nbPlugin", (2.0, 9.0, 0.01369527, 1.27061541)),
])
def test_noufaily_thresholds_known_results(phi, method, expected):
    got = threshold_noufaily(np.log(5), np.log(2), phi, 0.05, 11.0, method)
    assert got == pytest.approx(expected, abs=1e-6)


def test_reference_time_points_weekly_and_monthly():
    got = week_reference_dates(dt.date(2013, 6, 6), 3)
    assert all(d.isoweekday() == 4 for d in got)
    assert sorted(got) == [dt.date(2010, 6, 3), dt.date(2011, 6, 9), dt.date(2012, 6, 7), dt.date(2013, 6, 6)]
    # R is 1-based (48, 36, 24, 12); positions here are 0-based
    assert reference_positions(47, 3, 12) == [47, 35, 23, 11]
    assert reference_positions(47, 8, 12) is None  # "Some reference time points did not exist"


def _weekly_dates(first=dt.date(1990, 6, 7), n=1301):
    return [first + dt.timedelta(days=7 * i) for i in range(n)]


@pytest.mark.parametrize("p", [1, 8])
def test_blocks_reference_window_length_and_levels(p):
    dates = _weekly_dates()
    refs = sorted((dates.index(d) for d in (dt.date(2010, 6, 3), dt.date(2013, 6, 6), dt.date(2012, 6, 7),
                                            dt.date(2011, 6, 9))), reverse=True)
    b, w = 3, 3
    lv = blocks(refs, len(dates), w, p)
    assert int(np.sum(lv == p)) == w + 1 + b * (2 * w + 1)
    present = lv[~np.isnan(lv)]
    assert len(set(present.tolist())) == p
    if p > 1:
        counts = np.array([np.sum(present == j) for j in range(1, p)])
        assert np.all(np.abs(np.diff(counts))[:p - 2] <= b)


def test_data_glm_rows_match_r():
    """test-farringtonFlexible.R 'DATA GLM': b 3, w 3, 10 periods, w weeks left out, k 1200 → 157 rows, 156 with one NA."""
    dates = _weekly_dates()
    k = 1199  # R's k = 1200, 1-based
    assert dates[k] == dt.date(2013, 5, 30)
    refs = reference_positions(k, 3, 52, dates)
    lv = blocks(refs, len(dates), 3, 10)
    kept = lv.copy()
    kept[k - 3:k + 1] = np.nan
    rows = np.flatnonzero(~np.isnan(kept))
    assert len(set(lv[rows].tolist())) == 10
    assert np.all(np.diff(rows) == 1)
    assert len(rows) - int(1149 in rows) == 156


def test_farrington_reference_no_alarm_at_zero_and_alarm_iff_above_bound_with_enough_cases():
    s = salmnewport_germany()
    det = FarringtonFlexibleReference()
    out = det.detect(s.iloc[:400])
    assert out and out[0].period >= "2009"  # 5 years of history before the first verdict
    y = s.to_numpy()
    pos = {p: i for i, p in enumerate(s.index)}
    for d in out:
        t = pos[d.period]
        enough = y[max(0, t - 3):t + 1].sum() >= 5
        assert d.alarm == (enough and d.observed > d.upper and d.observed != 0)


def test_farrington_reference_flags_a_planted_outbreak_and_keeps_quiet_before():
    rng = np.random.default_rng(4)
    n = 7 * 52
    t = np.arange(n)
    y = rng.poisson(20 * (1 + 0.4 * np.sin(2 * np.pi * t / 52))).astype(float)
    y[330] = 80
    weeks = []
    d = dt.date(2015, 1, 5)
    for _ in range(n):
        iso = d.isocalendar()
        weeks.append(f"{iso[0]}-W{iso[1]:02d}")
        d += dt.timedelta(days=7)
    out = {x.period: x for x in FarringtonFlexibleReference().detect(pd.Series(y, index=weeks, name="w"))}
    assert out[weeks[330]].alarm
    assert sum(x.alarm for x in out.values()) <= 1 + 0.06 * len(out)


def test_farrington_reference_does_not_judge_yearly_series():
    s = pd.Series(np.arange(30.0), index=[str(1990 + i) for i in range(30)], name="y")
    assert FarringtonFlexibleReference().detect(s) == []
