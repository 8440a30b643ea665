"""The detector contract every detector obeys, and `detect_counts` (alarms only, lag guard, gaps, empty)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from test_detect_series import flat, seasonal, series, sparse, trending, with_event

from models.detect import Detector, all_detectors, detect_counts

DETECTORS = all_detectors()
IDS = [d.name for d in DETECTORS]


@pytest.mark.parametrize("det", DETECTORS, ids=IDS)
def test_contract_same_result_shape_and_scores_in_unit_interval(det):
    assert isinstance(det, Detector)
    s = with_event(flat(n=96), 70, 4.0)
    out = det.detect(s)
    assert out, "a 96-month series must get verdicts"
    periods = list(s.index)
    assert [d.period for d in out] == sorted({d.period for d in out}, key=periods.index)
    for d in out:
        assert d.series == "flat-x4.0" and d.method
        assert 0.0 <= d.score <= 1.0
        assert d.direction in ("surge", "drop")
        assert d.lower is not None and d.upper is not None and d.lower <= d.expected <= d.upper + 1e-9
        assert d.observed == s[d.period]
        if d.alarm:  # an alarm is strong evidence on the detector's own scale
            assert d.score >= 0.5
    # the planted ×4 month is seen by every detector
    assert any(d.alarm and d.direction == "surge" and d.period == s.index[70] for d in out)


@pytest.mark.parametrize("det", DETECTORS, ids=IDS)
@pytest.mark.parametrize("cut", [30, 55, 71, 80])
def test_contract_causal_cut_series_gives_same_verdicts(det, cut):
    s = with_event(with_event(trending(n=96), 60, 3.0, 2), 75, 0.2, 2)
    full = {d.period: d for d in det.detect(s)}
    cut_out = det.detect(s.iloc[:cut])
    assert cut_out
    for d in cut_out:
        assert full[d.period] == d


@pytest.mark.parametrize("det", DETECTORS, ids=IDS)
def test_contract_no_future_leakage_changing_the_future_changes_nothing_before(det):
    s = seasonal()
    changed = s.copy()
    changed.iloc[60:] = changed.iloc[60:] * 5
    before = [d for d in det.detect(s) if list(s.index).index(d.period) < 60]
    after = [d for d in det.detect(changed) if list(s.index).index(d.period) < 60]
    assert before == after and before


@pytest.mark.parametrize("det", DETECTORS, ids=IDS)
def test_contract_empty_and_tiny_series_give_no_verdicts_without_crashing(det):
    assert det.detect(series([], periods=[], name="e")) == []
    assert not any(d.alarm for d in det.detect(series([3, 4])))


def df_of(*ss: pd.Series) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"series": s.name, "period": s.index, "count": s.to_numpy()}) for s in ss])


def test_detect_counts_returns_only_alarms_sorted_and_flags_planted_surge_not_flat_noise():
    rng = np.random.default_rng(7)
    base = series(rng.poisson(3, 48), name="tech:semi.memory")
    planted = base.copy()
    planted.iloc[40] = 4 * 3 + 1  # ×4 over a baseline of 3 a month
    noise = series(np.random.default_rng(8).poisson(3, 48), name="tech:battery.li_ion")
    df = df_of(planted, noise).sample(frac=1.0, random_state=1)  # any row order
    alarms = detect_counts(df)
    assert all(a.alarm for a in alarms)
    assert [(a.series, a.period) for a in alarms] == sorted((a.series, a.period) for a in alarms)
    assert ("tech:semi.memory", planted.index[40], "surge") in {(a.series, a.period, a.direction) for a in alarms}
    assert not [a for a in alarms if a.series == "tech:battery.li_ion"]


def test_detect_counts_missing_rows_count_as_zero():
    s = series([20] * 30, name="x")
    df = df_of(s)
    df = df[df["period"] != s.index[25]]  # the row is missing → 0 → a drop
    alarms = detect_counts(df)
    assert [(a.period, a.direction, a.observed) for a in alarms] == [(s.index[25], "drop", 0.0)]


def test_detect_counts_publication_lag_guard_never_flags_drops_in_incomplete_periods():
    # filings are published ~18 months late: the newest months look like a collapse
    rng = np.random.default_rng(5)
    values = rng.poisson(40, 60).astype(float)
    values[-4:] = [12, 7, 3, 1]
    s = series(values, name="tech:semi.memory")
    cutoff = dt.date(2019, 12, 31)  # the series ends 2019-12
    assert s.index[-1] == "2019-12"
    unguarded = detect_counts(df_of(s))
    assert any(a.direction == "drop" for a in unguarded), "without as_of the tail collapse is a drop"
    guarded = detect_counts(df_of(s), as_of=cutoff)
    assert not any(a.direction == "drop" for a in guarded)
    # a policy series has no such lag: its complete periods may still drop
    p = s.copy()
    p.name = "field:semi|policy:KR"
    assert any(a.direction == "drop" for a in detect_counts(df_of(p), as_of=cutoff))


def test_detect_counts_lag_guard_keeps_surges_in_incomplete_periods():
    values = np.full(48, 10.0)
    values[-1] = 60  # even an incomplete month with 60 filings is a surge: counts only grow
    s = series(values, name="tech:x")
    alarms = detect_counts(df_of(s), as_of=dt.date(2018, 12, 31))
    assert [(a.period, a.direction) for a in alarms] == [(s.index[-1], "surge")]


def test_detect_counts_empty_and_custom_detector():
    assert detect_counts(pd.DataFrame(columns=["series", "period", "count"])) == []

    class Always:
        name = "always"

        def detect(self, counts):
            from ews.kernel.schema import Detection
            return [Detection(series=counts.name, period=p, observed=v, expected=0, alarm=True,
                              direction="surge", score=1.0, method=self.name) for p, v in counts.items()]

    df = pd.DataFrame({"series": ["a", "a"], "period": ["2020", "2022"], "count": [1, 2]})
    assert [(a.period, a.observed) for a in detect_counts(df, detector=Always())] == [
        ("2020", 1.0), ("2021", 0.0), ("2022", 2.0)]


@pytest.mark.parametrize("make", [flat, sparse], ids=["flat", "sparse"])
def test_default_detector_quiet_on_plain_noise(make):
    s = make()
    alarms = [d for d in all_detectors()[-1].detect(s) if d.alarm]
    assert len(alarms) <= 1, alarms
