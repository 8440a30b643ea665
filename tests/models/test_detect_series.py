"""Hand-made count series shared by the detector tests (seeded, so every run sees the same numbers)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def months(n: int, start_year: int = 2015) -> list[str]:
    return [f"{start_year + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def years(n: int, start: int = 1995) -> list[str]:
    return [str(start + i) for i in range(n)]


def series(values, periods=None, name="s") -> pd.Series:
    values = np.asarray(values, dtype=float)
    return pd.Series(values, index=periods or months(len(values)), name=name)


def flat(n=72, level=20.0, seed=0) -> pd.Series:
    return series(np.random.default_rng(seed).poisson(level, n), name="flat")


def seasonal(n=96, level=30.0, amplitude=0.5, seed=1) -> pd.Series:
    t = np.arange(n)
    mu = level * (1 + amplitude * np.sin(2 * np.pi * t / 12))
    return series(np.random.default_rng(seed).poisson(mu), name="seasonal")


def trending(n=72, start=10.0, growth=0.03, seed=2) -> pd.Series:
    mu = start * np.exp(growth * np.arange(n))
    return series(np.random.default_rng(seed).poisson(mu), name="trending")


def sparse(n=72, level=0.3, seed=3) -> pd.Series:
    return series(np.random.default_rng(seed).poisson(level, n), name="sparse")


def with_event(s: pd.Series, at: int, factor: float, length: int = 1) -> pd.Series:
    out = s.copy()
    out.iloc[at:at + length] = np.round(out.iloc[at:at + length] * factor)
    out.name = f"{s.name}-x{factor}"
    return out
