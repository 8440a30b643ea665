"""A combination rule: alarm only where two causal detectors agree (same period, same direction).

Why: on the real yearly patent series most false alarms are real growth
spurts, and whether a spurt looks unusual depends on how much of the past the
baseline remembers. A short window (6 years) adapts to a new growth rate
quickly, so it flags the first year of a spurt but not the years of steady
growth that follow; a long window (10 years) is robust to the last few years
but reads a change of growth rate as a surge. An injected event (a surge, a
shift, a drop) is unusual for both; a real change of pace is often unusual
for one only. Requiring both to flag the period at a looser alpha each
(`bench/backtest.py --seed 1 --yearly-variants`: the log-linear detector at
windows 6 and 10, alpha 0.003 each) reaches a higher F1 at <= 2.5 false alarms
per 100 yearly periods than either window alone at its best alpha (0.608
against 0.597 for 6 years and 0.531 for 10; models/detect/README.md).

This is the "two detectors must agree" (AND) rule for combining surveillance
signals, which trades a little sensitivity for specificity (on combining
detectors' signals see Fricker 2013, *Introduction to Statistical Methods for
Biosurveillance*), applied to two baselines of the same series.

Both parts are causal, so the combination is: its verdict on t uses only the
two parts' verdicts on t. The result is one `Detection` per period both parts
judged: the first part's expected count; bounds that span both parts' bands
(an alarm needs the count outside each); the weaker part's score (the
evidence both agree on); alarm when both parts alarm in the same direction.
"""
from __future__ import annotations

import pandas as pd

from ews.kernel.schema import Detection
from models.detect.base import Detector


class AgreementDetector:
    """Alarm where `first` and `second` both alarm on the same period in the same direction."""

    def __init__(self, first: Detector, second: Detector) -> None:
        self.first = first
        self.second = second

    @property
    def name(self) -> str:
        # a property, so a rescaled copy (sensitivity.rescaled changes the parts' alphas) names its parts' new alphas
        return f"agree[{self.first.name}&{self.second.name}]"

    @name.setter
    def name(self, value: str) -> None:  # rescaled() rewrites names; the parts carry the alphas
        pass

    def detect(self, counts: pd.Series) -> list[Detection]:
        second = {d.period: d for d in self.second.detect(counts)}
        out = []
        for a in self.first.detect(counts):
            b = second.get(a.period)
            if b is None:
                continue
            alarm = bool(a.alarm and b.alarm and a.direction == b.direction)
            out.append(Detection(series=a.series, period=a.period, observed=a.observed, expected=a.expected,
                                 lower=_span(min, a.lower, b.lower), upper=_span(max, a.upper, b.upper),
                                 alarm=alarm, direction=a.direction, score=min(a.score, b.score),
                                 method=self.name, note=a.note if alarm else None))
        return out


def _span(pick, x: float | None, y: float | None) -> float | None:
    """The wider of two bounds (None when a part gave none)."""
    return None if x is None or y is None else pick(x, y)
