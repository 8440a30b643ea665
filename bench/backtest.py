"""Backtest of the count detectors on real patent series with seeded injected surges and drops.

    .venv/bin/python bench/backtest.py [--data ../shared/data] [--seed 20240601] [--copies 2] [--quick]
    .venv/bin/python bench/backtest.py --cv         # leave-one-dataset-out check of the yearly settings
    .venv/bin/python bench/backtest.py --curve      # detection rate vs false alarms, cross-validated operating point
    .venv/bin/python bench/backtest.py --seed 1 --curve --image /tmp/c.png   # the tuning seed: what ships
    .venv/bin/python bench/backtest.py --variants   # yearly candidates; the default against variants (sustained drops)
    .venv/bin/python bench/backtest.py --seed 1 --yearly-variants   # the yearly candidates only
    .venv/bin/python bench/backtest.py --short-yearly   # alarm rates of yearly verdicts by history length
    .venv/bin/python bench/backtest.py --seed 1 --monthly-variants   # sub-yearly candidates, with their CV

Operating curve (`--curve`): the default detector with every alpha multiplied
by 0.1 … 3 (the knob `models/detect/sensitivity.yaml` turns per field), one
row per factor, and a PNG (docs/detector_curve.png). The operating point is a
pair of factors, one for yearly and one for sub-yearly series, each chosen as
the best F1 at <= 2.5 false alarms per 100 series-periods of its own series. `--curve` reports a
5-fold cross-validation by real series (choose on four folds, score on the
fifth, pool the held-out scores): the honest estimate of the procedure. What
ships (`OPERATING_POINT` in models/detect/select.py) is the choice on all of
the tuning seed's cases (`--seed 1 --curve`), never on the reported seed.

Tuning protocol (so the reported figures are not fitted to the events they
score): the default detector's settings were chosen on seed 1 (`--seed 1
--quick`, other injected events and another sample of series); the reported
run is seed 20240601. The real series themselves are shared between seeds
(their own growth spurts are the main source of false alarms), so `--cv` also
checks the yearly settings across datasets: for each yearly dataset, the grid
point with the best F1 (penalised beyond 2.5 false alarms/100) on the two other
datasets is scored on the held-out one, next to the shipped settings.

Series (read from the shared data folder when present, skipped when absent,
never copied into the project):
- yearly: IEA energy-technology patents per country and sector (2000–2018),
  OECD inventor-country counts for batteries, PV, wind, climate mitigation
  (1990–2017), energy storage (1995–2017), all technologies (2000–2018), NSF
  NCSES US grants per WIPO field and country (1998–2018);
- monthly: Lens drone families per CPC subclass and per office by application
  month (2000-01 to 2015-12), PatentsView NVIDIA grants per CPC subclass by
  grant month (2000-01 to 2024-12).
The tails of filing-dated series are cut where publication lag makes them
incomplete (the detectors' lag guard is tested in the unit tests; here the
question is how well they see events). Series too thin to carry an event
(median under 5 a period) are left out.

Events (one per copy of a series, seeded): a surge of factor 1.5–4 for 1–3
periods, a sustained shift of factor 1.5–3 from its start to the end of the
series (scored over its first 4 years or 12 months: after that the new level is
the normal one), or a drop to a fraction 0.1–0.5 for 1–3 periods, starting
after the first 30 % of the series. Surges add Poisson((f-1)·level) to the real count (level: the
median of the 12 periods before the event), drops thin it binomially, so
injected counts are counts.

Scoring, over the periods after the first 30 % of each series: an event is
detected when an alarm of its direction falls inside it (delay: periods from
its start to the first such alarm); an alarm is true when it falls inside an
event of its direction, false otherwise (real surges in the real series count
as false alarms: there is no ground truth for them). Precision = true alarms /
alarms, F1 from precision and detection rate.

Baselines, implemented here from their published definitions:
- ElastAlert2 `spike` rule (spike_height 2, spike_type both, timeframe one
  period): alarm when the current window's count is >= 2× the previous
  window's or <= half of it (a period with both windows empty is not evaluated,
  as ElastAlert only evaluates on events);
- EARS C2 (Hutwagner et al. 2003): mean and sd of the 7 periods ending 3
  before the current one, alarm beyond mean ± 3 sd;
- Poisson 0.999: lambda the mean of the last 6 periods, alarm above the 0.999
  quantile or below the 0.001 quantile.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ews.kernel.scores import f1_of  # noqa: E402
from models.detect import GLRShiftDetector, all_detectors, default_detector  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
MIN_MEDIAN = 5.0          # yearly series: a median under 5 a year cannot carry an event
MIN_MEAN_MONTHLY = 2.0    # monthly series: at least 2 documents a month on average


@dataclass
class RealSeries:
    dataset: str
    key: str
    periods: list[str]
    values: np.ndarray


# ---------------------------------------------------------------------------------------------- loading


def _yearly(dataset: str, frame: pd.DataFrame, key_cols: list[str], year_col: str, value_col: str,
            first: int, last: int) -> list[RealSeries]:
    out = []
    frame = frame[(frame[year_col] >= first) & (frame[year_col] <= last)]
    for key, rows in frame.groupby(key_cols, sort=True):
        by_year = rows.groupby(year_col)[value_col].sum()
        years = list(range(int(by_year.index.min()), int(by_year.index.max()) + 1))
        values = np.round(by_year.reindex(years, fill_value=0).to_numpy(dtype=float))
        out.append(RealSeries(dataset, "|".join(map(str, key if isinstance(key, tuple) else (key,))),
                              [str(y) for y in years], values))
    return out


def load_iea(data: Path) -> list[RealSeries]:
    f = data / "patent_count_timeseries" / "iea_energy_patents_by_country_tech_2000_2021.csv"
    if not f.exists():
        return []
    d = pd.read_csv(f)
    d = d[d["indicator"] == "Total"]
    return _yearly("IEA yearly", d, ["countryISO", "techSector"], "year", "value", 2000, 2018)


def load_oecd(data: Path) -> list[RealSeries]:
    base = data / "patent_count_timeseries"
    out = []
    for name, first, last in [("oecd_pat_dev_envtech_batteries_pv_wind_1990_2020.csv", 1990, 2017),
                              ("oecd_pat_dev_energy_storage.csv", 1995, 2017)]:
        f = base / name
        if f.exists():
            d = pd.read_csv(f, encoding="utf-8-sig")
            out += _yearly("OECD yearly", d, ["COU", "DOM"], "YEA", "Value", first, last)
    f = base / "oecd_pat_dev_all_technologies.csv"
    if f.exists():
        d = pd.read_csv(f)
        out += _yearly("OECD yearly", d, ["REF_AREA", "TECH"], "TIME_PERIOD", "OBS_VALUE", 2000, 2018)
    return out


def load_ncses(data: Path) -> list[RealSeries]:
    folder = data / "patent_count_timeseries" / "ncses_uspto_by_wipo_field_1998_2018"
    out = []
    for f in sorted(folder.glob("ncses_*.csv")) if folder.exists() else []:
        d = pd.read_csv(f)
        cols = [c for c in d.columns if c.startswith("field_") and c.endswith("_uspto_patents")]
        if not cols or "region_country_or_economy_full_path" not in d.columns:
            continue  # tables by class or of indices, not counts by country
        for _, row in d.iterrows():
            values = pd.to_numeric(row[cols], errors="coerce").to_numpy(dtype=float)
            if np.isnan(values).any():
                continue
            years = [c.split("_")[1] for c in cols]
            out.append(RealSeries("NCSES yearly", f"{f.stem}|{row['region_country_or_economy_full_path']}",
                                  years, values))
    return out


def _monthly(dataset: str, dates: pd.Series, keys: pd.Series, first: str, last: str) -> list[RealSeries]:
    months = pd.period_range(first, last, freq="M")
    frame = pd.DataFrame({"month": pd.to_datetime(dates, errors="coerce").dt.to_period("M"), "key": keys})
    frame = frame.dropna()
    frame = frame[(frame["month"] >= months[0]) & (frame["month"] <= months[-1])]
    out = []
    for key, rows in frame.groupby("key", sort=True):
        counts = rows.groupby("month").size().reindex(months, fill_value=0)
        out.append(RealSeries(dataset, str(key), [str(p) for p in months], counts.to_numpy(dtype=float)))
    return out


def load_drones(data: Path) -> list[RealSeries]:
    f = data / "lens_drones" / "drones_fulltext_families_5884.csv"
    if not f.exists():
        return []
    d = pd.read_csv(f, usecols=["Application Date", "CPC Classifications", "Jurisdiction"])
    sub = d.assign(cpc=d["CPC Classifications"].fillna("").str.split(";;"))
    sub = sub.explode("cpc")
    sub["cpc"] = sub["cpc"].str.strip().str[:4]
    sub = sub[sub["cpc"].str.len() == 4].drop_duplicates()
    out = _monthly("drones monthly", sub["Application Date"], "cpc:" + sub["cpc"], "2000-01", "2015-12")
    out += _monthly("drones monthly", d["Application Date"], "office:" + d["Jurisdiction"], "2000-01", "2015-12")
    return out


def load_nvidia(data: Path) -> list[RealSeries]:
    folder = data / "patentsview_nvidia"
    if not (folder / "nvidia_patent.csv").exists():
        return []
    pat = pd.read_csv(folder / "nvidia_patent.csv", usecols=["patent_id", "patent_date"], dtype=str)
    cpc = pd.read_csv(folder / "nvidia_cpc.csv", usecols=["patent_id", "cpc_subclass"], dtype=str).drop_duplicates()
    m = cpc.merge(pat, on="patent_id")
    out = _monthly("NVIDIA monthly", m["patent_date"], "cpc:" + m["cpc_subclass"], "2000-01", "2024-12")
    out += _monthly("NVIDIA monthly", pat["patent_date"], pd.Series("all", index=pat.index), "2000-01", "2024-12")
    return out


def load_all(data: Path) -> list[RealSeries]:
    series = load_iea(data) + load_oecd(data) + load_ncses(data) + load_drones(data) + load_nvidia(data)
    def thick_enough(s: RealSeries) -> bool:
        if len(s.periods[0]) == 4:
            return np.median(s.values) >= MIN_MEDIAN
        return s.values.mean() >= MIN_MEAN_MONTHLY

    return [s for s in series if len(s.values) >= 15 and thick_enough(s)]


def balanced(series: list[RealSeries], per_dataset: int, seed: int) -> list[RealSeries]:
    """At most `per_dataset` series from each dataset (a seeded sample), so NCSES's 1,200 tables do not drown the rest."""
    rng = np.random.default_rng(seed)
    out = []
    for name in sorted({s.dataset for s in series}):
        group = [s for s in series if s.dataset == name]
        if len(group) > per_dataset:
            group = [group[i] for i in sorted(rng.choice(len(group), size=per_dataset, replace=False))]
        out += group
    return out


