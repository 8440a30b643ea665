"""A company's filings as a share of its technology's total: technology-wide growth is not one company's surge.

When every applicant in a technology files 50 % more (the field is booming), a
count detector on `tech:X|applicant:A` flags each of them. The question worth an
alert is whether A's *share* of the technology changed. So, for period t:

- the baseline share p0 is estimated from the `window` periods before t only
  (causal): the pooled share sum(c) / sum(n), after a first pass that pulls
  periods whose share lies beyond 2.5 robust sd back to that limit, so an
  earlier surge of the company does not raise its own baseline;
- the company's count given the technology's total n_t is beta-binomial with
  mean n_t p0 and the overdispersion seen in the window (method of moments:
  the mean squared standardised deviation D, shrunk towards 1 with the weight
  of `prior_df` periods and floored at 1, gives the intra-class correlation
  rho = (D - 1) / (mean n - 1); binomial when D <= 1);
- the verdict is two-sided at `alpha` per side, with the low-count guard on the
  company's count (observed for a surge, expected for a drop).

`expected` is then "what the company would have filed had it kept its share":
n_t p0. This is the logit-share question of a binomial GLM with the
technology total as trials, written out for a flat baseline (the window is
short, and a share drifting slowly over 12 periods is not an event).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ews.kernel.schema import Detection
from models.detect.base import LowCountGuard, series_values

CLIP_SD = 2.5


class ShareShiftDetector:
    """Beta-binomial test of a series' share of a total series (see the module doc)."""

    def __init__(self, window: int = 12, alpha: float = 0.001, min_history: int = 6, prior_df: float = 6.0,
                 guard: LowCountGuard | None = None) -> None:
        self.window = window
        self.prior_df = prior_df
        self.alpha = alpha
        self.min_history = min_history
        self.guard = guard or LowCountGuard()
        self.name = f"share-betabinomial(w={window},alpha={alpha:g})"

    def baseline(self, c: np.ndarray, n: np.ndarray) -> tuple[float, float]:
        """(share p0, intra-class correlation rho) from a history of counts c out of totals n."""
        keep = n > 0
        c, n = c[keep], n[keep]
        if n.sum() <= 0:
            return 0.0, 0.0
        p0 = float(c.sum() / n.sum())
        shares = c / n
        mad = 1.4826 * float(np.median(np.abs(shares - np.median(shares))))
        limit = CLIP_SD * max(mad, np.sqrt(max(p0 * (1 - p0), 1e-12) / max(float(np.mean(n)), 1.0)))
        clipped = np.clip(shares, p0 - limit, p0 + limit) * n
        p0 = float(np.clip(clipped.sum() / n.sum(), 0.0, 1.0))
        if p0 <= 0.0 or p0 >= 1.0 or len(n) < 2:
            return p0, 0.0
        z2 = (clipped - n * p0) ** 2 / (n * p0 * (1 - p0))
        # a dozen small counts give a noisy moment estimate: shrink it towards the binomial (D = 1)
        d_raw = float(z2.sum() / (len(n) - 1))
        d = max(1.0, (self.prior_df + (len(n) - 1) * d_raw) / (self.prior_df + len(n) - 1))
        rho = (d - 1.0) / max(float(np.mean(n)) - 1.0, 1.0)
        return p0, float(np.clip(rho, 0.0, 0.5))

    def detect_share(self, counts: pd.Series, totals: pd.Series) -> list[Detection]:
        """Verdicts on `counts` (the company) relative to `totals` (its technology), aligned on periods."""
        key, periods, c = series_values(counts)
        if not periods:
            return []
        n = totals.reindex(periods, fill_value=0).to_numpy(dtype=float)
        n = np.maximum(n, c)  # a total below its part is a counting error; never let the share exceed 1
        rows = []
        for t in range(self.min_history, len(c)):
            lo = max(0, t - self.window)
            if np.count_nonzero(n[lo:t]) < self.min_history or n[t] <= 0:
                continue
            p0, rho = self.baseline(c[lo:t], n[lo:t])
            rows.append((t, p0, rho))
        if not rows:
            return []
        t_idx = np.array([r[0] for r in rows])
        p0 = np.array([r[1] for r in rows])
        rho = np.array([r[2] for r in rows])
        trials = n[t_idx].astype(int)
        obs = c[t_idx]
        expected = trials * p0
        # beta-binomial parameters; rho -> 0 is the binomial (a huge a + b)
        ab = np.where(rho > 1e-9, (1.0 - rho) / np.maximum(rho, 1e-9), 1e9)
        a = np.maximum(p0, 1e-9) * ab
        b = np.maximum(1.0 - p0, 1e-9) * ab
        dist = stats.betabinom(trials, a, b)
        p_up = dist.sf(obs - 1)
        p_down = dist.cdf(obs)
        lower = dist.ppf(self.alpha)
        upper = dist.ppf(1.0 - self.alpha)
        out = []
        for i, t in enumerate(t_idx):
            direction = "surge" if obs[i] >= expected[i] else "drop"
            p = float(p_up[i] if direction == "surge" else p_down[i])
            if p0[i] <= 0.0 and obs[i] > 0:
                p = 0.0  # a company with no share at all now filing: any count is a change of share
            alarm = bool(p < self.alpha and self.guard.allows(direction, obs[i], expected[i]))
            low, up = float(min(lower[i], expected[i])), float(max(upper[i], expected[i]))
            out.append(Detection(series=key, period=periods[t], observed=float(obs[i]), expected=float(expected[i]),
                                 lower=low, upper=up, alarm=alarm, direction=direction,
                                 score=float(np.clip(1.0 - p, 0.0, 1.0)),
                                 method=self.name,
                                 note=(f"{int(obs[i])} of the technology's {int(trials[i])} filings "
                                       f"({obs[i] / trials[i]:.1%}) against a usual share of {p0[i]:.1%} "
                                       f"over the previous {self.window} periods ({expected[i]:.1f} expected)")))
        return out


