"""The robust Holt candidate (`models/detect/holt.py`): calibrated tails, follows growth, not dragged by an event."""
from __future__ import annotations

import numpy as np
import pytest
from test_detect_series import months, series, trending, with_event

from models.detect import RobustHoltDetector


def alarms_per_100(det, level: float) -> float:
    n = judged = 0
    for seed in range(10):
        s = series(np.random.default_rng(seed).poisson(level, 240), periods=months(240, 2000), name="noise")
        out = det.detect(s)
        judged += len(out)
        n += sum(d.alarm for d in out)
    return 100.0 * n / judged


@pytest.mark.parametrize("level", [9.0, 30.0])
def test_nb_tails_are_quiet_on_poisson_noise_where_log_scale_student_t_tails_are_not(level):
    nb = alarms_per_100(RobustHoltDetector(), level)
    t = alarms_per_100(RobustHoltDetector(alpha=0.03, tails="t"), level)  # the t tails' best alpha on the backtest
    assert nb < 0.6
    assert t > 3 * nb and t > 1.0


def test_follows_steady_growth_and_flags_a_surge_on_top_of_it():
    grown = trending(n=120, start=10.0, growth=0.03)
    det = RobustHoltDetector()
    quiet = [d for d in det.detect(grown) if d.alarm]
    assert len(quiet) <= 1
    surged = with_event(grown, 100, 3.0)
    flagged = {d.period for d in det.detect(surged) if d.alarm and d.direction == "surge"}
    assert grown.index[100] in flagged


def test_a_one_month_spike_barely_moves_the_next_forecast():
    s = series(np.random.default_rng(4).poisson(20, 60), name="spiky")
    spiked = with_event(s, 40, 5.0)
    before = {d.period: d.expected for d in RobustHoltDetector().detect(s)}
    after = {d.period: d.expected for d in RobustHoltDetector().detect(spiked)}
    nxt = s.index[41]
    assert after[nxt] == pytest.approx(before[nxt], rel=0.1)
    assert after[nxt] < 1.2 * before[nxt]
