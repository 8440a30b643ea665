"""Bulk history: records/s and peak memory of `ews ingest --patentsview DIR` on N generated patents.

For every size the seven PatentsView tables are generated in the published layout (tab-separated, text
quoted, each zipped as `NAME.tsv.zip`, the real g_ column names): real abstracts and CPC codes from
`uspto_random10k_dev.jsonl.gz` of the shared data folder where it lies (read, never copied; synthetic
text without it), synthetic applicants drawn from a Zipf distribution over 20,000 names, one to three
inventors, countries through g_location_disambiguated, filing dates 2005–2023; the side tables are
written in a shuffled order (not g_patent's). Then, each in a fresh process on one store,
`ews ingest --patentsview DIR --cpc-filter none` three times: the first load, the same again (nothing new:
the tables' digest matches the first load's, nothing is read) and the same with `--reload` (read and joined
again to compare every patent).
Peak memory is the child process's maximum resident set (wait4).

    .venv/bin/python bench/ingest_bulk.py [--sizes 20000 100000] [--data ../shared/data] [--work DIR]
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# the published layout of the g_ tables, as the tests write them
from tests.crawlers.patentsview_tables_fixtures import COLUMNS, cell  # noqa: E402

COUNTRIES = ["US"] * 40 + ["KR"] * 15 + ["JP"] * 15 + ["CN"] * 15 + ["DE"] * 6 + ["FR"] * 4 + ["TW"] * 5
SURNAMES = ["Kim", "Lee", "Park", "Choi", "Smith", "Wang", "Zhang", "Tanaka", "Sato", "Muller", "Garcia", "Nguyen"]
_CPC = re.compile(r"^[A-HY]\d{2}[A-Z]\d{1,4}/\d{1,6}$")


def _line(*values) -> bytes:
    return ("\t".join(cell(v) for v in values) + "\n").encode("utf-8")


def _real(data: Path) -> list[tuple[str, list[str]]]:
    path = data / "uspto_random10k_dev.jsonl.gz"
    if not path.exists():
        return [(f"A battery electrode with a silicon anode, variant {i}.", ["H01M4/134"]) for i in range(100)]
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            cpc = [c.replace(" ", "") for c in r.get("cpc") or [] if _CPC.match(c.replace(" ", ""))]
            if r.get("abstract") and cpc:
                out.append((" ".join(r["abstract"].split()), cpc[:4]))
    return out


def generate(n: int, data: Path, out: Path, seed: int = 18) -> None:
    rng = random.Random(seed)
    real = _real(data)
    out.mkdir(parents=True, exist_ok=True)
    weights = [1 / (k + 1) for k in range(20_000)]
    companies = [(f"Technology Company {k} Co., Ltd.", rng.choice(COUNTRIES)) for k in range(20_000)]
    locations = sorted({c for _, c in companies} | set(COUNTRIES))
    order = list(range(n))
    rng.shuffle(order)  # the side tables in another order than g_patent

    def member(table: str, header: list[str]):
        zf = zipfile.ZipFile(out / f"{table}.tsv.zip", "w", compression=zipfile.ZIP_DEFLATED)
        f = zf.open(f"{table}.tsv", "w", force_zip64=True)
        f.write(("\t".join(header) + "\n").encode())
        return zf, f

    def pid(i: int) -> str:
        return str(10_000_000 + i)

    files = {t: member(t, cols) for t, cols in COLUMNS.items()}
    w = {t: f for t, (_, f) in files.items()}
    for c in locations:
        w["g_location_disambiguated"].write(_line(f"loc-{c}", "City", None, c, 0, 0, None, None, None))
    filed: list[dt.date] = []  # the generator's own list (not the measured process)
    for i in range(n):
        day = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(19 * 365))
        grant = day + dt.timedelta(days=400 + rng.randrange(800))
        text, _ = real[i % len(real)]
        w["g_patent"].write(_line(pid(i), "utility", grant.isoformat(), " ".join(text.split()[:8]).rstrip(".,;"), "B2",
                                  10 + i % 20, 0, f"ipg{grant:%y%m%d}.xml"))
        filed.append(day)
    for i in order:
        p = pid(i)
        text, cpc = real[i % len(real)]
        w["g_patent_abstract"].write(_line(p, text))
        w["g_application"].write(_line(f"{16 + i % 3}/{i:06d}", p, "16", filed[i].isoformat(), "16", 0))
        for s, c in enumerate(cpc):
            w["g_cpc_current"].write(_line(p, s, c[0], c[:3], c[:4], c, "inventional" if s == 0 else "additional"))
        k = rng.choices(range(20_000), weights)[0]
        name, country = companies[k]
        w["g_assignee_disambiguated"].write(_line(p, 0, f"a-{k}", None, None, name, "3", f"loc-{country}"))
        for s in range(1 + i % 3):
            w["g_inventor_disambiguated"].write(_line(p, s, f"i-{i}-{s}", "Ji-ho", f"{rng.choice(SURNAMES)}{i % 997}",
                                                      "M", f"loc-{rng.choice(COUNTRIES)}"))
    for zf, f in files.values():
        f.close()
        zf.close()


def run_ingest(directory: Path, home: Path, *more: str) -> dict:
    env = {**os.environ, "EWS_HOME": str(home)}
    start = time.perf_counter()
    proc = subprocess.Popen([str(ROOT / ".venv/bin/ews"), "ingest", "--patentsview", str(directory), "--cpc-filter", "none",
                             *more], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"ews ingest failed ({proc.returncode}): {stderr[-2000:]}")
    out = {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024}
    skipped = re.search(r"\(([\d,]+) documents, none changed since\): nothing to load", stderr)
    if skipped:  # the very tables loaded before: not read again
        return {**out, "new": 0, "unchanged": int(skipped[1].replace(",", ""))}
    m = re.search(r"([\d,]+) new, ([\d,]+) updated, ([\d,]+) unchanged", stderr)
    return {**out, "new": int(m[1].replace(",", "")), "unchanged": int(m[3].replace(",", ""))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    # ../shared/data beside the clone (a work tree one level deeper looks one further up)
    data = next((d for d in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data") if d.is_dir()),
                ROOT.parent / "shared" / "data")
    ap.add_argument("--data", type=Path, default=data)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ews-bulk-bench-"))
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; data {'real abstracts' if (args.data / 'uspto_random10k_dev.jsonl.gz').exists() else 'synthetic text'}")
    print("| patents | zipped MB | run | seconds | patents/s | peak MB | new | unchanged |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        directory, home = work / f"pv-{n}", work / f"home-{n}"
        generate(n, args.data, directory)
        size = sum(f.stat().st_size for f in directory.iterdir()) / 1024 / 1024
        for run, more in (("first", ()), ("second", ()), ("second --reload", ("--reload",))):
            r = run_ingest(directory, home, *more)
            print(f"| {n:,} | {size:.1f} | {run} | {r['seconds']:.1f} | {n / r['seconds']:,.0f} | {r['peak_mb']:.0f} | "
                  f"{r['new']:,} | {r['unchanged']:,} |", flush=True)
    print(f"(work directory: {work}; delete it when done)", file=sys.stderr)


if __name__ == "__main__":
    main()
