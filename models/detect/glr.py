"""A GLR (generalised likelihood ratio) detector for sustained shifts: the CUSUM family's adaptive form.

At period t it asks: did the level change by some factor kappa at some start
t-k+1 within the last `max_run` periods? Against a baseline mu fitted (robust
level and trend, `RobustBaselineDetector.baseline`) on the `window` periods
before that run, the Poisson log-likelihood ratio of a change starting k
periods ago is

    LLR(k) = sum_{i=t-k+1..t} [y_i log kappa_k - (kappa_k - 1) mu_i],  kappa_k = sum y / sum mu

divided by the dispersion (quasi-likelihood). G_t = max_k LLR(k) is Lorden's
GLR statistic (as in R surveillance's `glrpois`, there with a fixed phase-1
mean). A one-period outbreak is a run of length 1, so spikes are caught too;
what the GLR adds is that a modest shift lasting several periods accumulates.

The alarm needs 2 G_t above the chi-square(1) quantile at alpha / max_run
(Bonferroni over the candidate starts) and the current period itself on the
side of the change (so the periods after a one-off spike are not flagged).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ews.kernel.schema import Detection
from models.detect.base import LowCountGuard, nb_quantile, series_values
from models.detect.robust import RobustBaselineDetector


class GLRShiftDetector:
    def __init__(self, max_run: int = 4, window: int = 12, alpha: float = 0.002, min_history: int = 6,
                 guard: LowCountGuard | None = None, guard_on_run: bool = False,
                 directions: tuple[str, ...] = ("surge", "drop")) -> None:
        self.max_run = max_run
        self.window = window
        self.alpha = alpha
        self.min_history = min_history
        self.guard = guard or LowCountGuard()
        self.guard_on_run = guard_on_run
        self.directions = tuple(directions)
        self._baseline = RobustBaselineDetector(window=window)
        only = "" if set(self.directions) == {"surge", "drop"} else f",{'+'.join(self.directions)} only"
        self.name = f"glr-shift(run<={max_run},alpha={alpha:g}{',run guard' if guard_on_run else ''}{only})"

    def detect(self, counts: pd.Series) -> list[Detection]:
        key, periods, y = series_values(counts)
        out = []
        baselines: dict[int, tuple[float, float]] = {}  # by run start: each start serves max_run periods
        for t in range(len(y)):
            best = None
            for k in range(1, self.max_run + 1):
                start = t - k + 1
                hist = y[max(0, start - self.window):start]
                if len(hist) < self.min_history:
                    break
                if start not in baselines:
                    baselines[start] = self._baseline.baseline(hist)
                level, dispersion = baselines[start]
                # the baseline extrapolated over the run (flat: the robust baseline's one-step forecast)
                mu = np.full(k, max(level, 0.5))
                kappa = max(y[start:t + 1].sum() / mu.sum(), 1e-6)
                llr = float(np.sum(y[start:t + 1] * np.log(kappa) - (kappa - 1.0) * mu)) / dispersion
                if best is None or llr > best[0]:
                    best = (llr, k, kappa, mu[-1], dispersion)
            if best is None:
                continue
            llr, k, kappa, expected, dispersion = best
            direction = "surge" if kappa >= 1 else "drop"
            # chi2(1) survival of 2·LLR, i.e. erfc(sqrt(LLR))
            p = min(1.0, self.max_run * math.erfc(math.sqrt(max(llr, 0.0))))
            current_agrees = (y[t] > expected) if direction == "surge" else (y[t] < expected)
            if self.guard_on_run:
                # the evidence is the whole run: six zeros where 3 a period were expected (18 in all) is a
                # real drop even though no single period clears the per-period guard
                allowed = self.guard.allows(direction, float(y[t - k + 1:t + 1].sum()), expected * k)
            else:
                allowed = self.guard.allows(direction, y[t], expected)
            alarm = (p < self.alpha and current_agrees and allowed and direction in self.directions)
            start = t - k + 1
            after = float(y[start:t + 1].mean())
            span = periods[start] if k == 1 else f"{periods[start]}..{periods[t]}"
            note = (f"level {'fell' if direction == 'drop' else 'rose'} from {expected:.1f} a period before "
                    f"{periods[start]} to {after:.1f} a period over the last {k} "
                    f"period{'s' if k > 1 else ''} ({span}: {y[start:t + 1].sum():g} where "
                    f"{expected * k:.1f} were expected)")
            out.append(Detection(series=key, period=periods[t], observed=float(y[t]), expected=float(expected),
                                 lower=nb_quantile(self.alpha, expected, dispersion),
                                 upper=nb_quantile(1 - self.alpha, expected, dispersion),
                                 alarm=bool(alarm), direction=direction, score=float(1.0 - p),
                                 method=f"{self.name}[run={k}]", note=note))
        return out
