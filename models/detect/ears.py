"""EARS C1, C2 and C3 (Hutwagner et al. 2003, the CDC's Early Aberration Reporting System).

Made for short histories: they need only the last 7 periods (C1) or the 7
before a 2-period guard (C2, C3).

- C1: z = (y_t - mean(y_{t-7..t-1})) / sd(same)
- C2: the same with the baseline y_{t-9..t-3}
- C3: sum over i = 0..2 of max(0, C2_{t-i} - 1)

Thresholds are the published ones (3 for C1/C2, 2 for C3), applied in both
directions. Two guards adapted to counts: the sd is floored at the Poisson sd
sqrt(mean) (with seven zeros in the baseline any single document would
otherwise be infinitely surprising), and the low-count guard.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ews.kernel.schema import Detection
from models.detect.base import LowCountGuard, series_values

BASELINE = 7


def ears_statistic(y: np.ndarray, t: int, lag: int) -> tuple[float, float, float] | None:
    """(z, baseline mean, baseline sd) with the baseline y[t-lag-7 : t-lag], or None if too short."""
    start, end = t - lag - BASELINE, t - lag
    if start < 0:
        return None
    base = y[start:end]
    mean = float(base.mean())
    sd = max(float(base.std(ddof=1)), np.sqrt(max(mean, 1.0)))
    return (y[t] - mean) / sd, mean, sd


class _EARS:
    lag = 0
    threshold = 3.0
    variant = ""

    def __init__(self, guard: LowCountGuard | None = None) -> None:
        self.guard = guard or LowCountGuard()
        self.name = f"ears-{self.variant.lower()}"

    def statistic(self, y: np.ndarray, t: int) -> tuple[float, float, float] | None:
        """(signed statistic, expected, sd)."""
        return ears_statistic(y, t, self.lag)

    def score(self, stat: float) -> float:
        return float(stats.norm.cdf(abs(stat)))

    def detect(self, counts: pd.Series) -> list[Detection]:
        key, periods, y = series_values(counts)
        out = []
        for t in range(len(y)):
            res = self.statistic(y, t)
            if res is None:
                continue
            stat, expected, sd = res
            direction = "surge" if stat >= 0 else "drop"
            alarm = abs(stat) > self.threshold and self.guard.allows(direction, y[t], expected)
            out.append(Detection(series=key, period=periods[t], observed=float(y[t]), expected=expected,
                                 lower=max(0.0, expected - 3.0 * sd), upper=expected + 3.0 * sd,
                                 alarm=bool(alarm), direction=direction, score=self.score(stat),
                                 method=self.name))
        return out


class EARSC1Detector(_EARS):
    variant, lag = "C1", 0


class EARSC2Detector(_EARS):
    variant, lag = "C2", 2


class EARSC3Detector(_EARS):
    """C3 accumulates the C2 excesses of the last three periods, so it catches a rise spread over days."""

    variant, lag, threshold = "C3", 2, 2.0

    def statistic(self, y, t):
        now = ears_statistic(y, t, self.lag)
        if now is None:
            return None
        _, expected, sd = now
        parts = [ears_statistic(y, t - i, self.lag) for i in range(3)]
        z = [p[0] for p in parts if p is not None]
        sign = 1.0 if now[0] >= 0 else -1.0
        # the same direction as the current period: excesses for surges, shortfalls for drops
        c3 = sum(max(0.0, sign * zi - 1.0) for zi in z)
        return sign * c3, expected, sd

    def score(self, stat):
        # C3 is a sum of truncated z-scores, not a z-score: map it so the threshold 2 sits at 0.5 → 0.99…
        return float(1.0 - np.exp(-abs(stat)))
