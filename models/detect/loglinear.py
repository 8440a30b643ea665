"""A multiplicative (log-scale) noise model for yearly and other trending, overdispersed count series.

Official yearly patent counts do not scatter around their level like Poisson
counts, nor with a constant overdispersion factor: their year-to-year noise is
a roughly constant *percentage* of the level (a 10 % swing of 300 filings is
30, of 3,000 filings 300), and they grow or shrink geometrically. So this
detector works on z = log(y + 1):

- the history window's level and trend are fitted robustly on z (a 25 %-
  trimmed mean of the detrended values; a Theil–Sen slope, kept only when
  Kendall's test finds it significant), in two passes, the second with
  outlying history (past surges and drops, > 2.5 robust sd) pulled back to the
  first fit, so an earlier event neither fakes a trend nor inflates the noise;
- the residual scale s is the MAD of the residuals, shrunk towards a prior
  scale `prior_sd` with the weight of `prior_df` observations (eight points
  give a poor MAD on their own) and floored at the Poisson noise on the log
  scale, mu / (mu + 1)^2;
- the forecast for t is the fitted line extrapolated one period with the
  slope damped (by `damping`, 0.5: Gardner & McKenzie's damped trend; patent
  growth spurts rarely go on at full pace, and an undamped slope fitted
  after a spike or a shift turns the return to normal into a false drop); its
  predictive distribution is Student-t with the pooled degrees of freedom and
  variance s^2 (1 + 1/n + leverage of the extrapolation), so a short or noisy
  history widens the bounds instead of raising alarms.

The alarm is the one-sided tail probability below `alpha` in the direction of
the deviation (both directions), subject to the low-count guard.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

from ews.kernel.schema import Detection
from models.detect.base import LowCountGuard, series_values
from models.detect.robust import mann_kendall_p, theil_sen_slope, trimmed_mean

CLIP_SD = 2.5


class LogLinearDetector:
    """Robust log-linear trend, multiplicative noise with a shrunk scale, Student-t bounds at `alpha` per side."""

    def __init__(self, window: int = 8, alpha: float = 0.001, min_history: int = 5, trend: bool = True,
                 min_trend_history: int = 6, trend_p: float = 0.05, prior_sd: float = 0.12, prior_df: float = 4.0,
                 damping: float = 0.5,
                 guard: LowCountGuard | None = None) -> None:
        self.window = window
        self.alpha = alpha
        self.min_history = min_history
        self.trend = trend
        self.min_trend_history = min_trend_history
        self.trend_p = trend_p
        self.prior_sd = prior_sd
        self.prior_df = prior_df
        self.damping = damping
        self.guard = guard or LowCountGuard()
        trend_s = (f",trend(damping={damping:g})" if damping != 1.0 else ",trend") if trend else ""
        self.name = f"loglinear(w={window},alpha={alpha:g},prior_sd={prior_sd:g}{trend_s})"

    def _fit(self, z: np.ndarray) -> tuple[float, float, float]:
        n = len(z)
        x = np.arange(n, dtype=float) - (n - 1) / 2.0
        slope = 0.0
        if self.trend and n >= self.min_trend_history and np.ptp(z) > 0 and mann_kendall_p(z) < self.trend_p:
            slope = theil_sen_slope(z)
        level = trimmed_mean(z - slope * x)
        resid = z - (level + slope * x)
        mad = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
        return level, slope, mad

    def forecast(self, history: np.ndarray) -> tuple[float, float, float]:
        """(forecast of log(y+1) for the next period, its predictive sd, degrees of freedom)."""
        z = np.log1p(history)
        n = len(z)
        x = np.arange(n, dtype=float) - (n - 1) / 2.0
        level, slope, mad = self._fit(z)
        limit = CLIP_SD * max(mad, self.prior_sd)
        fitted = level + slope * x
        if np.any(np.abs(z - fitted) > limit):
            level, slope, mad = self._fit(np.clip(z, fitted - limit, fitted + limit))
        x0 = n - (n - 1) / 2.0
        m = level + self.damping * slope * x0
        # never extrapolate beyond twice the history's maximum (nor below zero counts)
        m = float(np.clip(m, 0.0, math.log1p(2.0 * max(float(history.max()), 1.0))))
        dof_data = max(n - (2 if slope else 1), 1)
        s2 = (self.prior_df * self.prior_sd ** 2 + dof_data * mad ** 2) / (self.prior_df + dof_data)
        mu = math.expm1(m)
        s2 = max(s2, mu / (mu + 1.0) ** 2)  # at least Poisson noise, seen on the log scale
        leverage = 1.0 / n + ((x0 ** 2 / float(np.sum(x ** 2))) if slope else 0.0)
        return m, math.sqrt(s2 * (1.0 + leverage)), self.prior_df + dof_data

    def detect(self, counts: pd.Series) -> list[Detection]:
        key, periods, y = series_values(counts)
        out = []
        q = None
        for t in range(self.min_history, len(y)):
            history = y[max(0, t - self.window):t]
            m, sd, df = self.forecast(history)
            if q is None or q[0] != df:
                q = (df, float(special.stdtrit(df, 1.0 - self.alpha)))
            stat = (math.log1p(y[t]) - m) / sd
            direction = "surge" if stat >= 0 else "drop"
            p = float(special.stdtr(df, -abs(stat)))
            expected = math.expm1(m)
            alarm = bool(p < self.alpha and self.guard.allows(direction, y[t], expected))
            out.append(Detection(series=key, period=periods[t], observed=float(y[t]), expected=expected,
                                 lower=max(0.0, math.expm1(m - q[1] * sd)), upper=math.expm1(m + q[1] * sd),
                                 alarm=alarm, direction=direction, score=float(np.clip(1.0 - p, 0.0, 1.0)),
                                 method=self.name))
        return out