class ApplicantShareDetector:
    """What `detect_counts` runs on an applicant series whose technology total is known.

    An alarm needs both kinds of evidence, or strong evidence of the share alone:
    - the count detector flags the period *and* the company's share moved the same
      way at `confirm_alpha` (one-sided): a surge of the whole technology moves every
      applicant's count but not their shares, so it is vetoed;
    - or the share detector alone flags it at its own (strict) alpha: a company
      doubling its share of a shrinking technology is news even if its count is not.
    """

    def __init__(self, count_detector, share: ShareShiftDetector | None = None, confirm_alpha: float = 0.05) -> None:
        self.count_detector = count_detector
        self.share = share or ShareShiftDetector()
        self.confirm_alpha = confirm_alpha
        self.name = f"applicant-share[{self.share.name};confirm={confirm_alpha:g}]"

    def detect_share(self, counts: pd.Series, totals: pd.Series) -> list[Detection]:
        by_share = {d.period: d for d in self.share.detect_share(counts, totals)}
        out = []
        for d in self.count_detector.detect(counts):
            s = by_share.get(d.period)
            if s is None:
                out.append(d)  # no share baseline yet (a short total): the count verdict stands
                continue
            confirmed = s.direction == d.direction and (1.0 - s.score) < self.confirm_alpha
            if d.alarm and confirmed:
                out.append(d.model_copy(update={"method": f"{d.method}+share", "note": _combined_note(d, s)}))
            elif s.alarm:
                out.append(s)
            else:
                out.append(d.model_copy(update={"alarm": False}))
        return out


def _combined_note(count: Detection, share: Detection) -> str:
    head = count.note or (f"{count.observed:g} observed where {count.expected:.1f} were expected from the "
                          f"company's own history")
    return f"{head}; its share of the technology moved too: {share.note}"
