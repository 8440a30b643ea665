"""EARS C1, C2 and C3 (Hutwagner et al. 2003, the CDC's Early Aberration Reporting System).

Made for short histories: they need only the last 7 periods (C1) or the 7
before a 2-period guard (C2, C3).

- C1: z = (y_t - mean(y_{t-7..t-1})) / sd(same)
- C2: the same with the baseline y_{t-9..t-3}
- C3: sum over i = 0..2 of max(0, C2_{t-i} - 1)

Thresholds follow R `surveillance::earsC`: z_{1-alpha} with alpha 0.001 for
C1/C2 (z 3.09) and 0.025 for C3 (z 1.96), the CDC's choices.

Two modes:
- `reference=True` is `earsC` exactly (surges only, the sd floored at
  `min_sigma`, 0 by default; alarm when y_t > U_t for C1/C2 and when
  C3_t >= z for C3), pinned in the tests to the package's own test values;
- the default (tuned) mode adapts the method to document counts and flags
  both directions: the sd is floored at the Poisson sd sqrt(mean) (with seven
  zeros in the baseline any single document would otherwise be infinitely
  surprising), and the low-count guard applies.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ews.kernel.schema import Detection
from models.detect.base import LowCountGuard, series_values

BASELINE = 7
DEFAULT_ALPHA = {"C1": 0.001, "C2": 0.001, "C3": 0.025}


def baseline_stats(y: np.ndarray, t: int, lag: int, baseline: int = BASELINE) -> tuple[float, float] | None:
    """(mean, sd) of y[t-lag-baseline : t-lag], or None if the series is too short."""
    start, end = t - lag - baseline, t - lag
    if start < 0:
        return None
    base = y[start:end]
    return float(base.mean()), float(base.std(ddof=1))


def _z(y: float, mean: float, sd: float) -> float:
    if sd > 0:
        return (y - mean) / sd
    return 0.0 if y == mean else math.copysign(math.inf, y - mean)


class _EARS:
    lag = 0
    variant = ""

    def __init__(self, alpha: float | None = None, reference: bool = False, baseline: int = BASELINE,
                 min_sigma: float = 0.0, guard: LowCountGuard | None = None) -> None:
        if baseline < 3:
            raise ValueError("EARS needs a baseline of at least 3 periods")
        if min_sigma < 0:
            raise ValueError("min_sigma must be non-negative")
        self.alpha = DEFAULT_ALPHA[self.variant] if alpha is None else alpha
        self.z = float(stats.norm.ppf(1.0 - self.alpha))
        self.reference = reference
        self.baseline = baseline
        self.min_sigma = min_sigma
        self.guard = guard or LowCountGuard()
        mode = "-r" if reference else ""
        self.name = f"ears-{self.variant.lower()}{mode}(alpha={self.alpha:g})"

    def _sd(self, mean: float, sd: float) -> float:
        if self.reference:
            return max(sd, self.min_sigma)
        return max(sd, math.sqrt(max(mean, 1.0)))

    def stats_at(self, y: np.ndarray, t: int) -> tuple[float, float, float] | None:
        """(signed statistic, expected, sd) at t."""
        b = baseline_stats(y, t, self.lag, self.baseline)
        if b is None:
            return None
        mean, sd = b[0], self._sd(*b)
        return _z(y[t], mean, sd), mean, sd

    def verdict(self, y: np.ndarray, t: int) -> tuple[bool, str, float, float, float, float, float] | None:
        """(alarm, direction, expected, lower, upper, score) at t, or None when t cannot be judged."""
        res = self.stats_at(y, t)
        if res is None:
            return None
        z, mean, sd = res
        upper = mean + self.z * sd
        lower = max(0.0, mean - self.z * sd)
        direction = "surge" if z >= 0 else "drop"
        if self.reference:
            alarm = bool(y[t] > upper)
        else:
            alarm = abs(z) > self.z and self.guard.allows(direction, y[t], mean)
        return alarm, direction, mean, lower, upper, float(stats.norm.cdf(abs(z)))

    def detect(self, counts: pd.Series) -> list[Detection]:
        key, periods, y = series_values(counts)
        out = []
        for t in range(len(y)):
            v = self.verdict(y, t)
            if v is None:
                continue
            alarm, direction, expected, lower, upper, score = v
            out.append(Detection(series=key, period=periods[t], observed=float(y[t]), expected=expected,
                                 lower=lower, upper=max(upper, expected), alarm=bool(alarm), direction=direction,
                                 score=score, method=self.name))
        return out


class EARSC1Detector(_EARS):
    variant, lag = "C1", 0


class EARSC2Detector(_EARS):
    variant, lag = "C2", 2


class EARSC3Detector(_EARS):
    """C3 sums the C2 excesses of the current and the two previous periods, so it catches a rise spread over days.

    As `earsC` documents it: C3_t = sum_{i=0..2} max(0, C2_{t-i} - 1), alarm
    when C3_t >= z_{1-alpha}; the upper bound is the count at t that would
    bring C3_t to the threshold, given the two previous excesses
    (U_t = mean + sd (1 + z - P_t), P_t the previous two excesses; R's manual
    prints it without the 1). When P_t alone reaches z the count at t no
    longer matters and the bound is the baseline mean. The tuned mode sums
    shortfalls the same way for drops.
    """

    variant, lag = "C3", 2

    def verdict(self, y, t):
        now = self.stats_at(y, t)
        if now is None or t - 2 - self.lag - self.baseline < 0:
            return None
        z_now, mean, sd = now
        sign = 1.0 if (self.reference or z_now >= 0) else -1.0
        previous = [self.stats_at(y, t - i)[0] for i in (1, 2)]
        past = sum(max(0.0, sign * zi - 1.0) for zi in previous)
        c3 = past + max(0.0, sign * z_now - 1.0)
        direction = "surge" if sign > 0 else "drop"
        margin = max(0.0, 1.0 + self.z - past) if past < self.z else 0.0
        upper = mean + sd * margin
        lower = max(0.0, mean - sd * margin)
        if self.reference:
            alarm = bool(c3 >= self.z) and math.isfinite(mean)
        else:
            alarm = bool(c3 >= self.z and (sign * z_now > 0) and self.guard.allows(direction, y[t], mean))
        # C3 is a sum of truncated z-scores, not a z-score: the threshold z maps to 1 - exp(-z)
        score = float(1.0 - math.exp(-c3)) if math.isfinite(c3) else 1.0
        return alarm, direction, mean, lower, upper, score