# ---------------------------------------------------------------------------------------------- events


@dataclass
class Event:
    kind: str        # spike, shift, drop
    direction: str   # surge, drop
    start: int
    end: int         # inclusive
    factor: float


@dataclass
class Case:
    real: RealSeries
    values: np.ndarray
    event: Event | None
    eval_start: int


def inject(real: RealSeries, rng: np.random.Generator) -> Case:
    """One seeded event in a copy of a real series (see the module doc for the kinds)."""
    y = real.values.copy()
    n = len(y)
    eval_start = int(math.ceil(0.3 * n))
    yearly = len(real.periods[0]) == 4
    kind = str(rng.choice(["spike", "shift", "drop"]))
    if kind == "shift":
        # a new level that stays; it is scored over its first `window` periods (later alarms are false:
        # by then the new level is the normal)
        window = 4 if yearly else 12
        factor = float(rng.uniform(1.5, 3.0))
        start = int(rng.integers(eval_start, max(eval_start + 1, n - 2)))
        changed, end = slice(start, n), min(n - 1, start + window - 1)
    else:
        length = int(rng.integers(1, 4))
        factor = float(rng.uniform(1.5, 4.0)) if kind == "spike" else float(rng.uniform(0.1, 0.5))
        length = min(length, n - eval_start)
        start = int(rng.integers(eval_start, n - length + 1))
        end = start + length - 1
        changed = slice(start, end + 1)
    if kind == "drop":
        y[changed] = rng.binomial(y[changed].astype(int), factor)
    else:
        level = float(np.median(y[max(0, start - 12):start]))
        y[changed] = y[changed] + rng.poisson((factor - 1.0) * max(level, 1.0), size=len(y[changed]))
    ev = Event(kind, "drop" if kind == "drop" else "surge", start, end, factor)
    return Case(real, y, ev, eval_start)


