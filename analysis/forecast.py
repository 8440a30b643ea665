"""Forecasts of count series with prediction intervals, the model chosen per series by rolling origin.

    from analysis.forecast import forecast_counts
    rows = forecast_counts(df, horizon=3)     # df: series, period, count (the `ews detect` table)

Candidates (Nixtla statsforecast): naive, seasonal naive (sub-yearly series
with two full seasons), random walk with drift, AutoETS and AutoTheta. Each is
scored by rolling-origin evaluation, as in the M competitions: from each of the
last `ORIGINS` origins the candidate forecasts up to `horizon` periods ahead
from the data before the origin; the one with the smallest mean absolute error
over all origins is refitted on the whole series. Series too short to evaluate
(under `MIN_EVAL` periods) get the drift model, the conservative choice for
growing counts.

Intervals: the chosen model's own 80 % and 95 % intervals are rescaled by the
rolling-origin errors (split-conformal style): per step ahead, the factor is
the ratio of the empirical quantile of |error| to the model's half-width over
the origins, so a model whose intervals were too narrow on this series' past
gets wider ones. Counts cannot be negative, so bounds and means are clipped at 0.
"""
from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ews.kernel.periods import format_period, granularity, period_range, to_period

os.environ.setdefault("NIXTLA_NUMBA_CACHE", "1")  # compiled kernels are cached next to the package

ORIGINS = 4
MIN_EVAL = 8
LEVELS = (80, 95)
SEASON = {"year": 1, "quarter": 4, "month": 12, "week": 1}   # weekly ETS seasons of 52 are too long to fit
CANDIDATES = ("combination", "naive", "seasonal_naive", "drift", "ets", "theta")
COMBINED = ("naive", "drift", "theta")
DEFAULT = "combination"
SWITCH_GAIN = 0.8   # another candidate replaces the default only with a rolling-origin MAE under 80 % of its


class ForecastError(ValueError):
    pass


@dataclass
class SeriesForecast:
    series: str
    model: str
    periods: list[str]
    mean: np.ndarray
    bounds: dict[str, np.ndarray]           # 'lower_80', 'upper_80', 'lower_95', 'upper_95'
    scores: dict[str, float] = field(default_factory=dict)   # rolling-origin MAE per candidate

    def rows(self) -> list[dict]:
        return [{"series": self.series, "period": p, "mean": round(float(self.mean[i]), 3),
                 **{k: round(float(v[i]), 3) for k, v in self.bounds.items()}}
                for i, p in enumerate(self.periods)]


def _model(name: str, season: int):
    from statsforecast.models import AutoETS, AutoTheta, Naive, RandomWalkWithDrift, SeasonalNaive

    if name == "naive":
        return Naive()
    if name == "seasonal_naive":
        return SeasonalNaive(season_length=season)
    if name == "drift":
        return RandomWalkWithDrift()
    if name == "ets":
        return AutoETS(season_length=season)
    if name == "theta":
        return AutoTheta(season_length=season)
    raise KeyError(name)


def _usable(name: str, n: int, season: int) -> bool:
    if name == "seasonal_naive":
        return season > 1 and n >= 2 * season
    if name in ("ets", "theta", "combination"):
        return n >= 4 if season == 1 else n >= 2 * season + 2
    return n >= 2


def _fit_predict(name: str, y: np.ndarray, h: int, season: int) -> dict[str, np.ndarray]:
    """Mean and the 80/95 bounds; a model that fails to fit (flat or degenerate series) falls back to naive."""
    if name == "combination":  # equal-weight mean of naive, drift and Theta (means and bounds)
        parts = [_fit_predict(m, y, h, season) for m in COMBINED]
        return {k: np.mean([p[k] for p in parts], axis=0) for k in parts[0]}
    try:
        with warnings.catch_warnings():  # short or flat series make ETS divide by zero; the result is then dropped
            warnings.simplefilter("ignore", RuntimeWarning)
            out = _model(name, season).fit(y.astype(float)).predict(h, level=list(LEVELS))
    except Exception:  # statsforecast raises plain exceptions on degenerate series; naive never does
        if name == "naive":
            raise
        return _fit_predict("naive", y, h, season)
    res = {"mean": np.asarray(out["mean"], dtype=float)}
    for lv in LEVELS:
        res[f"lo-{lv}"] = np.asarray(out[f"lo-{lv}"], dtype=float)
        res[f"hi-{lv}"] = np.asarray(out[f"hi-{lv}"], dtype=float)
    for k, v in res.items():
        if not np.all(np.isfinite(v)):
            res[k] = np.where(np.isfinite(v), v, res["mean"])
    return res


def _rolling_origin(y: np.ndarray, h: int, season: int, names: list[str]):
    """Per candidate: absolute errors and interval half-widths, shape (origins, h), NaN beyond the data."""
    n = len(y)
    origins = [n - h - k for k in range(ORIGINS)]
    origins = [o for o in origins if o >= max(MIN_EVAL - h, 4)]
    if not origins:  # too short for full-horizon origins: use shorter horizons from the last points
        origins = [o for o in range(n - 1, max(n - 1 - ORIGINS, 3), -1)]
    errors = {m: np.full((len(origins), h), np.nan) for m in names}
    widths = {m: {lv: np.full((len(origins), h), np.nan) for lv in LEVELS} for m in names}
    for i, o in enumerate(origins):
        steps = min(h, n - o)
        for m in names:
            if not _usable(m, o, season):
                continue
            fc = _fit_predict(m, y[:o], steps, season)
            errors[m][i, :steps] = np.abs(y[o:o + steps] - fc["mean"])
            for lv in LEVELS:
                widths[m][lv][i, :steps] = (fc[f"hi-{lv}"] - fc[f"lo-{lv}"]) / 2
    return errors, widths


