"""`farringtonFlexible` exactly as R `surveillance` (1.26.0) computes it: the reference mode.

The project's own Farrington variant (`farrington.py`) departs from the reference
where the backtest says it should; this module follows R's code step by step so
the departures can be measured and the reference values reproduced
(`tests/models/test_detect_reference.py` pins the package's own test values):

1. reference time points: t, t - 1 year, ..., t - b years (positions t - i*freq;
   for ISO weeks, R's rule: the same weekday closest to the date b years back);
2. `blocks`: windows of +-w around each reference point (the current one only
   reaches back) form level `n_periods`; with `n_periods` > 1 the stretch
   between two windows is cut into `n_periods` - 1 blocks, the remainder of the
   division going to the first blocks; R's `a:b` counts down when b < a, and
   that quirk is kept;
3. the latest `past_excluded` + 1 periods (t among them) are left out;
4. a quasi-Poisson GLM `response ~ 1 + wtime + seasgroups`, Anscombe residuals,
   weights gamma * s^-2 above `weights_threshold` (only upward residuals),
   refit; phi = max(1, Pearson chi2 / df) of each fit;
5. the trend is kept only when its p-value is below `p_trend`, b >= 3 and the
   predicted count does not exceed the largest count in the reference data;
   otherwise the whole fit is redone without it;
6. the threshold: `delta` (Farrington 1996, power transformation 2/3), or
   `nbPlugin` (Noufaily et al. 2013) or `muan` (negative binomial with the
   upper (1 - alpha) quantile of the mean's asymptotic normal distribution);
7. no alarm unless at least `limit54[0]` cases were reported in the last
   `limit54[1]` periods (the current one included), never for a count of 0.

Surges only, like R. Yearly series are not judged (a cycle of one period has no
window between reference points). The standard errors of the prediction use
the un-floored dispersion, as R's `predict.glm` does when it is not handed one.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from scipy import stats

from ews.kernel.periods import granularity
from ews.kernel.schema import Detection
from models.detect.base import season_length, series_values
from models.detect.glm import fit_poisson


def r_colon(a: int, b: int) -> list[int]:
    """R's `a:b`: ascending, or descending when b < a."""
    return list(range(a, b + 1)) if b >= a else list(range(a, b - 1, -1))


def assign_weights(s: np.ndarray, threshold: float) -> np.ndarray:
    """`algo.farrington.assign.weights`: gamma * s^-2 above the threshold, gamma elsewhere, summing to n."""
    s = np.asarray(s, dtype=float)
    above = s > threshold
    with np.errstate(divide="ignore"):
        inv = np.where(above, 1.0 / np.where(above, s, 1.0) ** 2, 1.0)
    gamma = len(s) / inv.sum()
    return gamma * inv


def week_reference_dates(day: dt.date, b: int) -> list[dt.date]:
    """R's `algo.farrington.referencetimepoints` for weekly dates: per year back, the closest same weekday."""
    out = []
    for i in range(b + 1):
        try:
            ref = day.replace(year=day.year - i)
        except ValueError:  # 29 February in a common year: R's seq.Date lands on 1 March
            ref = dt.date(day.year - i, 3, 1)
        a = ref - dt.timedelta(days=(ref.isoweekday() % 7) - (day.isoweekday() % 7))
        other = a + dt.timedelta(days=-7 if a > ref else 7)
        out.append(a if abs((a - ref).days) <= abs((other - ref).days) else other)
    return out


def reference_positions(t: int, b: int, freq: int, dates: list[dt.date] | None = None) -> list[int] | None:
    """Positions of t and of the same point 1..b years back (descending), or None when one falls outside."""
    if dates is None:
        refs = [t - i * freq for i in range(b + 1)]
        return refs if refs[-1] >= 0 else None
    index = {d: i for i, d in enumerate(dates)}
    refs = [index.get(d) for d in week_reference_dates(dates[t], b)]
    return None if any(r is None for r in refs) else refs


