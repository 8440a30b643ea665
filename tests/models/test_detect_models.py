"""Each detector on hand-made series: flat, seasonal, sparse, trending, a known surge, a known drop, a shift."""
from __future__ import annotations

import numpy as np
import pytest
from test_detect_series import flat, seasonal, series, sparse, trending, with_event, years

from models.detect import (
    AutoDetector,
    EARSC1Detector,
    EARSC2Detector,
    EARSC3Detector,
    FarringtonFlexibleDetector,
    GLRShiftDetector,
    RobustBaselineDetector,
)
from models.detect.farrington import seasonal_levels
from models.detect.glm import fit_poisson

PER_PERIOD = [RobustBaselineDetector(), FarringtonFlexibleDetector(), EARSC1Detector(), EARSC2Detector(),
              AutoDetector()]


def alarms(det, s, direction=None):
    return [d.period for d in det.detect(s) if d.alarm and (direction is None or d.direction == direction)]


@pytest.mark.parametrize("det", PER_PERIOD + [GLRShiftDetector(), EARSC3Detector()], ids=lambda d: d.name)
def test_known_surge_is_flagged_at_its_first_period(det):
    s = with_event(flat(n=72, level=20), 50, 4.0, 2)
    assert s.index[50] in alarms(det, s, "surge")


@pytest.mark.parametrize("det", PER_PERIOD, ids=lambda d: d.name)
def test_flat_noise_raises_at_most_one_alarm(det):
    assert len(alarms(det, flat(n=72, level=20, seed=11))) <= 1


@pytest.mark.parametrize("det", [RobustBaselineDetector(), FarringtonFlexibleDetector(), AutoDetector()],
                         ids=lambda d: d.name)
def test_known_drop_is_flagged(det):
    s = with_event(flat(n=72, level=30), 55, 0.1)
    assert s.index[55] in alarms(det, s, "drop")


@pytest.mark.parametrize("det", PER_PERIOD + [GLRShiftDetector(), EARSC3Detector()], ids=lambda d: d.name)
def test_sparse_series_low_count_guard_keeps_quiet(det):
    s = sparse(n=96, level=0.4)
    s.iloc[60] = 3  # from nothing to 3 documents: surprising for a Poisson(0.4), meaningless for an analyst
    assert alarms(det, s) == []


def test_farrington_learns_the_season_where_a_flat_baseline_cannot():
    s = seasonal(n=96, amplitude=0.6, seed=4)
    assert len(alarms(FarringtonFlexibleDetector(), s)) <= 1
    assert len(alarms(RobustBaselineDetector(), s)) > 1
    # a ×2.5 at the seasonal trough is still an outbreak, though below the usual peaks
    trough = 81  # sin(2π·81/12) = -1
    hit = with_event(s, trough, 2.5)
    assert hit.max() > hit.iloc[trough]
    assert s.index[trough] in alarms(FarringtonFlexibleDetector(), hit, "surge")


@pytest.mark.parametrize("det", [RobustBaselineDetector(), FarringtonFlexibleDetector(), AutoDetector()],
                         ids=lambda d: d.name)
def test_trend_is_followed_not_flagged(det):
    s = trending(n=72, start=30, growth=0.04, seed=6)
    assert len(alarms(det, s)) <= 1


def test_yearly_growth_series_is_followed_by_the_default():
    rng = np.random.default_rng(9)
    s = series(rng.poisson(100 * np.exp(0.08 * np.arange(25))), periods=years(25), name="yearly")
    assert alarms(AutoDetector(), s) == []
    s.iloc[20] *= 2.5
    assert alarms(AutoDetector(), s, "surge") == [s.index[20]]


def test_glr_accumulates_a_modest_sustained_shift_that_single_periods_miss():
    rng = np.random.default_rng(12)
    values = rng.poisson(20, 60).astype(float)
    values[40:] = rng.poisson(32, 20)  # ×1.6 from period 40 on
    s = series(values, name="shift")
    glr = alarms(GLRShiftDetector(), s, "surge")
    assert glr and s.index[40] <= glr[0] <= s.index[43]
    ears = alarms(EARSC1Detector(), s, "surge")
    assert not ears or ears[0] > glr[0]


def test_ears_judges_short_histories():
    s = series([5, 6, 5, 7, 6, 5, 6, 6, 30, 6], name="short")
    assert alarms(EARSC1Detector(), s) == [s.index[8]]
    assert [d.period for d in EARSC1Detector().detect(s)][0] == s.index[7]  # needs 7 periods of baseline
    assert [d.period for d in EARSC2Detector().detect(s)][0] == s.index[9]  # 7 more the 2-period guard


def test_auto_uses_the_short_history_detector_then_farrington():
    s = seasonal(n=60)
    methods = [d.method for d in AutoDetector().detect(s)]
    assert methods[0].startswith("robust") and methods[-1].startswith("farrington")
    # the switch happens by history length, identically on a cut series (causality of the choice)
    cut = [d.method for d in AutoDetector().detect(s.iloc[:35])]
    assert cut == methods[:len(cut)]


def test_seasonal_levels_put_the_same_months_in_level_zero():
    offsets = np.arange(1, 37)  # 1..36 months before t
    lv = seasonal_levels(offsets, 12, 1, 10)
    assert set(offsets[lv == 0] % 12) == {0, 1, 11}
    assert len(set(lv)) == 10


def test_poisson_glm_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    x = np.linspace(-1, 1, 400)
    X = np.column_stack([np.ones_like(x), x])
    y = rng.poisson(np.exp(2.0 + 0.5 * x))
    fit = fit_poisson(X, y.astype(float))
    assert fit.converged
    assert abs(fit.coef[0] - 2.0) < 0.05 and abs(fit.coef[1] - 0.5) < 0.08
    assert fit.dispersion < 1.3
