"""The agreement rule (`models/detect/agree.py`): an alarm only where both parts alarm in the same direction."""
from __future__ import annotations

import numpy as np
import pandas as pd
from test_detect_series import series, years

from ews.kernel.schema import Detection
from models.detect import LogLinearDetector, rescaled
from models.detect.agree import AgreementDetector
from models.detect.select import YEARLY_ALPHA, yearly_detector


class Fixed:
    """A stub part with given verdicts per index: None (not judged), or (alarm, direction, score)."""

    def __init__(self, name, verdicts, alpha=0.01):
        self.name, self.verdicts, self.alpha = name, verdicts, alpha

    def detect(self, counts: pd.Series) -> list[Detection]:
        out = []
        for i, (p, v) in enumerate(zip(counts.index, self.verdicts)):
            if v is None:
                continue
            alarm, direction, score = v
            out.append(Detection(series=str(counts.name), period=str(p), observed=float(counts.iloc[i]),
                                 expected=10.0 + i, lower=5.0 + i, upper=15.0 + i, alarm=alarm,
                                 direction=direction, score=score, method=self.name))
        return out


def test_alarm_needs_both_parts_in_the_same_direction():
    s = series([10.0] * 5, periods=years(5), name="k")
    a = Fixed("a", [(True, "surge", 0.999), (True, "surge", 0.99), (True, "drop", 0.999), (False, "surge", 0.5),
                    (True, "surge", 0.999)])
    b = Fixed("b", [(True, "surge", 0.9999), (False, "surge", 0.7), (True, "surge", 0.999), (True, "surge", 0.99),
                    None])
    out = AgreementDetector(a, b).detect(s)
    # the last period is judged by one part only: no verdict
    assert [d.period for d in out] == list(s.index[:4])
    assert [d.alarm for d in out] == [True, False, False, False]
    assert [d.score for d in out] == [0.999, 0.7, 0.999, 0.5]        # the weaker evidence
    assert out[0].method == "agree[a&b]" and out[0].expected == 10.0


def test_bounds_span_both_bands():
    s = series([10.0] * 2, periods=years(2), name="k")
    wide = Fixed("w", [(False, "surge", 0.5)] * 2)
    narrow = Fixed("n", [(False, "surge", 0.5)] * 2)
    narrow.detect = lambda c: [d.model_copy(update={"lower": 9.0, "upper": 30.0}) for d in Fixed.detect(narrow, c)]
    d = AgreementDetector(wide, narrow).detect(s)[0]
    assert (d.lower, d.upper) == (5.0, 30.0)


def test_rescaled_scales_both_parts_and_the_name_follows():
    det = rescaled(yearly_detector(), 2.0)
    assert det.first.alpha == det.second.alpha == 2 * YEARLY_ALPHA
    assert f"alpha={2 * YEARLY_ALPHA:g}" in det.name and f"alpha={YEARLY_ALPHA:g}" not in det.name
    assert yearly_detector().first.alpha == YEARLY_ALPHA   # the original is untouched


def test_a_clear_jump_is_flagged_and_every_verdict_is_the_and_of_the_two_windows():
    rng = np.random.default_rng(5)
    base = 200.0 * np.exp(0.03 * np.arange(14) + rng.normal(0, 0.04, 14))
    jump = series(np.append(np.round(base), 2.5 * base[-1]), periods=years(15), name="j")
    assert [d.period for d in yearly_detector().detect(jump) if d.alarm] == [jump.index[-1]]
    # the agreement never alarms where one part alone is quiet
    for d, a, b in zip(yearly_detector().detect(jump), LogLinearDetector(window=6, alpha=YEARLY_ALPHA,
                                                                          min_history=3).detect(jump),
                       LogLinearDetector(window=10, alpha=YEARLY_ALPHA, min_history=3).detect(jump)):
        assert d.alarm == (a.alarm and b.alarm and a.direction == b.direction)