def make_cases(series: list[RealSeries], seed: int, copies: int) -> list[Case]:
    """`copies` injected copies of each yearly series, 5× as many of each (ten times longer) monthly one."""
    rng = np.random.default_rng(seed)
    return [inject(s, rng) for s in series for _ in range(copies if len(s.periods[0]) == 4 else 5 * copies)]


# ---------------------------------------------------------------------------------------------- baselines


class ElastAlertSpike:
    """ElastAlert2 `spike` rule: current window vs the previous one, spike_height 2, both directions."""

    name = "baseline: ElastAlert2 spike (ratio 2)"

    def alarms(self, y: np.ndarray) -> list[tuple[int, str]]:
        out = []
        for t in range(1, len(y)):
            ref, cur = y[t - 1], y[t]
            if ref == 0 and cur == 0:
                continue
            if cur >= 2 * ref:
                out.append((t, "surge"))
            elif cur <= ref / 2:
                out.append((t, "drop"))
        return out


class EARSC2Baseline:
    """EARS C2 as published: baseline t-9..t-3, alarm beyond mean ± 3 sd."""

    name = "baseline: EARS C2"

    def alarms(self, y):
        out = []
        for t in range(9, len(y)):
            base = y[t - 9:t - 2]
            m, s = base.mean(), base.std(ddof=1)
            if y[t] > m + 3 * s:
                out.append((t, "surge"))
            elif y[t] < m - 3 * s:
                out.append((t, "drop"))
        return out


class Poisson999:
    """Poisson threshold: lambda = mean of the last 6 periods, alarm outside the 0.001/0.999 quantiles."""

    name = "baseline: Poisson 0.999 (last 6)"

    def alarms(self, y):
        out = []
        for t in range(6, len(y)):
            lam = max(y[t - 6:t].mean(), 1e-9)
            if y[t] > stats.poisson.ppf(0.999, lam):
                out.append((t, "surge"))
            elif y[t] < stats.poisson.ppf(0.001, lam):
                out.append((t, "drop"))
        return out


class ProductDetector:
    """Adapts a `models.detect` detector to the bench: alarms as (index, direction)."""

    def __init__(self, det, label=None):
        self.det = det
        self.name = label or det.name

    def alarms(self, y, periods):
        s = pd.Series(y, index=periods, name="bench")
        pos = {p: i for i, p in enumerate(periods)}
        return [(pos[d.period], d.direction) for d in self.det.detect(s) if d.alarm]


# ---------------------------------------------------------------------------------------------- scoring


