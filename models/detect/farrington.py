"""The improved Farrington method (Noufaily et al. 2013, Statistics in Medicine 32:1206–1222).

For each period t a quasi-Poisson GLM is fitted to the past b seasons:

    log mu_s = alpha + beta * s + gamma_{level(s)}

- `level(s)` is the 10-level seasonal factor of Noufaily et al.: the periods
  within w of t's position in the cycle form level 0, the rest of the cycle is
  cut into 9 consecutive blocks (fewer when the cycle is short; none for
  yearly data);
- the trend beta is kept only when significant (Wald test at 5 %), since a
  slope fitted to noise makes the extrapolation wander;
- past outbreaks are down-weighted: observations whose standardised Anscombe
  residual exceeds 2.58 in absolute value get weight s^-2 (renormalised), then
  the model is refitted (both directions, because this detector also flags drops);
- the most recent `gap` periods are left out of the fit so a current outbreak
  does not raise its own baseline.

The threshold is the negative-binomial quantile (Noufaily's recommended
plug-in) with mean mu_t and dispersion phi, widened by the variance of the
estimated mean (delta method), which matters when a trend is extrapolated.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ews.kernel.schema import Detection
from models.detect.base import LowCountGuard, count_verdict, season_length, series_values
from models.detect.glm import fit_poisson

RESIDUAL_LIMIT = 2.58


def seasonal_levels(offsets: np.ndarray, cycle: int, half_window: int, n_levels: int) -> np.ndarray:
    """Level of each reference period from its offset (t - s) in the cycle: 0 inside the window around t's position."""
    pos = np.mod(offsets + half_window, cycle)  # 0 .. 2w inside the window
    inside = pos <= 2 * half_window
    rest = cycle - (2 * half_window + 1)
    if rest <= 0 or n_levels <= 1:
        return np.zeros_like(offsets)
    blocks = min(n_levels - 1, rest)
    # positions 2w+1 .. cycle-1 cut into `blocks` consecutive blocks of (nearly) equal length
    block = np.floor((pos - (2 * half_window + 1)) * blocks / rest).astype(int) + 1
    return np.where(inside, 0, block)


class FarringtonFlexibleDetector:
    """Quasi-Poisson GLM with trend and a 10-level seasonal factor, outbreak down-weighting, NB threshold."""

    def __init__(self, seasons_back: int = 3, half_window: int | None = None, n_levels: int = 10,
                 years_back_yearly: int = 10, gap: int | None = None, alpha: float = 0.005,
                 trend_p: float = 0.05, min_reference: int | None = None,
                 guard: LowCountGuard | None = None) -> None:
        self.seasons_back = seasons_back
        self.half_window = half_window
        self.n_levels = n_levels
        self.years_back_yearly = years_back_yearly
        self.gap = gap
        self.alpha = alpha
        self.trend_p = trend_p
        self.min_reference = min_reference
        self.guard = guard or LowCountGuard()
        self.name = f"farrington-noufaily(b={seasons_back},alpha={alpha:g})"

    def settings(self, cycle: int) -> tuple[int, int, int, int]:
        """(reference span, half window, gap, minimum reference periods) for a cycle length."""
        if cycle == 1:
            span = self.years_back_yearly
            w, gap, min_ref = 0, self.gap or 0, self.min_reference or 6
        else:
            w = self.half_window if self.half_window is not None else max(1, cycle // 12)
            span = self.seasons_back * cycle + w
            gap = self.gap if self.gap is not None else cycle // 4
            min_ref = self.min_reference or 2 * cycle
        return span, w, gap, min_ref

    def expectation(self, y: np.ndarray, t: int, cycle: int) -> tuple[float, float] | None:
        """(expected count at t, predictive dispersion) from y[:t], or None when the history is too short."""
        span, w, gap, min_ref = self.settings(cycle)
        end = t - gap
        start = max(0, t - span)
        if end - start < min_ref:
            return None
        s = np.arange(start, end)
        ref = y[start:end]
        if not ref.any():
            return 0.0, 1.0
        levels = seasonal_levels(t - s, cycle, w, self.n_levels) if cycle > 1 else np.zeros(len(s), dtype=int)
        used = np.unique(levels)
        # design: intercept, centred trend, one dummy per non-reference level present
        centre = (t - 1 + start) / 2.0
        scale = max(span, 1)
        cols = [np.ones(len(s)), (s - centre) / scale] + [(levels == lv).astype(float) for lv in used if lv != 0]
        X = np.column_stack(cols)
        x0 = np.concatenate([[1.0, (t - centre) / scale], np.zeros(len(cols) - 2)])
        if 0 not in used:  # t's own window absent from the reference: compare with the first level present
            X = np.delete(X, 2, axis=1)
            x0 = np.delete(x0, 2)
        if X.shape[0] <= X.shape[1] + 1:
            X, x0 = X[:, :2], x0[:2]
        fit = self._fit_with_trend_test(X, ref, x0)
        # down-weight past outbreaks (and past drops) and refit
        resid = fit.anscombe_residuals(ref)
        weights = np.where(np.abs(resid) > RESIDUAL_LIMIT, 1.0 / np.maximum(resid**2, 1e-9), 1.0)
        weights *= len(weights) / weights.sum()
        fit = self._fit_with_trend_test(X, ref, x0, weights)
        mean, var_log = fit.predict(fit.x0)
        # a trend extrapolated beyond anything seen is not believed: cap at twice the reference maximum
        mean = min(mean, 2.0 * max(float(ref.max()), 1.0))
        dispersion = fit.dispersion + mean * var_log
        return mean, dispersion

    def _fit_with_trend_test(self, X, y, x0, weights=None):
        fit = fit_poisson(X, y, weights)
        se = np.sqrt(max(fit.cov[1, 1], 1e-18))
        p_trend = 2 * stats.norm.sf(abs(fit.coef[1]) / se)
        if p_trend >= self.trend_p:
            X, x0 = np.delete(X, 1, axis=1), np.delete(x0, 1)
            fit = fit_poisson(X, y, weights)
        fit.x0 = x0
        return fit

    def detect(self, counts: pd.Series) -> list[Detection]:
        key, periods, y = series_values(counts)
        cycle = season_length(periods)
        out = []
        for t in range(len(y)):
            pred = self.expectation(y, t, cycle)
            if pred is None:
                continue
            expected, dispersion = pred
            out.append(count_verdict(series=key, period=periods[t], observed=y[t], expected=expected,
                                     dispersion=dispersion, alpha=self.alpha, method=self.name, guard=self.guard))
        return out