def _interval_scale(err: np.ndarray, width: np.ndarray, level: int, h: int) -> np.ndarray:
    """Per step: quantile of |error| / mean model half-width (1 where there is nothing to learn from)."""
    out = np.ones(h)
    for s in range(h):
        e, w = err[:, s], width[:, s]
        ok = np.isfinite(e) & np.isfinite(w) & (w > 0)
        if ok.sum() < 2:
            out[s] = out[s - 1] if s else 1.0
            continue
        q = np.quantile(e[ok], level / 100)
        out[s] = max(q / w[ok].mean(), 0.5)
    return np.maximum.accumulate(out)   # uncertainty never shrinks further ahead


def forecast_values(y: np.ndarray, horizon: int, gran: str) -> tuple[str, dict[str, np.ndarray], dict[str, float]]:
    """Choose a model for one series by rolling origin and forecast `horizon` periods."""
    if horizon < 1:
        raise ForecastError(f"horizon must be at least 1, got {horizon}")
    y = np.asarray(y, dtype=float)
    season = SEASON[gran]
    n = len(y)
    names = [m for m in CANDIDATES if _usable(m, n - 1, season)]
    scores: dict[str, float] = {}
    scale = {lv: np.ones(horizon) for lv in LEVELS}
    if n < MIN_EVAL or np.all(y == y[0]):
        chosen = "drift" if n >= 2 and not np.all(y == y[0]) else "naive"
    else:
        errors, widths = _rolling_origin(y, horizon, season, names)
        for m in names:
            e = errors[m]
            if np.isfinite(e).any():
                scores[m] = float(np.nanmean(e))
        best = min(scores, key=lambda m: (scores[m], CANDIDATES.index(m))) if scores else "naive"
        chosen = DEFAULT if DEFAULT in scores and scores[best] >= SWITCH_GAIN * scores[DEFAULT] else best
        if chosen in errors:
            scale = {lv: _interval_scale(errors[chosen], widths[chosen][lv], lv, horizon) for lv in LEVELS}
    fc = _fit_predict(chosen, y, horizon, season)
    mean = np.clip(fc["mean"], 0, None)
    bounds = {}
    for lv in LEVELS:
        centre = fc["mean"]
        half_lo = (centre - fc[f"lo-{lv}"]) * scale[lv]
        half_hi = (fc[f"hi-{lv}"] - centre) * scale[lv]
        bounds[f"lower_{lv}"] = np.clip(centre - half_lo, 0, None)
        bounds[f"upper_{lv}"] = np.clip(centre + half_hi, 0, None)
    # the 95 % interval contains the 80 % one whatever the rescaling did
    bounds["lower_95"] = np.minimum(bounds["lower_95"], bounds["lower_80"])
    bounds["upper_95"] = np.maximum(bounds["upper_95"], bounds["upper_80"])
    return chosen, {"mean": mean, **bounds}, scores


def future_periods(last: str, horizon: int) -> list[str]:
    g = granularity(last)
    p = to_period(last)
    return [format_period(p + i, g) for i in range(1, horizon + 1)]


def forecast_series(key: str, periods: list[str], values: np.ndarray, horizon: int) -> SeriesForecast:
    gran = granularity(periods[0])
    model, fc, scores = forecast_values(values, horizon, gran)
    bounds = {k: fc[k] for k in ("lower_80", "upper_80", "lower_95", "upper_95")}
    return SeriesForecast(series=key, model=model, periods=future_periods(periods[-1], horizon),
                          mean=fc["mean"], bounds=bounds, scores={k: round(v, 4) for k, v in scores.items()})


def dense_series(df: pd.DataFrame) -> dict[str, tuple[list[str], np.ndarray]]:
    """Per series its full period range with missing periods as 0 (as `ews detect` reads it)."""
    out = {}
    for key, rows in df.groupby("series", sort=True):
        by = dict(zip(rows["period"], rows["count"]))
        periods = period_range(min(by), max(by))
        out[str(key)] = (periods, np.array([float(by.get(p, 0)) for p in periods]))
    return out


def forecast_counts(df: pd.DataFrame, horizon: int) -> list[SeriesForecast]:
    """One forecast per series of a (series, period, count) table."""
    if horizon < 1:
        raise ForecastError(f"horizon must be at least 1, got {horizon}")
    return [forecast_series(k, p, v, horizon) for k, (p, v) in dense_series(df).items()]


def policy_activity_forecast(counts: pd.DataFrame, horizon: int) -> list[SeriesForecast]:
    """The plan's anticipation of policies (seed 001 l.1504-1505): policy documents per field × country, forecast.

    Uses the store's `field:F|policy:CC` series (`ews.kernel.series`)."""
    from ews.kernel.series import SeriesKey

    keys = [s for s in counts["series"].unique()
            if (k := SeriesKey.read(s)).subject_kind == "field" and k.corpus == "policy"]
    return forecast_counts(counts[counts["series"].isin(keys)], horizon)


def mase_scale(y: np.ndarray, season: int) -> float:
    """Mean absolute (seasonal) difference of the training data: the MASE denominator."""
    m = season if season > 1 and len(y) > season else 1
    d = np.abs(y[m:] - y[:-m])
    scale = float(d.mean()) if len(d) else math.nan
    return scale if scale > 0 else math.nan