@dataclass
class Score:
    events: int = 0
    detected: int = 0
    alarms: int = 0
    true_alarms: int = 0
    periods: int = 0
    quiet_periods: int = 0
    delays: list | None = None

    def add(self, case: Case, alarms: list[tuple[int, str]]) -> None:
        self.delays = self.delays if self.delays is not None else []
        ev = case.event
        n = len(case.values)
        self.periods += n - case.eval_start
        def in_event(t):
            return (ev is not None and ev.start <= t <= ev.end)
        self.quiet_periods += sum(1 for t in range(case.eval_start, n) if not in_event(t))
        hits = []
        for t, direction in alarms:
            if t < case.eval_start:
                continue
            self.alarms += 1
            if in_event(t) and direction == ev.direction:
                self.true_alarms += 1
                hits.append(t)
        if ev is not None:
            self.events += 1
            if hits:
                self.detected += 1
                self.delays.append(min(hits) - ev.start)

    def row(self) -> dict:
        rate = self.detected / self.events if self.events else 0.0
        precision = self.true_alarms / self.alarms if self.alarms else 0.0
        f1 = f1_of(precision, rate)
        false_alarms = self.alarms - self.true_alarms
        return {"detection rate": rate, "false alarms / 100": 100.0 * false_alarms / max(self.quiet_periods, 1),
                "precision": precision, "F1": f1,
                "median delay": float(np.median(self.delays)) if self.delays else float("nan")}


def evaluate(detectors, cases: list[Case]) -> dict[str, dict[str, Score]]:
    results: dict[str, dict[str, Score]] = {}
    for det in detectors:
        by_set: dict[str, Score] = {}
        t0 = time.time()
        for case in cases:
            if isinstance(det, ProductDetector):
                alarms = det.alarms(case.values, case.real.periods)
            else:
                alarms = det.alarms(case.values)
            for name in ("all", case.real.dataset, f"event: {case.event.kind}"):
                by_set.setdefault(name, Score()).add(case, alarms if name != f"event: {case.event.kind}" else alarms)
        results[det.name] = by_set
        print(f"  {det.name}: {time.time() - t0:.1f} s", file=sys.stderr)
    return results


