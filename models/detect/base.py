"""The one detector interface and the pieces every detector shares.

Like R's `surveillance` package (every algorithm returns an `sts` object with
observed, upperbound, alarm) and scikit-learn's estimators, every detector here
takes a count series and returns the same thing: one `Detection` per period it
could judge. A detector is *causal*: its verdict on period t is computed from
periods <= t only, so running it on a series cut at t gives the same verdicts
up to t.

Scores: `score` is in [0, 1] and grows with the evidence against "nothing
happened"; for the model-based detectors it is 1 - p, p the one-sided tail
probability of the observed count under the predictive distribution in the
direction of the deviation. `alarm` is the detector's own decision.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from scipy import special

from ews.kernel.periods import granularity
from ews.kernel.schema import Detection

# Periods per seasonal cycle, by granularity (a year has no sub-cycle).
SEASON_LENGTH = {"year": 1, "quarter": 4, "month": 12, "week": 52}


@runtime_checkable
class Detector(Protocol):
    """A count-series detector: consecutive periods in, one Detection per judged period out."""

    name: str

    def detect(self, counts: pd.Series) -> list[Detection]:
        """`counts` is indexed by consecutive period strings (gaps filled with 0), named by its series key."""
        ...


@dataclass(frozen=True)
class LowCountGuard:
    """Counts too small to mean anything: a surge to 3 documents or a drop from an expected 2 is noise.

    A surge alarm needs at least `min_surge_count` observed; a drop alarm needs
    at least `min_drop_expected` expected (below that, even 0 is not unusual).
    """

    min_surge_count: float = 5.0
    min_drop_expected: float = 5.0

    def allows(self, direction: str, observed: float, expected: float) -> bool:
        if direction == "surge":
            return observed >= self.min_surge_count
        return expected >= self.min_drop_expected


def series_values(counts: pd.Series) -> tuple[str, list[str], np.ndarray]:
    """The series key, its period strings and its counts as floats (validated non-negative and finite)."""
    key = str(counts.name) if counts.name is not None else ""
    periods = [str(p) for p in counts.index]
    y = np.asarray(counts.to_numpy(), dtype=float)
    if y.size and (not np.all(np.isfinite(y)) or (y < 0).any()):
        raise ValueError(f"series {key!r}: counts must be finite and non-negative")
    return key, periods, y


def season_length(periods: list[str]) -> int:
    return SEASON_LENGTH[granularity(periods[0])] if periods else 1


@functools.lru_cache(maxsize=1 << 16)  # pure; sparse series ask the same few (k, mean, dispersion) again and again
def nb_cdf(k: float, mean: float, dispersion: float) -> float:
    """P(Y <= k) for Y negative binomial with the given mean and variance dispersion*mean (Poisson when <= 1).

    Written with the regularised incomplete beta/gamma functions rather than
    scipy.stats' frozen distributions, which cost about a millisecond each and
    are called for every period of every series.
    """
    if k < 0:
        return 0.0
    mean = max(mean, 1e-9)
    k = math.floor(k)
    if dispersion <= 1.0 + 1e-9:
        return float(special.gammaincc(k + 1, mean))
    size = mean / (dispersion - 1.0)
    return float(special.betainc(size, k + 1, size / (size + mean)))


@functools.lru_cache(maxsize=1 << 16)
def nb_quantile(q: float, mean: float, dispersion: float) -> float:
    """The smallest integer k with P(Y <= k) >= q (bisection on the cdf)."""
    lo, hi = -1, max(1, int(mean + 10.0 * math.sqrt(max(dispersion, 1.0) * max(mean, 1.0)) + 10))
    while nb_cdf(hi, mean, dispersion) < q:
        hi *= 2
    while hi - lo > 1:  # invariant: cdf(lo) < q <= cdf(hi)
        mid = (lo + hi) // 2
        if nb_cdf(mid, mean, dispersion) >= q:
            hi = mid
        else:
            lo = mid
    return float(hi)


def tail_probabilities(observed: float, mean: float, dispersion: float) -> tuple[float, float]:
    """(P(Y >= observed), P(Y <= observed)) under the NB/Poisson predictive distribution."""
    y = int(round(observed))
    return 1.0 - nb_cdf(y - 1, mean, dispersion), nb_cdf(y, mean, dispersion)


def count_verdict(*, series: str, period: str, observed: float, expected: float, dispersion: float,
                  alpha: float, method: str, guard: LowCountGuard) -> Detection:
    """The verdict of a model that predicts NB(expected, dispersion): two-sided, alpha per side.

    Bounds are the alpha and 1-alpha quantiles; the alarm is raised when the
    observed count lies outside them and the low-count guard allows it.
    """
    lower = nb_quantile(alpha, expected, dispersion) if expected > 0 else 0.0
    upper = nb_quantile(1.0 - alpha, expected, dispersion)
    p_up, p_down = tail_probabilities(observed, expected, dispersion)
    direction = "surge" if observed >= expected else "drop"
    p = p_up if direction == "surge" else p_down
    alarm = bool(p < alpha and guard.allows(direction, observed, expected))
    return Detection(series=series, period=period, observed=float(observed), expected=float(expected),
                     lower=lower, upper=upper, alarm=alarm, direction=direction,
                     score=float(np.clip(1.0 - p, 0.0, 1.0)), method=method)
