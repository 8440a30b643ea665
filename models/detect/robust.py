"""A robust count baseline: median level, Theil–Sen trend, MAD-based overdispersion.

Why: a median and a Theil–Sen slope over the recent window are barely moved by
a past surge or drop inside that window (so earlier outbreaks need no explicit
down-weighting), and the MAD of the residuals measures the series' own noise
(patent counts vary far more than Poisson from year to year). The predictive
distribution is a negative binomial with that mean and dispersion.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ews.kernel.schema import Detection
from models.detect.base import LowCountGuard, count_verdict, series_values


def mann_kendall_p(y: np.ndarray) -> float:
    """Two-sided p-value of the Mann–Kendall trend test (normal approximation, continuity-corrected)."""
    n = len(y)
    i, j = np.triu_indices(n, k=1)
    s = float(np.sign(y[j] - y[i]).sum())
    var = n * (n - 1) * (2 * n + 5) / 18.0
    if s == 0 or var <= 0:
        return 1.0
    z = (abs(s) - 1.0) / math.sqrt(var)
    return math.erfc(z / math.sqrt(2.0))


def trimmed_mean(y: np.ndarray, cut: float = 0.25) -> float:
    k = int(cut * len(y))
    s = np.sort(y)
    return float(s[k:len(y) - k].mean())


def theil_sen_slope(y: np.ndarray) -> float:
    """Median of the pairwise slopes (robust to a minority of outliers)."""
    n = len(y)
    if n < 3:
        return 0.0
    i, j = np.triu_indices(n, k=1)
    return float(np.median((y[j] - y[i]) / (j - i)))


_BASELINES: dict[tuple, tuple[float, float]] = {}
_BASELINES_MAX = 100_000


class RobustBaselineDetector:
    """Median + Theil–Sen trend over the last `window` periods, NB threshold at `alpha` per side.

    The trend is used only when `trend` is set, the window holds at least
    `min_trend_history` periods and Kendall's test finds it significant at
    `trend_p` (a slope fitted to noise would make flat series look like they
    surge or drop); its extrapolation is floored at zero and capped at twice
    the window's maximum, so a steep start never predicts absurd levels.
    """

    def __init__(self, window: int = 12, alpha: float = 0.001, min_history: int = 4, trend: bool = True,
                 min_trend_history: int = 8, trend_p: float = 0.01, guard: LowCountGuard | None = None,
                 trim: float = 0.25) -> None:
        self.window = window
        self.alpha = alpha
        self.min_history = min_history
        self.trend = trend
        self.min_trend_history = min_trend_history
        self.trend_p = trend_p
        self.guard = guard or LowCountGuard()
        self.trim = trim
        trim_s = "" if trim == 0.25 else f",trim={trim:g}"
        self.name = f"robust(w={window},alpha={alpha:g}{',trend' if trend else ''}{trim_s})"

    def _fit(self, history: np.ndarray) -> tuple[float, float, float]:
        """(level at the window centre, slope, robust residual sd) of one pass."""
        n = len(history)
        x = np.arange(n, dtype=float) - (n - 1) / 2.0
        slope = 0.0
        if self.trend and n >= self.min_trend_history and np.ptp(history) > 0:
            if mann_kendall_p(history) < self.trend_p:
                slope = theil_sen_slope(history)
        # level: 25 %-trimmed mean of the detrended values (robust like a median, less coarse on
        # small integer counts)
        level = trimmed_mean(history - slope * x, self.trim)
        resid = history - (level + slope * x)
        sigma = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
        return level, slope, sigma

    def baseline(self, history: np.ndarray) -> tuple[float, float]:
        """(expected next value, dispersion) from the history window (memoised: the windows of sparse series,
        and those the GLR detector refits, repeat)."""
        key = (self.trend, self.min_trend_history, self.trend_p, self.trim, history.dtype.str, history.tobytes())
        hit = _BASELINES.get(key)
        if hit is None:
            if len(_BASELINES) >= _BASELINES_MAX:
                _BASELINES.clear()
            hit = _BASELINES[key] = self._baseline(history)
        return hit

    def _baseline(self, history: np.ndarray) -> tuple[float, float]:
        """(expected next value, dispersion) from the history window.

        Two passes: the second refits on the history with values beyond 2.5
        robust sd of the first fit pulled back to that limit, so a past surge or
        drop at the end of the window neither fakes a trend (a recovery after a
        drop would look like a surge) nor inflates the noise.
        """
        n = len(history)
        x = np.arange(n, dtype=float) - (n - 1) / 2.0
        level, slope, sigma = self._fit(history)
        if sigma > 0:
            fitted = level + slope * x
            limit = 2.5 * max(sigma, math.sqrt(max(level, 1.0)))
            level, slope, sigma = self._fit(np.clip(history, fitted - limit, fitted + limit))
        expected = level + slope * (n - (n - 1) / 2.0)
        expected = float(np.clip(expected, 0.0, 2.0 * max(history.max(), 1.0)))
        # the noise is at least Poisson; MAD on a handful of points underestimates, so floor at 10 % of the level
        sigma = max(sigma, 0.1 * expected)
        dispersion = max(1.0, sigma**2 / max(expected, 1.0))
        # the level is itself estimated from n points: widen the predictive spread by its variance
        # (about 1.2 sigma^2 / n for a 25 %-trimmed mean; more when a slope is extrapolated)
        dispersion *= 1.0 + (1.2 + (3.0 if slope else 0.0)) / n
        return max(expected, 0.0), dispersion

    def detect(self, counts: pd.Series) -> list[Detection]:
        key, periods, y = series_values(counts)
        out = []
        for t in range(self.min_history, len(y)):
            history = y[max(0, t - self.window):t]
            expected, dispersion = self.baseline(history)
            out.append(count_verdict(series=key, period=periods[t], observed=y[t], expected=expected,
                                     dispersion=dispersion, alpha=self.alpha, method=self.name, guard=self.guard))
        return out
