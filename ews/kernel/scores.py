"""Precision, recall and F1: one definition for the classifier's evaluation, threshold choice and the benches."""
from __future__ import annotations

import numpy as np


def precision_recall_f1(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    """(precision, recall, F1) from true positives, false positives and false negatives; 0 where undefined."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, f1_of(p, r)


def f1_of(precision: float, recall: float) -> float:
    """The harmonic mean of a precision and a recall (a detection rate for the detector benches)."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def f1_from_counts(tp, fp, fn):
    """F1 = 2tp / (2tp + fp + fn), for numbers or element-wise for numpy arrays; 0 where nothing is positive."""
    tp, fp, fn = np.asarray(tp, dtype=float), np.asarray(fp, dtype=float), np.asarray(fn, dtype=float)
    denom = 2 * tp + fp + fn
    out = np.divide(2 * tp, denom, out=np.zeros(np.broadcast(tp, fp, fn).shape), where=denom > 0)
    return float(out) if out.ndim == 0 else out
