"""Forecast accuracy on every real count series of the shared data: MASE, relative MAE, interval coverage.

    .venv/bin/python bench/forecast.py [--data ../shared/data] [--limit N]

Series: the same loaders as bench/backtest.py (IEA, OECD, NSF NCSES yearly; Lens
drones and PatentsView NVIDIA monthly; tails cut where publication lag makes
them incomplete; series too thin to carry a signal left out), read from the
shared data folder, never copied.

Protocol (M-competition practice): the last H periods of each series are held
out (H = 3 years, 12 months); `analysis.forecast` chooses its model by rolling
origin on the periods before them and forecasts H ahead. Per series:
MASE = MAE / in-sample MAE of the (seasonal) naive step; relative MAE against
the naive (last value) and the seasonal-naive forecast (same period a year
earlier; for yearly series the same as naive). Aggregates: the geometric mean
of per-series relative MAE (AvgRelMAE, Davydenko & Fildes 2013; series where
the baseline is exact are left out), the mean MASE, and coverage = share of
held-out points inside the 80 % and 95 % intervals.

Nothing in `analysis.forecast` was tuned on the held-out periods; the interval
rescaling rule was chosen on the NCSES group alone (`--group NCSES`), so the
other groups' coverage is an out-of-sample figure.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from backtest import DEFAULT_DATA, load_all  # noqa: E402

from analysis.forecast import SEASON, forecast_values, mase_scale  # noqa: E402
from ews.kernel.periods import granularity  # noqa: E402

HOLDOUT = {"year": 3, "month": 12}


def evaluate(series, limit: int | None = None) -> dict[str, list[dict]]:
    by_group: dict[str, list[dict]] = defaultdict(list)
    for s in series:
        gran = granularity(s.periods[0])
        h = HOLDOUT[gran]
        if len(s.values) < h + 8:
            continue
        if limit and len(by_group[s.dataset]) >= limit:
            continue
        train, test = s.values[:-h], s.values[-h:]
        model, fc, _ = forecast_values(train, h, gran)
        season = SEASON[gran] if gran != "year" else 1
        naive = np.full(h, train[-1])
        m = 12 if gran == "month" else 1
        snaive = np.array([train[len(train) - m + (i % m)] for i in range(h)]) if m > 1 else naive
        mae = float(np.mean(np.abs(test - fc["mean"])))
        by_group[s.dataset].append({
            "model": model, "mae": mae,
            "mae_naive": float(np.mean(np.abs(test - naive))), "mae_snaive": float(np.mean(np.abs(test - snaive))),
            "mase": mae / mase_scale(train, m if gran == "month" else season),
            "in80": int(np.sum((test >= fc["lower_80"]) & (test <= fc["upper_80"]))),
            "in95": int(np.sum((test >= fc["lower_95"]) & (test <= fc["upper_95"]))), "points": h})
    return by_group


def _gmean_rel(rows, key):
    r = [row["mae"] / row[key] for row in rows if row[key] > 0 and row["mae"] > 0]
    return math.exp(np.mean(np.log(r))) if r else math.nan


def summary(rows: list[dict]) -> dict:
    pts = sum(r["points"] for r in rows)
    mase = [r["mase"] for r in rows if math.isfinite(r["mase"])]
    return {"series": len(rows), "MASE": float(np.mean(mase)) if mase else math.nan,
            "MASE median": float(np.median(mase)) if mase else math.nan,
            "relMAE naive": _gmean_rel(rows, "mae_naive"), "relMAE snaive": _gmean_rel(rows, "mae_snaive"),
            "cover80": sum(r["in80"] for r in rows) / pts, "cover95": sum(r["in95"] for r in rows) / pts,
            "models": Counter(r["model"] for r in rows)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=None, help="at most N series per dataset (quick look)")
    ap.add_argument("--group", default="", help="only datasets whose name contains this")
    args = ap.parse_args(argv)
    series = [s for s in load_all(args.data) if args.group in s.dataset]
    if not series:
        print(f"no real series under {args.data}: nothing to evaluate", file=sys.stderr)
        return 1
    t0 = time.time()
    groups = evaluate(series, args.limit)
    print(f"{sum(len(v) for v in groups.values())} series from {args.data}, {time.time() - t0:.0f} s\n")
    print("| dataset | series | MASE (mean) | MASE (median) | relMAE vs naive | relMAE vs seasonal naive "
          "| 80 % coverage | 95 % coverage | models chosen |")
    print("|---|---|---|---|---|---|---|---|---|")
    allrows = [r for rows in groups.values() for r in rows]
    for name, rows in sorted(groups.items()) + [("all", allrows)]:
        s = summary(rows)
        models = ", ".join(f"{m} {n}" for m, n in s["models"].most_common())
        print(f"| {name} | {s['series']} | {s['MASE']:.2f} | {s['MASE median']:.2f} | {s['relMAE naive']:.3f} "
              f"| {s['relMAE snaive']:.3f} | {s['cover80']:.3f} | {s['cover95']:.3f} | {models} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
