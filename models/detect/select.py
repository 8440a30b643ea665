"""The default detector: chooses, period by period, the method that suits the history seen so far.

The choice is made from the granularity and the history up to each period
(its length and how sparse it is), never from the whole series, so the default
stays causal: a series cut at t gets the same method, hence the same verdict,
at every period up to t.

Why these choices (see bench/backtest.py for the figures):
- yearly series (official patent statistics) are short, trending and far
  noisier than Poisson, with real growth spurts; the robust median/Theil–Sen
  baseline over 8 years at a strict alpha keeps false alarms lowest there;
- sub-yearly series have seasons: once two full cycles (plus the gap Farrington
  leaves out) are available, the improved Farrington GLM with its seasonal
  factor takes over;
- before that, and for sparse histories (most periods zero, where a seasonal
  GLM has nothing to fit), the robust baseline with a 12-period window.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ews.schema import Detection
from models.detect.base import Detector, season_length, series_values
from models.detect.farrington import FarringtonFlexibleDetector
from models.detect.robust import RobustBaselineDetector

SPARSE_ZERO_SHARE = 0.5


class AutoDetector:
    """Picks the yearly, seasonal or short-history detector per period (see the module doc)."""

    def __init__(self, yearly: Detector | None = None, seasonal: Detector | None = None,
                 short: Detector | None = None, seasonal_min_cycles: float = 2.25) -> None:
        self.yearly = yearly or RobustBaselineDetector(window=8, alpha=1e-4)
        self.seasonal = seasonal or FarringtonFlexibleDetector(alpha=0.002)
        self.short = short or RobustBaselineDetector(window=12, alpha=0.001)
        self.seasonal_min_cycles = seasonal_min_cycles
        self.name = f"auto[yearly={self.yearly.name};seasonal={self.seasonal.name};short={self.short.name}]"

    def choose(self, history: np.ndarray, cycle: int) -> Detector:
        if cycle == 1:
            return self.yearly
        sparse = len(history) == 0 or float((history == 0).mean()) > SPARSE_ZERO_SHARE
        if len(history) >= self.seasonal_min_cycles * cycle and not sparse:
            return self.seasonal
        return self.short

    def detect(self, counts: pd.Series) -> list[Detection]:
        _, periods, y = series_values(counts)
        if not periods:
            return []
        cycle = season_length(periods)
        chosen = [self.choose(y[:t], cycle) for t in range(len(y))]
        verdicts = {id(det): {d.period: d for d in det.detect(counts)}
                    for det in {id(d): d for d in chosen}.values()}
        out = []
        for t, det in enumerate(chosen):
            d = verdicts[id(det)].get(periods[t])
            if d is not None:
                out.append(d)
        return out


def default_detector() -> AutoDetector:
    return AutoDetector()