def blocks(refs: list[int], n: int, w: int, p: int) -> np.ndarray:
    """R's `blocks`: the factor level of every position (NaN outside the reference data); refs descending."""
    levels = np.full(n, np.nan)
    now = refs[0]

    def put(positions, value):
        for q in positions:
            if 0 <= q < n:
                levels[q] = value

    put(r_colon(now - w, now), p)
    for i in range(1, len(refs)):
        ref = refs[i]
        put(r_colon(ref - w, ref + w), p)
        if p != 1:
            period = refs[i - 1] - 2 * w - 1 - ref
            if period < p - (2 * w + 1):
                raise ValueError("number of factors too big")
            lengths = [period // (p - 1)] * (p - 1)
            for j in range(period % (p - 1)):
                lengths[j] += 1
            cum = np.concatenate([[0], np.cumsum(lengths)]).astype(int)
            for j in range(1, p):
                put(r_colon(ref + w + 1 + cum[j - 1], ref + w + 1 + cum[j] - 1), j)
    return levels


def anscombe_residuals(y: np.ndarray, mu: np.ndarray, hat: np.ndarray, phi: float) -> np.ndarray:
    mu = np.maximum(mu, 1e-12)
    a = 1.5 * (np.power(y, 2.0 / 3.0) * mu ** (-1.0 / 6.0) - np.sqrt(mu))
    return a / np.sqrt(phi * np.maximum(1.0 - hat, 1e-12))


def _pearson_dispersion(y, mu, w, p) -> float:
    df = max(int(np.count_nonzero(w)) - p, 1)
    return float(np.sum(w * (y - mu) ** 2 / np.maximum(mu, 1e-12)) / df)


def threshold_farrington(pred_fit: float, pred_se: float, phi: float, power: str, alpha: float,
                         y: float) -> tuple[float, float, float, float]:
    """`algo.farrington.threshold.farrington`: (lower, upper, P(Y >= y), score) on the response scale."""
    mu0 = pred_fit
    tau = phi + pred_se ** 2 / mu0
    if power == "none":
        se, e = math.sqrt(mu0 * tau), 1.0
    elif power == "1/2":
        se, e = math.sqrt(0.25 * tau), 0.5
    elif power == "2/3":
        se, e = math.sqrt(4.0 / 9.0 * mu0 ** (1.0 / 3.0) * tau), 2.0 / 3.0
    else:
        raise ValueError(f"no proper exponent {power!r} (none, 1/2, 2/3)")
    z = stats.norm.ppf(1.0 - alpha)

    def back(v: float) -> float:
        return v ** (1.0 / e) if v >= 0 or (1.0 / e).is_integer() else math.nan

    lu = [back(mu0 ** e - z * se), back(mu0 ** e + z * se)]
    lu = sorted(lu, key=lambda v: (not math.isnan(v), v))  # NaN first, as R's sort(na.last = FALSE)
    lower = max([0.0] + [v for v in lu[:1] if not math.isnan(v)])
    upper = lu[1]
    q = float(stats.norm.sf(y ** e, loc=mu0 ** e, scale=se))
    score = (y - pred_fit) / (upper - pred_fit) if not math.isnan(upper) else math.nan
    return lower, upper, q, score


def threshold_noufaily(pred_fit: float, pred_se: float, phi: float, alpha: float, y: float,
                       method: str) -> tuple[float, float, float, float]:
    """`algo.farrington.threshold.noufaily`: `pred_fit`, `pred_se` on the log scale; (lower, upper, P(Y >= y), score)."""
    if method == "nbPlugin":
        mu0 = math.exp(pred_fit)
    else:
        mu0 = math.exp(stats.norm.ppf(1.0 - alpha, loc=pred_fit, scale=pred_se))
    if not math.isfinite(mu0):
        return math.nan, math.nan, math.nan, math.nan
    if phi > 1:
        size, prob = mu0 / (phi - 1.0), 1.0 / phi
        lower, upper = stats.nbinom.ppf(alpha, size, prob), stats.nbinom.ppf(1.0 - alpha, size, prob)
        q = stats.nbinom.sf(y - 1, size, prob)
    else:
        lower, upper = stats.poisson.ppf(alpha, mu0), stats.poisson.ppf(1.0 - alpha, mu0)
        q = stats.poisson.sf(y - 1, mu0)
    lower = max(0.0, float(lower))
    score = (y - pred_fit) / (float(upper) - pred_fit)
    return lower, float(upper), float(q), float(score)


class FarringtonFlexibleReference:
    """R `surveillance::farringtonFlexible`, step by step (see the module doc); surges only.

    Defaults are the improved method's (Noufaily et al. 2013, and the manual's
    second example): b = 5 years, w = 3, 10 periods, 26 periods left out,
    weights threshold 2.58, trend kept at p < 0.05, the negative binomial
    plug-in threshold at alpha 0.05 and 5 cases in the last 4 periods. Pass
    R's own arguments to reproduce another call (`n_periods=1`,
    `past_excluded=w`, `threshold="delta"` are R's function defaults).
    `past_excluded=None` leaves out half a cycle: Noufaily's 26 for weeks, 6
    for months, 2 for quarters.
    """

    def __init__(self, b: int = 5, w: int = 3, reweight: bool = True, weights_threshold: float = 2.58,
                 alpha: float = 0.05, trend: bool = True, p_trend: float = 0.05,
                 limit54: tuple[int, int] = (5, 4), power: str = "2/3", n_periods: int = 10,
                 past_excluded: int | None = None, threshold: str = "nbPlugin") -> None:
        if threshold not in ("delta", "nbPlugin", "muan"):
            raise ValueError(f"threshold {threshold!r} is none of delta, nbPlugin, muan")
        if not (limit54[0] >= 0 and limit54[1] > 0):
            raise ValueError("limit54 out of bounds: cases >= 0 and period > 0")
        self.b, self.w, self.reweight = b, w, reweight
        self.weights_threshold, self.alpha = weights_threshold, alpha
        self.trend, self.p_trend, self.limit54 = trend, p_trend, tuple(limit54)
        self.power, self.n_periods, self.threshold = power, n_periods, threshold
        self.past_excluded = past_excluded
        excluded = "half-year" if past_excluded is None else past_excluded
        self.name = (f"farrington-flexible-r(b={b},w={w},p={n_periods},excluded={excluded},"
                     f"{threshold},alpha={alpha:g})")

    # -- the GLM steps ---------------------------------------------------------------------------------

    def _design(self, wtime: np.ndarray, groups: np.ndarray | None, with_trend: bool) -> tuple[np.ndarray, list]:
        cols = [np.ones(len(wtime))]
        if with_trend:
            cols.append(wtime.astype(float))
        levels = []
        if groups is not None:
            levels = sorted(set(groups.tolist()))
            cols += [(groups == lv).astype(float) for lv in levels[1:]]  # treatment contrasts, first level base
        return np.column_stack(cols), levels

    def _fit(self, y, wtime, groups, with_trend):
        """`algo.farrington.fitGLM.flexible`: fit, reweight, refit. None when it does not converge."""
        X, levels = self._design(wtime, groups, with_trend)
        fit = fit_poisson(X, y)
        if not fit.converged and with_trend:
            with_trend = False
            X, levels = self._design(wtime, groups, with_trend)
            fit = fit_poisson(X, y)
        if not fit.converged:
            return None
        weights = np.ones(len(y))
        phi = max(_pearson_dispersion(y, fit.mu, weights, X.shape[1]), 1.0)
        if self.reweight:
            s = anscombe_residuals(y, fit.mu, fit.hat, phi)
            weights = assign_weights(s, self.weights_threshold)
            fit = fit_poisson(X, y, weights)
            phi = max(_pearson_dispersion(y, fit.mu, weights, X.shape[1]), 1.0)
        raw_phi = _pearson_dispersion(y, fit.mu, weights, X.shape[1])
        # fit.cov carries the floored dispersion; R's predict.glm and summary.glm use the raw one
        cov = fit.cov / fit.dispersion * raw_phi
        return {"fit": fit, "X": X, "levels": levels, "trend": with_trend, "phi": phi, "cov": cov,
                "df": max(int(np.count_nonzero(weights)) - X.shape[1], 1)}

    def _x0(self, model, t_wtime: float) -> np.ndarray:
        x0 = [1.0] + ([t_wtime] if model["trend"] else [])
        if model["levels"]:
            x0 += [1.0 if lv == self.n_periods else 0.0 for lv in model["levels"][1:]]
        return np.asarray(x0)

    def predict(self, y: np.ndarray, t: int, freq: int, dates: list[dt.date] | None) -> dict | None:
        """The GLM prediction for t: eta, its se, mean, phi, trend kept; None when t cannot be judged."""
        refs = reference_positions(t, self.b, freq, dates)
        if refs is None or refs[-1] - self.w < 0:
            return None
        lv = blocks(refs, len(y), self.w, self.n_periods)
        kept = lv.copy()
        excluded = self.past_excluded if self.past_excluded is not None else freq // 2
        kept[max(0, t - excluded):t + 1] = np.nan
        rows = np.flatnonzero(~np.isnan(kept))
        if len(rows) < 3:
            return None
        resp, wtime = y[rows], rows.astype(float)
        groups = lv[rows] if self.n_periods != 1 else None
        model = self._fit(resp, wtime, groups, self.trend)
        if model is None:
            return None
        trend_kept = False
        if model["trend"]:
            x0 = self._x0(model, float(t))
            k = 1  # the trend is the second column
            se = math.sqrt(max(model["cov"][k, k], 1e-300))
            p = 2.0 * stats.t.sf(abs(model["fit"].coef[k]) / se, model["df"])
            mean_t = math.exp(float(np.clip(x0 @ model["fit"].coef, -700, 700)))
            trend_kept = bool(p < self.p_trend and self.b >= 3 and mean_t <= resp.max())
            if not trend_kept:
                model = self._fit(resp, wtime, groups, False)
                if model is None:
                    return None
        x0 = self._x0(model, float(t))
        eta = float(x0 @ model["fit"].coef)
        se_eta = math.sqrt(max(float(x0 @ model["cov"] @ x0), 0.0))
        return {"eta": eta, "se_eta": se_eta, "mean": math.exp(eta), "phi": model["phi"], "trend": trend_kept}

    def verdict(self, y: np.ndarray, t: int, pred: dict) -> tuple[float, float, float, float, bool]:
        """(expected, lower, upper, P(Y >= y_t), alarm) from a prediction."""
        if self.threshold == "delta":
            mean = pred["mean"]
            lower, upper, q, score = threshold_farrington(mean, pred["se_eta"] * mean, pred["phi"], self.power,
                                                          self.alpha, y[t])
        else:
            mean = pred["mean"]
            lower, upper, q, score = threshold_noufaily(pred["eta"], pred["se_eta"], pred["phi"], self.alpha, y[t],
                                                        self.threshold)
        cases, span = self.limit54
        enough = float(y[max(0, t - span + 1):t + 1].sum()) >= cases
        alarm = bool(enough and not math.isnan(score) and score > 1 and y[t] != 0)
        return mean, lower, upper, q, alarm

    def detect(self, counts: pd.Series) -> list[Detection]:
        key, periods, y = series_values(counts)
        if not periods or granularity(periods[0]) == "year":
            return []
        freq = season_length(periods)
        dates = None
        if granularity(periods[0]) == "week":
            dates = [dt.date.fromisocalendar(int(p[:4]), int(p[6:]), 1) for p in periods]
        out = []
        for t in range(len(y)):
            pred = self.predict(y, t, freq, dates)
            if pred is None:
                continue
            expected, lower, upper, q, alarm = self.verdict(y, t, pred)
            if math.isnan(upper):
                continue
            out.append(Detection(series=key, period=periods[t], observed=float(y[t]), expected=expected,
                                 lower=lower, upper=upper, alarm=alarm,
                                 direction="surge" if y[t] >= expected else "drop",
                                 score=float(np.clip(1.0 - q, 0.0, 1.0)), method=self.name))
        return out
