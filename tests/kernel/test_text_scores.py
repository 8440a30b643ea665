"""The shared text helpers (Hangul, the Kiwi analyser) and precision/recall/F1."""
from __future__ import annotations

import numpy as np
import pytest

from ews.kernel.scores import f1_from_counts, f1_of, precision_recall_f1
from ews.kernel.text import HANGUL_RE, has_hangul, is_hangul, is_hangul_syllable, kiwi


def test_hangul_ranges():
    assert is_hangul_syllable("가") and is_hangul_syllable("힣") and not is_hangul_syllable("ㄱ")
    assert is_hangul("ㄱ") and is_hangul("ᄀ") and not is_hangul("か") and not is_hangul("漢")
    assert has_hangul("DRAM 메모리") and not has_hangul("DRAM memory")
    assert HANGUL_RE.sub("", "반도체 chip") == " chip"


def test_kiwi_is_built_once():
    assert kiwi() is kiwi()
    assert "반도체" in [t.form for t in kiwi().tokenize("반도체 기술")]


def test_precision_recall_f1():
    assert precision_recall_f1(8, 2, 8) == pytest.approx((0.8, 0.5, 2 * 0.8 * 0.5 / 1.3))
    assert precision_recall_f1(0, 0, 0) == (0.0, 0.0, 0.0)
    assert f1_of(0.0, 0.0) == 0.0 and f1_of(1.0, 1.0) == 1.0
    p, r, f = precision_recall_f1(3, 1, 5)
    assert f1_from_counts(3, 1, 5) == pytest.approx(f)
    assert f1_from_counts(0, 0, 0) == 0.0
    arr = f1_from_counts(np.array([3, 0, 2]), np.array([1, 0, 0]), np.array([5, 0, 0]))
    assert arr == pytest.approx([f, 0.0, 1.0])
