"""Backtest of the risk score on real yearly patent counts by inventor country: did it rise before known jumps?

    .venv/bin/python bench/risk.py [--data ../shared/data]

Series (read from the shared data folder, never copied): OECD inventor-country
patent families for batteries (1990-2017) and energy storage (1995-2017);
IEA patents per country for hydrogen and fuel cells, nuclear and e-mobility
(2000-2018). Each is mapped to the taxonomy technology it is closest to and
turned into the store's series keys (`tech:T|country:CCC`, ISO3 codes; the home
country is KOR), so the score is computed by the same `analysis.risk.risk_scores`
the `ews risk` command runs, with only the count components (no alerts,
documents or policy series exist for those years) plus the plan's gap prior.

For every year Y the score is computed as of Y (nothing later is seen).
A *jump* is a year where a country's filings (at least 100 the year before)
grow by at least 50 % and by at least 50 filings: the README's real surges
(Korean batteries 2009-2010, Korean energy storage 2009-2010) are among them.
For each jump we print whether the technology's score rose in the two years
before it (score(Y-1) > score(Y-3)), and the same share over all years as the
base rate: a score that rises before jumps more often than at random carries
warning. The full yearly path of the Korean battery score is printed too.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.risk import load_weights, risk_scores  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
HOME = "KOR"
JUMP_GROWTH, JUMP_MIN_BEFORE, JUMP_MIN_ADD = 1.5, 100, 50


def load(data: Path) -> dict[str, pd.DataFrame]:
    """Per technology: yearly counts per country (columns country, year, count)."""
    base = data / "patent_count_timeseries"
    out = {}
    oecd = [("battery.li_ion", "oecd_pat_dev_envtech_batteries_pv_wind_1990_2020.csv", "ENE_ENA_STO_BA", 1990, 2017),
            ("battery.module_system", "oecd_pat_dev_energy_storage.csv", None, 1995, 2017)]
    for tech, name, dom, first, last in oecd:
        f = base / name
        if not f.exists():
            continue
        d = pd.read_csv(f, encoding="utf-8-sig")
        if dom:
            d = d[d["DOM"] == dom]
        d = d[(d["YEA"] >= first) & (d["YEA"] <= last)]
        out[tech] = d.rename(columns={"COU": "country", "YEA": "year", "Value": "count"})[["country", "year", "count"]]
    f = base / "iea_energy_patents_by_country_tech_2000_2021.csv"
    if f.exists():
        d = pd.read_csv(f)
        d = d[(d["indicator"] == "Detail") & d["country"].notna() & (d["year"] <= 2018)]
        for tech, sector in (("hydrogen.fuel_cell", "Hydrogen and fuel cells"), ("nuclear.smr", "Nuclear"),
                             ("mobility.ev_fcev", "e-Mobility")):
            s = d[d["techSector"] == sector]
            out[tech] = s.drop(columns=["country"]).rename(columns={"countryISO": "country", "value": "count"})[
                ["country", "year", "count"]]
    for tech in out:
        t = out[tech].groupby(["country", "year"], as_index=False)["count"].sum()
        t["count"] = t["count"].round().astype(int)
        out[tech] = t
    return out


def as_counts(tech: str, table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"series": "tech:" + tech + "|country:" + table["country"],
                         "period": table["year"].astype(str), "count": table["count"]})


def jumps(tech: str, table: pd.DataFrame) -> list[tuple[str, str, int, int, int]]:
    out = []
    for country, rows in table.groupby("country"):
        by = dict(zip(rows["year"], rows["count"]))
        for y in sorted(by):
            prev = by.get(y - 1)
            if prev and prev >= JUMP_MIN_BEFORE and by[y] >= JUMP_GROWTH * prev and by[y] - prev >= JUMP_MIN_ADD:
                out.append((tech, country, int(y), int(prev), int(by[y])))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)
    tables = load(args.data)
    if not tables:
        print(f"no real series under {args.data}: nothing to backtest", file=sys.stderr)
        return 1
    cfg = {**load_weights(), "home": HOME}
    paths: dict[str, dict[int, object]] = {}
    for tech, table in tables.items():
        counts = as_counts(tech, table)
        years = sorted(table["year"].unique())
        paths[tech] = {int(y): risk_scores(counts, technologies=[tech], as_of=str(y), config=cfg)[0]
                       for y in years[5:]}
    print("Korean battery (OECD, inventor country KOR) risk score as of each year, with its count components:\n")
    print("| year | KOR filings | score | foreign_momentum | korea_share_low | korea_share_falling | KOR share |")
    print("|---|---|---|---|---|---|---|")
    bat = tables.get("battery.li_ion")
    for y, r in sorted(paths.get("battery.li_ion", {}).items()):
        if 2000 <= y <= 2014:
            kor = int(bat[(bat["country"] == HOME) & (bat["year"] == y)]["count"].sum())
            c = r.components
            print(f"| {y} | {kor} | {r.score:.3f} | {c['foreign_momentum']:.3f} | {c['korea_share_low']:.3f} "
                  f"| {c['korea_share_falling']:.3f} | {r.raw['home_share']:.3f} |")
    events = [j for tech, table in tables.items() for j in jumps(tech, table)]
    rose = lambda tech, y: (y - 1 in paths[tech] and y - 3 in paths[tech]  # noqa: E731
                            and paths[tech][y - 1].score > paths[tech][y - 3].score)
    scored = [(e, rose(e[0], e[2])) for e in events if e[2] - 3 in paths[e[0]]]
    base = [rose(t, y) for t in paths for y in paths[t] if y - 3 in paths[t]]
    print(f"\nJumps (growth to >= {JUMP_GROWTH:g}x on >= {JUMP_MIN_BEFORE} filings, +{JUMP_MIN_ADD} or more): "
          f"{len(events)}, {len(scored)} with a score path 3 years before\n")
    print("| technology | country | year | filings before → after | score Y-3 | score Y-1 | rose before |")
    print("|---|---|---|---|---|---|---|")
    for (tech, country, y, a, b), r in sorted(scored, key=lambda x: (x[0][0], x[0][2], x[0][1])):
        p = paths[tech]
        print(f"| {tech} | {country} | {y} | {a} → {b} | {p[y - 3].score:.3f} | {p[y - 1].score:.3f} "
              f"| {'yes' if r else 'no'} |")
    hit = sum(r for _, r in scored) / len(scored) if scored else float("nan")
    print(f"\nscore rose in the 2 years before a jump: {hit:.2f} of {len(scored)} jumps; "
          f"base rate (any year): {sum(base) / len(base):.2f} of {len(base)} technology-years")
    kor = [(e, r) for e, r in scored if e[1] == HOME]
    if kor:
        print(f"Korean jumps: rose before {sum(r for _, r in kor)} of {len(kor)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
