"""The default detector: chooses, period by period, the method that suits the history seen so far.

The choice is made from the history up to each period (its length and how
sparse it is), never from the whole series, so the default stays causal: a
series cut at t gets the same method, hence the same verdict, at every period
up to t.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ews.schema import Detection
from models.detect.base import Detector, series_values
from models.detect.robust import RobustBaselineDetector


class AutoDetector:
    """Picks one of several causal detectors per period by history length and sparsity.

    `rules` is a list of (min_history, max_zero_share, detector): the first rule
    whose minimum history is met and whose zero-share limit is not exceeded
    (on the history before the period) decides that period's verdict.
    """

    def __init__(self, rules: list[tuple[int, float, Detector]] | None = None) -> None:
        self.rules = rules or [(4, 1.0, RobustBaselineDetector())]
        self.name = "auto[" + ",".join(d.name for _, _, d in self.rules) + "]"

    def choose(self, history: np.ndarray) -> Detector | None:
        zero_share = float((history == 0).mean()) if len(history) else 1.0
        for min_history, max_zero_share, det in self.rules:
            if len(history) >= min_history and zero_share <= max_zero_share:
                return det
        return None

    def detect(self, counts: pd.Series) -> list[Detection]:
        _, periods, y = series_values(counts)
        verdicts: dict[int, dict[str, Detection]] = {}
        for _, _, det in self.rules:
            if id(det) in verdicts:
                continue
            verdicts[id(det)] = {d.period: d for d in det.detect(counts)}
        out = []
        for t, period in enumerate(periods):
            det = self.choose(y[:t])
            if det is None:
                continue
            d = verdicts[id(det)].get(period)
            if d is not None:
                out.append(d)
        return out


def default_detector() -> AutoDetector:
    return AutoDetector()
