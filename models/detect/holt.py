"""A robust exponential-smoothing (Holt) detector on log counts: a candidate for monthly series that grow.

Not part of the default: on the backtest's tuning seed it does not earn its place
(`bench/backtest.py --seed 1 --monthly-variants`; models/detect/README.md has the figures).

Why it was tried: monthly patent series (drone filings, a company's grants)
grow for years at a changing pace. A baseline fitted over a fixed window with
one straight trend (the robust baseline, Farrington's GLM) lags behind an
accelerating boom and reads its steady months as surges. Exponential
smoothing with a level and an optional trend (Holt 1957) follows a changing
pace one month at a time. It is made robust as in Gelper, Fried & Croux
(2010), *J. Forecasting* 29:285–300: each observation enters the state only
through a Huber-cleaned pseudo-observation (the forecast plus the residual
clipped at `huber` scales), so an event does not drag the baseline after it,
and the scale is a smoothed, bounded-influence scale of the past one-step
residuals. The state is kept on z = log(y + 1), where the noise is a
proportion of the level.

Tails (`tails`): "nb" (default) turns the log-scale variance beyond
Poisson's, s^2 - mu / (mu + 1)^2, into a relative variance v and judges the
count under a negative binomial with variance mu + v mu^2; "t" judges z under
a Student-t with `df` degrees of freedom and scale s (floored at the Poisson
noise on the log scale). The "t" tails are not calibrated on Poisson counts:
log(y + 1) of a small count has a long lower tail, so plain Poisson noise at 6–100
a month raises 1.5–2.5 alarms per 100 months at the alpha that suits the real
series (0.03), against 0.1–0.3 for the "nb" tails and 0.1–0.4 for the default.

The verdict on t uses the state after t - 1 only (causal); the first
`min_history` periods initialise the state and are not judged. Alarm when the
one-sided tail probability is below `alpha` and the low-count guard allows it,
optionally also requiring `min_excess` documents between observed and forecast.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
from scipy import special

from ews.kernel.schema import Detection
from models.detect.base import LowCountGuard, count_verdict, series_values


class RobustHoltDetector:
    """Huber-robust Holt smoothing of log(y + 1), robust residual scale, NB (or Student-t) tails at `alpha` per side."""

    def __init__(self, alpha: float = 0.001, level: float = 0.05, trend: float = 0.0, damping: float = 0.9,
                 scale_smoothing: float = 0.03, huber: float = 2.5, df: float = 5.0, min_history: int = 12,
                 min_excess: float = 0.0, tails: str = "nb", guard: LowCountGuard | None = None) -> None:
        self.alpha = alpha
        self.level = level
        self.trend = trend
        self.damping = damping
        self.scale_smoothing = scale_smoothing
        self.huber = huber
        self.df = df
        self.min_history = min_history
        self.min_excess = min_excess
        self.tails = tails
        self.guard = guard or LowCountGuard()
        c = huber
        # E[min(Z^2, c^2)] for a standard normal Z
        self._consistency = (math.erf(c / math.sqrt(2.0)) - 2.0 * c * math.exp(-c * c / 2.0) / math.sqrt(2.0 * math.pi)
                             + c * c * math.erfc(c / math.sqrt(2.0)))
        extra = (f",min_excess={min_excess:g}" if min_excess else "") + (",t" if tails == "t" else "")
        self.name = f"robust-holt(alpha={alpha:g},level={level:g},trend={trend:g},damping={damping:g}{extra})"

    def _start(self, z: np.ndarray) -> tuple[float, float, float]:
        """Level, trend and scale from the first periods (median level, median-of-halves slope, MAD)."""
        n = len(z)
        half = n // 2
        slope = (float(np.median(z[half:])) - float(np.median(z[:half]))) / max(n - half, 1)
        x = np.arange(n) - (n - 1)
        level = float(np.median(z - slope * x))
        resid = z - (level + slope * x)
        scale = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
        return level, slope, max(scale, 0.05)

    def forecasts(self, y: np.ndarray) -> list[tuple[float, float]]:
        """(forecast of log(y_t + 1), its scale) for t = min_history .. n-1, each from y[:t]."""
        z = np.log1p(y)
        n = len(z)
        if n <= self.min_history:
            return []
        level, slope, scale = self._start(z[:self.min_history])
        if self.trend == 0.0:
            slope = 0.0  # level only: a slope from the first months would drift the level for years (damped sum)
        out = []
        for t in range(self.min_history, n):
            m = level + self.damping * slope
            out.append((m, scale))
            e = z[t] - m
            r = e / scale
            clipped = max(-self.huber, min(self.huber, r))
            cleaned = m + clipped * scale
            new_level = self.level * cleaned + (1.0 - self.level) * m
            slope = self.trend * (new_level - level) + (1.0 - self.trend) * self.damping * slope
            level = new_level
            # the squared residual clipped at huber^2 (bounded influence), divided by its mean under normal noise
            # so the smoothed scale is unbiased there
            scale = math.sqrt(self.scale_smoothing * min(r * r, self.huber ** 2) / self._consistency * scale * scale
                              + (1.0 - self.scale_smoothing) * scale * scale)
            scale = max(scale, 0.02)
        return out

    def detect(self, counts: pd.Series) -> list[Detection]:
        if self.tails == "nb":
            return self._detect_nb(counts)
        key, periods, y = series_values(counts)
        out = []
        q = float(special.stdtrit(self.df, 1.0 - self.alpha))
        for t, (m, scale) in enumerate(self.forecasts(y), start=self.min_history):
            m = min(m, math.log1p(2.0 * max(float(y[:t].max()), 1.0)))  # never beyond twice the history's maximum
            m = max(m, 0.0)
            mu = math.expm1(m)
            sd = math.sqrt(max(scale * scale, mu / (mu + 1.0) ** 2))
            stat = (math.log1p(y[t]) - m) / sd
            direction = "surge" if stat >= 0 else "drop"
            p = float(special.stdtr(self.df, -abs(stat)))
            excess_ok = abs(y[t] - mu) >= self.min_excess
            alarm = bool(p < self.alpha and excess_ok and self.guard.allows(direction, y[t], mu))
            out.append(Detection(series=key, period=periods[t], observed=float(y[t]), expected=mu,
                                 lower=max(0.0, math.expm1(m - q * sd)), upper=math.expm1(m + q * sd),
                                 alarm=alarm, direction=direction, score=float(np.clip(1.0 - p, 0.0, 1.0)),
                                 method=self.name))
        return out

    def _detect_nb(self, counts: pd.Series) -> list[Detection]:
        """Count-scale tails: the log-scale variance beyond Poisson's is a relative (multiplicative) variance v,
        so the predictive count is negative binomial with variance mu + v mu^2 (calibrated on Poisson counts,
        where the log-scale Student-t is not: log(y + 1) of a small Poisson count has a long lower tail)."""
        key, periods, y = series_values(counts)
        out = []
        for t, (m, scale) in enumerate(self.forecasts(y), start=self.min_history):
            m = max(0.0, min(m, math.log1p(2.0 * max(float(y[:t].max()), 1.0))))
            mu = math.expm1(m)
            poisson_log = mu / (mu + 1.0) ** 2
            v = max(0.0, scale * scale - poisson_log) * ((mu + 1.0) / max(mu, 1e-9)) ** 2
            d = count_verdict(series=key, period=periods[t], observed=y[t], expected=mu, dispersion=1.0 + v * mu,
                              alpha=self.alpha, method=self.name, guard=self.guard)
            if d.alarm and abs(y[t] - mu) < self.min_excess:
                d = dataclasses.replace(d, alarm=False)
            out.append(d)
        return out