def markdown(results: dict[str, dict[str, Score]], subset: str = "all") -> str:
    cols = ["detection rate", "false alarms / 100", "precision", "F1", "median delay"]
    lines = ["| detector | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for name, by_set in results.items():
        if subset not in by_set:
            continue
        r = by_set[subset].row()
        cells = [f"{r['detection rate']:.2f}", f"{r['false alarms / 100']:.2f}", f"{r['precision']:.2f}",
                 f"{r['F1']:.2f}", f"{r['median delay']:.1f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


YEARLY_GRID = {"window": (8, 10), "prior_sd": (0.1, 0.12, 0.15, 0.2), "damping": (0.5, 1.0), "alpha": (1e-3, 2e-3)}


def _pooled(scores: list[Score]) -> dict:
    total = Score(delays=[])
    for s in scores:
        for f in ("events", "detected", "alarms", "true_alarms", "periods", "quiet_periods"):
            setattr(total, f, getattr(total, f) + getattr(s, f))
        total.delays += s.delays or []
    return total.row()


def cross_validate_yearly(cases: list[Case]) -> str:
    """Leave-one-dataset-out choice of the log-linear detector's settings on the yearly cases (markdown)."""
    import itertools

    from models.detect import LogLinearDetector
    from models.detect.select import AutoDetector

    yearly = [c for c in cases if len(c.real.periods[0]) == 4]
    names = sorted({c.real.dataset for c in yearly})
    shipped = AutoDetector().yearly
    grid = [dict(zip(YEARLY_GRID, v)) for v in itertools.product(*YEARLY_GRID.values())]
    keyed = {tuple(sorted(g.items())): g for g in grid}
    shipped_key = ("shipped", shipped.name)
    results: dict[tuple, dict[str, Score]] = {}
    for key, params in [*keyed.items(), (shipped_key, None)]:
        det = ProductDetector(shipped if params is None else LogLinearDetector(**params))
        by: dict[str, Score] = {}
        for c in yearly:
            by.setdefault(c.real.dataset, Score()).add(c, det.alarms(c.values, c.real.periods))
        results[key] = by

    def objective(row):
        return row["F1"] - 0.1 * max(0.0, row["false alarms / 100"] - 2.5)

    lines = ["| held-out dataset | settings chosen on the other two | held-out F1 | held-out FA/100 | shipped F1 | shipped FA/100 |",
             "|---|---|---:|---:|---:|---:|"]
    for held in names:
        train = [n for n in names if n != held]
        best = max(keyed, key=lambda k: objective(_pooled([results[k][n] for n in train])))
        r, sh = _pooled([results[best][held]]), _pooled([results[shipped_key][held]])
        lines.append(f"| {held} | {', '.join(f'{k}={v:g}' for k, v in best)} | {r['F1']:.2f} | "
                     f"{r['false alarms / 100']:.2f} | {sh['F1']:.2f} | {sh['false alarms / 100']:.2f} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- operating curve

SCALES = (0.05, 0.1, 0.2, 0.5, 0.7, 1.0, 1.4, 2.0, 3.0)
FA_LIMIT = 2.5
FOLDS = 5


def _is_yearly(case: Case) -> bool:
    return len(case.real.periods[0]) == 4


def curve_alarms(cases: list[Case], scales=SCALES) -> dict[float, list[list[tuple[int, str]]]]:
    """Per alpha scale of the default detector (yearly and sub-yearly parts alike), the alarms of every case."""
    from models.detect.select import default_detector as make

    out = {}
    for s in scales:
        t0 = time.time()
        det = ProductDetector(make(yearly_scale=s, subyearly_scale=s))
        out[s] = [det.alarms(c.values, c.real.periods) for c in cases]
        print(f"  curve: alpha x{s:g}: {time.time() - t0:.1f} s", file=sys.stderr)
    return out


def granularity_rows(cases, alarms_by_scale) -> str:
    """The curve split by yearly and sub-yearly series (markdown)."""
    lines = ["| alpha × | yearly: detection | yearly: FA/100 | yearly: F1 | sub-yearly: detection | "
             "sub-yearly: FA/100 | sub-yearly: F1 |", "|---:|---:|---:|---:|---:|---:|---:|"]
    yearly = [i for i, c in enumerate(cases) if _is_yearly(c)]
    sub = [i for i, c in enumerate(cases) if not _is_yearly(c)]
    for s in sorted(alarms_by_scale):
        y, m = _score(cases, alarms_by_scale, yearly, s, s), _score(cases, alarms_by_scale, sub, s, s)
        lines.append(f"| {s:g} | {y['detection rate']:.2f} | {y['false alarms / 100']:.2f} | {y['F1']:.2f} | "
                     f"{m['detection rate']:.2f} | {m['false alarms / 100']:.2f} | {m['F1']:.2f} |")
    return "\n".join(lines)


def _score(cases, alarms_by_scale, idx, ys, ss) -> dict:
    total = Score(delays=[])
    for i in idx:
        c = cases[i]
        total.add(c, alarms_by_scale[ys if _is_yearly(c) else ss][i])
    return total.row()


def _best_one(cases, alarms_by_scale, idx) -> float:
    scales = sorted(alarms_by_scale)
    rows = {s: _score(cases, alarms_by_scale, idx, s, s) for s in scales}
    ok = [s for s, r in rows.items() if r["false alarms / 100"] <= FA_LIMIT]
    if not ok:
        return min(rows, key=lambda s: rows[s]["false alarms / 100"])
    return max(ok, key=lambda s: (rows[s]["F1"], -rows[s]["false alarms / 100"]))


def _best(cases, alarms_by_scale, idx) -> tuple[float, float]:
    """The (yearly, sub-yearly) scales, each the best F1 at <= FA_LIMIT false alarms/100 on its own series.

    The limit holds for yearly and for sub-yearly series separately: pooled, the
    quiet monthly series (many periods) would pay for the yearly ones' false
    alarms, and an analyst of either kind would see more than the limit.
    Each kind is chosen on its own F1, not on the pooled one: the pooled F1 is
    best with the strictest sub-yearly factor (the table of pairs `--curve`
    prints shows it), because a monthly series has ten times the periods of a
    yearly one and its alarms are less precise, but that would halve the
    monthly detection rate for a benchmark-composition effect of a few
    hundredths (models/detect/README.md).
    """
    yearly = [i for i in idx if _is_yearly(cases[i])]
    sub = [i for i in idx if not _is_yearly(cases[i])]
    return _best_one(cases, alarms_by_scale, yearly), _best_one(cases, alarms_by_scale, sub)


def fold_of(case: Case) -> int:
    """Folds by real series (every injected copy of a series in one fold), stable across runs."""
    import zlib

    return zlib.crc32(f"{case.real.dataset}|{case.real.key}".encode()) % FOLDS


def operating_curve(cases: list[Case], image: Path | None) -> str:
    """The detection/false-alarm curve, the cross-validated operating point, the shipped one (markdown)."""
    from models.detect.select import OPERATING_POINT

    alarms = curve_alarms(cases, sorted(set(SCALES) | set(OPERATING_POINT.values())))
    every = list(range(len(cases)))
    lines = ["| alpha × | detection rate | false alarms / 100 | precision | F1 | median delay |",
             "|---:|---:|---:|---:|---:|---:|"]
    points = []
    for s in sorted(alarms):
        r = _score(cases, alarms, every, s, s)
        points.append((s, r))
        lines.append(f"| {s:g} | {r['detection rate']:.2f} | {r['false alarms / 100']:.2f} | {r['precision']:.2f} | "
                     f"{r['F1']:.2f} | {r['median delay']:.1f} |")
    lines += ["", granularity_rows(cases, alarms)]
    # cross-validation: the operating point is chosen on 4 folds of real series, scored on the fifth
    folds = [fold_of(c) for c in cases]
    held = Score(delays=[])
    lines += ["", f"{FOLDS}-fold cross-validation by real series (on the other folds, for yearly and for "
              f"sub-yearly series each, the best F1 at <= {FA_LIMIT} false alarms/100; scored on the held-out fold):", "",
              "| fold | chosen (yearly ×, sub-yearly ×) | held-out detection rate | held-out FA/100 | held-out F1 |",
              "|---:|---|---:|---:|---:|"]
    for f in range(FOLDS):
        train = [i for i in every if folds[i] != f]
        test = [i for i in every if folds[i] == f]
        ys, ss = _best(cases, alarms, train)
        r = _score(cases, alarms, test, ys, ss)
        for i in test:
            held.add(cases[i], alarms[ys if _is_yearly(cases[i]) else ss][i])
        lines.append(f"| {f} | {ys:g}, {ss:g} | {r['detection rate']:.2f} | {r['false alarms / 100']:.2f} | "
                     f"{r['F1']:.2f} |")
    h = held.row()
    lines.append(f"| pooled out-of-fold | | {h['detection rate']:.2f} | {h['false alarms / 100']:.2f} | {h['F1']:.2f} |")
    lines += ["", "Every pair of factors (yearly ×, sub-yearly ×), pooled over all cases: F1 (false alarms/100 of the "
              "yearly, of the sub-yearly series):", ""]
    scales = sorted(alarms)
    yearly = [i for i in every if _is_yearly(cases[i])]
    sub = [i for i in every if not _is_yearly(cases[i])]
    fa_sub = {s: _score(cases, alarms, sub, s, s)["false alarms / 100"] for s in scales}
    lines += ["| yearly × \\ sub-yearly × | " + " | ".join(f"{s:g} ({fa_sub[s]:.2f})" for s in scales) + " |",
              "|---|" + "---:|" * len(scales)]
    for ys_ in scales:
        fa_y = _score(cases, alarms, yearly, ys_, ys_)["false alarms / 100"]
        lines.append(f"| {ys_:g} ({fa_y:.2f}) | " + " | ".join(
            f"{_score(cases, alarms, every, ys_, ss_)['F1']:.3f}" for ss_ in scales) + " |")
    ys, ss = _best(cases, alarms, every)
    shipped = _score(cases, alarms, every, OPERATING_POINT["yearly"], OPERATING_POINT["subyearly"])
    lines += ["", f"Chosen on all of these cases: yearly × {ys:g}, sub-yearly × {ss:g} (ship it only from the "
              "tuning seed).",
              f"Shipped operating point (yearly × {OPERATING_POINT['yearly']:g}, sub-yearly × "
              f"{OPERATING_POINT['subyearly']:g}): detection rate {shipped['detection rate']:.2f}, false alarms/100 "
              f"{shipped['false alarms / 100']:.2f}, precision {shipped['precision']:.2f}, F1 {shipped['F1']:.2f}."]
    if image is not None:
        plot_curve(points, shipped, image)
        lines.append(f"\nCurve written to {image}")
    return "\n".join(lines)


def plot_curve(points, shipped: dict, image: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    fa = [r["false alarms / 100"] for _, r in points]
    ax.plot(fa, [r["detection rate"] for _, r in points], "o-", label="detection rate")
    ax.plot(fa, [r["F1"] for _, r in points], "s--", label="F1")
    for s, r in points:
        ax.annotate(f"×{s:g}", (r["false alarms / 100"], r["detection rate"]), textcoords="offset points",
                    xytext=(4, -10), fontsize=7)
    ax.axvline(FA_LIMIT, color="grey", lw=0.8, ls=":")
    ax.plot([shipped["false alarms / 100"]], [shipped["F1"]], "r*", ms=12, label="shipped operating point (F1)")
    ax.set_xlabel("false alarms per 100 series-periods")
    ax.set_ylabel("rate")
    ax.set_title(f"Default detector on the backtest: alpha scaled ×{points[0][0]:g} … ×{points[-1][0]:g}")
    ax.set_xscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    image.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(image)
    plt.close(fig)


YEARLY_ALPHAS = (3e-4, 5e-4, 7e-4, 1e-3, 1.5e-3, 2e-3, 3e-3, 5e-3)


def yearly_variants(cases: list[Case]) -> str:
    """The yearly detector candidates, each at its best alpha with <= FA_LIMIT false alarms/100 (markdown).

    Every candidate is run at every alpha of YEARLY_ALPHAS on the yearly cases;
    a row gives the alpha with the best F1 within the limit. Run it on the
    tuning seed only (`--seed 1 --variants`): that is where the yearly default
    (`models.detect.select.yearly_detector`) was chosen.
    """
    from models.detect import LogLinearDetector
    from models.detect.agree import AgreementDetector

    yearly = [c for c in cases if _is_yearly(c)]

    def single(w):
        return lambda a: LogLinearDetector(window=w, alpha=a, min_history=3)

    def agree(w1, w2):
        return lambda a: AgreementDetector(LogLinearDetector(window=w1, alpha=a, min_history=3),
                                           LogLinearDetector(window=w2, alpha=a, min_history=3))

    candidates = [("log-linear, 8-year window (the previous default)", single(8)),
                  ("log-linear, 6-year window", single(6)), ("log-linear, 10-year window", single(10)),
                  ("agreement of the 6- and 8-year windows", agree(6, 8)),
                  ("agreement of the 6- and 10-year windows", agree(6, 10)),
                  ("agreement of the 6- and 12-year windows", agree(6, 12))]
    lines = [f"| yearly candidate | best alpha at <= {FA_LIMIT} FA/100 | detection rate | false alarms / 100 | "
             "precision | F1 |", "|---|---:|---:|---:|---:|---:|"]
    for label, make in candidates:
        best = None
        for a in YEARLY_ALPHAS:
            det = ProductDetector(make(a))
            total = Score(delays=[])
            for c in yearly:
                total.add(c, det.alarms(c.values, c.real.periods))
            r = total.row()
            if r["false alarms / 100"] <= FA_LIMIT and (best is None or r["F1"] > best[1]["F1"]):
                best = (a, r)
        if best is None:
            lines.append(f"| {label} | none within the limit | | | | |")
            continue
        a, r = best
        lines.append(f"| {label} | {a:g} | {r['detection rate']:.3f} | {r['false alarms / 100']:.2f} | "
                     f"{r['precision']:.3f} | {r['F1']:.3f} |")
    return "\n".join(lines)


MONTHLY_ALPHAS = (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.03, 0.05)


def monthly_variants(cases: list[Case]) -> str:
    """The sub-yearly detector candidates against the default's sub-yearly part (markdown).

    Each candidate has a grid of settings (an alpha, or for the default the
    factor on its alphas). A row gives, on the sub-yearly cases, the setting
    with the best F1 at <= FA_LIMIT false alarms/100 and, next to it, the
    same choice cross-validated by real series (choose on four folds, score
    on the fifth, pool the held-out folds), since 8 real series carry all the
    monthly false alarms. Run it on the tuning seed (`--seed 1`).
    """
    from models.detect.agree import AgreementDetector
    from models.detect.holt import RobustHoltDetector
    from models.detect.select import AutoDetector
    from models.detect.select import default_detector as make

    sub = [c for c in cases if not _is_yearly(c)]
    if not sub:
        return "no sub-yearly cases"

    def holt(**kw):
        return lambda a: RobustHoltDetector(alpha=a, **kw)

    candidates = [
        ("default (Farrington seasonal, robust short, GLR sustained drops), alpha ×", SCALES,
         lambda s: make(subyearly_scale=s)),
        ("robust Holt on log counts, level only, negative binomial tails (`holt.py` defaults)", MONTHLY_ALPHAS,
         holt()),
        ("robust Holt, negative binomial tails, level and trend 0.05", MONTHLY_ALPHAS, holt(trend=0.05)),
        ("robust Holt, Student-t tails on log counts", MONTHLY_ALPHAS, holt(tails="t")),
        ("robust Holt, Student-t tails, at least 5 documents from the forecast", MONTHLY_ALPHAS,
         holt(tails="t", min_excess=5.0)),
        ("the default with the robust Holt (NB tails) in place of Farrington and the robust baseline "
         "(GLR sustained drops kept)", MONTHLY_ALPHAS,
         lambda a: AutoDetector(seasonal=RobustHoltDetector(alpha=a), short=RobustHoltDetector(alpha=a))),
        ("agreement of the robust Holt (NB tails) and the default at × 1", MONTHLY_ALPHAS,
         lambda a: AgreementDetector(RobustHoltDetector(alpha=a), make())),
    ]
    folds = [fold_of(c) for c in sub]
    every = list(range(len(sub)))

    def scored(alarms, idx):
        total = Score(delays=[])
        for i in idx:
            total.add(sub[i], alarms[i])
        return total.row()

    def choose(by_setting, idx):
        rows = {k: scored(a, idx) for k, a in by_setting.items()}
        ok = [k for k, r in rows.items() if r["false alarms / 100"] <= FA_LIMIT]
        if not ok:
            return min(rows, key=lambda k: rows[k]["false alarms / 100"])
        return max(ok, key=lambda k: (rows[k]["F1"], -rows[k]["false alarms / 100"]))

    lines = [f"| sub-yearly candidate | best setting at <= {FA_LIMIT} FA/100 | detection rate | false alarms / 100 | "
             f"precision | F1 | {FOLDS}-fold CV by real series: detection | FA/100 | F1 | s / series |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label, grid, build in candidates:
        t0 = time.time()
        by_setting = {}
        for g in grid:
            det = ProductDetector(build(g))
            by_setting[g] = [det.alarms(c.values, c.real.periods) for c in sub]
        per_series = (time.time() - t0) / (len(grid) * len(sub))
        g = choose(by_setting, every)
        r = scored(by_setting[g], every)
        held = Score(delays=[])
        for f in sorted(set(folds)):
            train = [i for i in every if folds[i] != f]
            gf = choose(by_setting, train) if train else g
            for i in every:
                if folds[i] == f:
                    held.add(sub[i], by_setting[gf][i])
        h = held.row()
        lines.append(f"| {label} | {g:g} | {r['detection rate']:.3f} | {r['false alarms / 100']:.2f} | "
                     f"{r['precision']:.3f} | {r['F1']:.3f} | {h['detection rate']:.3f} | "
                     f"{h['false alarms / 100']:.2f} | {h['F1']:.3f} | {per_series:.3f} |")
        print(f"  {label}: {time.time() - t0:.1f} s", file=sys.stderr)
    return "\n".join(lines)


def short_yearly_history(series: list[RealSeries]) -> str:
    """What judging yearly series from 3 years of history (not 5) costs: alarm rates by history length.

    The backtest scores only the periods after the first 30 % of a series, so it
    cannot price verdicts on the 4th and 5th year; this runs the yearly detector
    on the real yearly series (no injected events: every alarm is a real
    deviation, counted as false here as in the backtest) and reports the rate of
    alarms per 100 series-periods at each history length.
    """
    from models.detect.select import yearly_detector

    det = yearly_detector()  # the shipped yearly detector at factor 1 (both windows judge from 3 years)
    by_len: dict[str, list[int]] = {"3": [0, 0], "4": [0, 0], "5-7": [0, 0], "8+": [0, 0]}
    for s in series:
        if len(s.periods[0]) != 4:
            continue
        pos = {p: i for i, p in enumerate(s.periods)}
        alarms = {pos[d.period] for d in det.detect(pd.Series(s.values, index=s.periods, name=s.key)) if d.alarm}
        for t in range(3, len(s.values)):
            k = "3" if t == 3 else "4" if t == 4 else "5-7" if t < 8 else "8+"
            by_len[k][0] += t in alarms
            by_len[k][1] += 1
    lines = ["| years of history | periods | alarms / 100 periods |", "|---|---:|---:|"]
    for k, (a, n) in by_len.items():
        lines.append(f"| {k} | {n} | {100.0 * a / max(n, 1):.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--copies", type=int, default=2, help="injected copies per real series")
    ap.add_argument("--per-dataset", type=int, default=150, help="at most this many real series per dataset")
    ap.add_argument("--quick", action="store_true", help="at most 40 series per dataset, default detector and baselines")
    ap.add_argument("--only", default="", help="comma-separated substrings of detector names to run")
    ap.add_argument("--cv", action="store_true", help="leave-one-dataset-out check of the yearly settings only")
    ap.add_argument("--curve", action="store_true",
                    help="detection rate vs false alarms at several alpha scales, cross-validated operating point")
    ap.add_argument("--short-yearly", action="store_true", help="alarm rates of yearly verdicts by history length")
    ap.add_argument("--variants", action="store_true", help="the default against its candidate variants")
    ap.add_argument("--yearly-variants", action="store_true",
                    help="only the yearly candidates of --variants (each at its best alpha within the limit)")
    ap.add_argument("--monthly-variants", action="store_true",
                    help="the sub-yearly candidates against the default's sub-yearly part, with their CV")
    ap.add_argument("--image", type=Path, default=ROOT / "docs" / "detector_curve.png",
                    help="where --curve saves its PNG")
    args = ap.parse_args(argv)
    if not args.data.exists():
        print(f"no data at {args.data}: nothing to backtest (the benchmark reads the shared data folder)")
        return 0
    series = load_all(args.data)
    if not series:
        print(f"no usable series under {args.data}")
        return 0
    series = balanced(series, 40 if args.quick else args.per_dataset, args.seed)
    cases = make_cases(series, args.seed, args.copies)
    counts = pd.Series([s.dataset for s in series]).value_counts().to_dict()
    print(f"{len(series)} real series ({counts}), {len(cases)} cases, seed {args.seed}\n")
    if args.cv:
        print(cross_validate_yearly(cases))
        return 0
    if args.curve:
        print(operating_curve(cases, args.image))
        return 0
    if args.short_yearly:
        print(short_yearly_history(series))
        return 0
    if args.yearly_variants:
        print(yearly_variants(cases))
        return 0
    if args.monthly_variants:
        print(monthly_variants(cases))
        return 0
    if args.variants:
        from models.detect.select import AutoDetector

        variants = [ProductDetector(default_detector(), "default"),
                    ProductDetector(AutoDetector(sustained_any_level=True), "sustained drops at any level"),
                    ProductDetector(AutoDetector(sustained=GLRShiftDetector(
                        max_run=6, window=12, alpha=0.002, min_history=12, guard_on_run=True, directions=("drop",)),
                        sustained_any_level=True), "sustained drops at any level, GLR alpha 0.002")]
        print(yearly_variants(cases) + "\n")
        results = evaluate(variants, cases)
        print(markdown(results))
        for subset in ("event: drop", "event: spike", "event: shift"):
            print(f"\n{subset}\n")
            print(markdown(results, subset))
        return 0
    product = [ProductDetector(default_detector(), f"default: {default_detector().name}")]
    if not args.quick:
        from models.detect import FarringtonFlexibleReference

        # the R-exact Farrington at R's b = 5 years (the contract suite runs it at b = 2)
        product += [ProductDetector(d) for d in all_detectors() if d.name != default_detector().name
                    and not isinstance(d, FarringtonFlexibleReference)] + [ProductDetector(FarringtonFlexibleReference())]
    detectors = product + [ElastAlertSpike(), EARSC2Baseline(), Poisson999()]
    if args.only:
        keys = args.only.split(",")
        detectors = [d for d in detectors if any(k in d.name for k in keys)]
    results = evaluate(detectors, cases)
    print(markdown(results))
    subsets = sorted({k for by in results.values() for k in by if k != "all"})
    for subset in subsets:
        print(f"\n{subset}\n")
        print(markdown(results, subset))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
