"""The default detector: chooses, period by period, the method that suits the history seen so far.

The choice is made from the granularity and the history up to each period
(its length and how sparse it is), never from the whole series, so the default
stays causal: a series cut at t gets the same method, hence the same verdict,
at every period up to t.

Why these choices (see bench/backtest.py for the figures):
- yearly series (official patent statistics) are short, trending and far
  noisier than Poisson, with noise proportional to their level and real growth
  spurts: the log-linear detector (multiplicative noise, shrunk scale, damped
  robust trend, Student-t bounds) over a 6-year and over a 10-year window, an
  alarm only where both agree (`agree.py`: a real change of growth pace is
  usually unusual for one window only, an injected event for both);
- sub-yearly series have seasons: once two full cycles (plus the gap Farrington
  leaves out) are available, the improved Farrington GLM with its seasonal
  factor takes over;
- before that, and for sparse histories (most periods zero, where a seasonal
  GLM has nothing to fit), the robust baseline with a 12-period window;
- where the expected count per period is too low for the per-period low-count
  guard to let a drop through (< 5), a drop can still be strong evidence when it
  lasts: six empty months where 3 a month were usual. A GLR detector restricted
  to drops, with runs up to `sustained_run` periods and the guard applied to the
  run's expected total, flags such sustained drops (sub-yearly series only).

`policy_detector()` gives the settings for policy-document series (short,
sparse, often weekly): see its doc.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ews.kernel.schema import Detection
from ews.kernel.series import SeriesKey
from models.detect.agree import AgreementDetector
from models.detect.base import Detector, LowCountGuard, season_length, series_values
from models.detect.farrington import FarringtonFlexibleDetector
from models.detect.glr import GLRShiftDetector
from models.detect.loglinear import LogLinearDetector
from models.detect.robust import RobustBaselineDetector

SPARSE_ZERO_SHARE = 0.5


class AutoDetector:
    """Picks the yearly, seasonal or short-history detector per period (see the module doc)."""

    def __init__(self, yearly: Detector | None = None, seasonal: Detector | None = None,
                 short: Detector | None = None, seasonal_min_cycles: float = 2.25,
                 sustained: Detector | None | bool = None, sustained_any_level: bool = False) -> None:
        self.sustained_any_level = sustained_any_level
        # 3 years of history suffice for yearly series: the shrunk noise prior carries the first verdicts, and
        # on the real yearly series their alarm rate (0.72 and 1.92 per 100 at 3 and 4 years) is below the
        # rate at 5+ years (2.52-2.64; `bench/backtest.py --short-yearly`)
        self.yearly = yearly or yearly_detector()
        self.seasonal = seasonal or FarringtonFlexibleDetector(alpha=0.002)
        self.short = short or RobustBaselineDetector(window=12, alpha=0.001)
        self.seasonal_min_cycles = seasonal_min_cycles
        if sustained is None or sustained is True:
            sustained = GLRShiftDetector(max_run=6, window=12, alpha=0.001, min_history=12, guard_on_run=True,
                                         directions=("drop",))
        self.sustained = sustained or None
        extra = f";sustained-drop={self.sustained.name}" if self.sustained else ""
        extra += ",any level" if self.sustained and sustained_any_level else ""
        self.name = (f"auto[yearly={self.yearly.name};seasonal={self.seasonal.name};short={self.short.name}"
                     f"{extra}]")

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
        low = {}
        if self.sustained is not None and cycle > 1:
            guard = getattr(self.sustained, "guard", None)
            floor = guard.min_drop_expected if guard is not None else 5.0
            low = {d.period: d for d in self.sustained.detect(counts)
                   if d.alarm and (self.sustained_any_level or d.expected < floor)}
        out = []
        for t, det in enumerate(chosen):
            d = verdicts[id(det)].get(periods[t])
            s = low.get(periods[t])
            # a sustained low-count drop where the chosen detector's guard kept quiet
            if s is not None and (d is None or not d.alarm):
                d = s
            if d is not None:
                out.append(d)
        return out


YEARLY_WINDOWS = (6, 10)
YEARLY_ALPHA = 0.003


def yearly_detector() -> AgreementDetector:
    """The yearly default: log-linear over 6 and over 10 years, each at alpha 0.003, alarm where both agree.

    Chosen on the backtest's tuning seed (`bench/backtest.py --seed 1 --yearly-variants`): at <= 2.5 false
    alarms per 100 yearly periods the agreement reaches F1 0.61, one window alone at its best alpha
    0.58 (8 years) or 0.60 (6 years); models/detect/README.md has the table.
    """
    short, long = YEARLY_WINDOWS
    return AgreementDetector(LogLinearDetector(window=short, alpha=YEARLY_ALPHA, min_history=3),
                             LogLinearDetector(window=long, alpha=YEARLY_ALPHA, min_history=3))


# The default operating point: factors on the detectors' alphas for yearly and for sub-yearly series, chosen
# by cross-validation on the backtest's tuning seed at <= 2.5 false alarms per 100 series-periods
# (`bench/backtest.py --seed 1 --curve`: for each kind of series the best F1 at <= 2.5 false alarms/100;
# models/detect/README.md has the curve and the protocol).
OPERATING_POINT = {"yearly": 1.0, "subyearly": 1.0}


def default_detector(yearly_scale: float | None = None, subyearly_scale: float | None = None) -> AutoDetector:
    from models.detect.sensitivity import rescaled

    ys = OPERATING_POINT["yearly"] if yearly_scale is None else yearly_scale
    ss = OPERATING_POINT["subyearly"] if subyearly_scale is None else subyearly_scale
    if ys == 1.0 and ss == 1.0:
        return AutoDetector()
    base = AutoDetector()
    return AutoDetector(yearly=rescaled(base.yearly, ys), seasonal=rescaled(base.seasonal, ss),
                        short=rescaled(base.short, ss), sustained=rescaled(base.sustained, ss))


def share_detector():
    """The detector of applicant series relative to their technology's total (`share.py`)."""
    from models.detect.share import ApplicantShareDetector

    return ApplicantShareDetector(default_detector())


# Policy documents are few (a ministry issues a handful of texts on one technology a month, often none),
# published without lag and counted weekly or monthly; the signal is a burst: a government suddenly
# legislating or regulating. A burst needs at least 3 documents, fewer than for patents since each is a
# deliberate act; drops keep the usual guard (a ministry falling silent on a topic it covered at 5+ texts a
# period is worth knowing, a quiet spell of a sparse one is not).
POLICY_GUARD = LowCountGuard(min_surge_count=3.0, min_drop_expected=5.0)


def policy_detector() -> RobustBaselineDetector:
    """Settings for `…|policy:CC` series: short history (4 periods suffice), 12-period robust level, no trend.

    No trend because a few bursts in a short window make Kendall's test see one;
    no season (policy calendars are not annual cycles at weekly resolution); a
    lightly (10 %) trimmed level, because in a sparse series the 25 %-trimmed
    mean trims away the ones and twos and underestimates the usual rate (the
    two-pass clipping still keeps past bursts out of the level).
    """
    return RobustBaselineDetector(window=12, alpha=0.001, min_history=4, trend=False, guard=POLICY_GUARD, trim=0.1)


def is_policy_series(key: str) -> bool:
    return SeriesKey.parse(str(key)).counts_documents == "policy"
