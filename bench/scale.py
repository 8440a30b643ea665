"""Scale: time and peak memory of ingest and the monitoring stages on N patent records, and of a second run.

Patents carry real abstracts and CPC codes (`uspto_random10k_dev.jsonl.gz` of the shared data folder, read
where it lies, never copied), synthetic applicants drawn from a Zipf distribution over 20,000 names with
a country each, one to three inventors from 200,000 names, and filing dates 2005–2023; one record in ten
is a policy document (real AGORA summaries and Korean policy passages). For every size the records are
written to a gzipped JSON Lines file, then in a fresh process: `ews ingest`, classify, count, detect +
alert (the pipeline's own stage functions, one store), then the same again with nothing new.
Peak memory is the process's resident set, polled every 50 ms during each stage; the CPU seconds (the
process's, all threads) are printed beside the wall-clock ones, since the machine may be shared.
Detection judges the series with at least `EWS_DETECT_MIN_DOCUMENTS` documents ("judged series").

    .venv/bin/python bench/scale.py [--data ../shared/data] [--sizes 100000 300000] [--work DIR]
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COUNTRIES = ["US"] * 40 + ["KR"] * 15 + ["JP"] * 15 + ["CN"] * 15 + ["DE"] * 6 + ["FR"] * 4 + ["TW"] * 5
POLICY_PLACES = ["KR", "US", "EU", "JP", "CN", "GB"]
SURNAMES = ["KIM", "LEE", "PARK", "CHOI", "SMITH", "WANG", "ZHANG", "TANAKA", "SATO", "MULLER", "GARCIA", "NGUYEN",
            "JOHNSON", "BROWN", "LI", "CHEN", "SUZUKI", "SCHMIDT", "JUNG", "KANG"]

# Given names spelt only with letters the inventor name key keeps as they are (it drops digits and folds
# spellings such as k/g, l/r, oo/u), so that the 200,000 generated inventors are 200,000 distinct keys.
_CONSONANTS, _VOWELS = "BDFGHJMNRVZ", "AEIOU"
_SYLLABLES = [c + v for c in _CONSONANTS for v in _VOWELS]


def inventor_name(k: int) -> str:
    given, rest = "", k // len(SURNAMES)
    for _ in range(3):
        rest, i = divmod(rest, len(_SYLLABLES))
        given += _SYLLABLES[i]
    return f"{SURNAMES[k % len(SURNAMES)]} {given}"


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Peak:
    """Peak resident memory of this process while the block runs."""

    def __enter__(self):
        self.peak, self._stop = _rss_mb(), threading.Event()
        self._t = threading.Thread(target=self._poll, daemon=True)
        self._t.start()
        self.start, self.cpu_start = time.perf_counter(), time.process_time()
        return self

    def _poll(self):
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        self.cpu = time.process_time() - self.cpu_start
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, _rss_mb())


def _valid_cpc(symbol: str) -> bool:
    from ews.kernel.schema import normalize_cpc

    try:
        normalize_cpc(symbol)
    except ValueError:
        return False
    return True


def _sources(data: Path) -> tuple[list[dict], list[str]]:
    with gzip.open(data / "uspto_random10k_dev.jsonl.gz", "rt", encoding="utf-8") as f:
        patents = [r for r in map(json.loads, f) if r.get("abstract") and r.get("cpc")]
    for r in patents:  # a few source groups ('B82B/00') are not symbols the document schema accepts
        r["cpc"] = [c for c in r["cpc"] if _valid_cpc(c)]
    patents = [r for r in patents if r["cpc"]]
    policy = []
    with open(next((data / "policy_docs").glob("*.csv")), encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = (row.get("Long summary") or row.get("Short summary") or "").strip()
            if text:
                policy.append((row.get("Official name") or "policy")[:200] + "\n" + text)
    with open(data / "policy_ko_dev.jsonl", encoding="utf-8") as f:
        policy += [json.loads(line).get("text", "") for line in f if line.strip()]
    return patents, [p for p in policy if p.strip()]


def generate(n: int, data: Path, out: Path, seed: int = 18) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    patents, policy = _sources(data)
    applicants = [(f"APPLICANT {i:05d} CO LTD", COUNTRIES[i % len(COUNTRIES)]) for i in range(20_000)]
    zipf = np.minimum(rng.zipf(1.3, size=n) - 1, len(applicants) - 1)
    start, days = dt.date(2005, 1, 1), (dt.date(2023, 12, 31) - dt.date(2005, 1, 1)).days
    filed = rng.integers(0, days, size=n)
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=3) as f:
        for i in range(n):
            day = start + dt.timedelta(days=int(filed[i]))
            if i % 10 == 9:
                text = policy[int(rng.integers(len(policy)))]
                title, _, body = text.partition("\n")
                rec = {"source": "bench.policy", "source_key": f"P{i}", "kind": "policy", "title": title[:200],
                       "text": body or title, "lang": "ko" if any("가" <= c <= "힣" for c in text[:200]) else "en",
                       "published": day.isoformat(), "jurisdiction": POLICY_PLACES[i % len(POLICY_PLACES)]}
            else:
                p = patents[int(rng.integers(len(patents)))]
                name, country = applicants[int(zipf[i])]
                inventors = [{"name": inventor_name(int(k)), "country": country}
                             for k in rng.integers(0, 200_000, size=int(rng.integers(1, 4)))]
                words = p["abstract"].split()
                rec = {"source": "bench.uspto", "source_key": f"US{i:08d}", "kind": "patent",
                       "title": " ".join(words[:10]), "text": p["abstract"], "lang": "en",
                       "published": (day + dt.timedelta(days=540)).isoformat(), "jurisdiction": "US",
                       "application_date": day.isoformat(), "publication_date": (day + dt.timedelta(days=540)).isoformat(),
                       "applicants": [{"name": name, "country": country}], "inventors": inventors, "cpc": p["cpc"][:6]}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def run_one(path: Path, home: Path) -> dict:
    """Both runs on one size, in this process (called in a fresh process per size)."""
    os.environ["EWS_HOME"] = str(home)
    from alerts.embedded import EmbeddedAlertStore
    from ews.app import pipeline
    from ews.app.cli import app
    from ews.kernel.config import load_settings
    from ews.kernel.store import Store

    settings = load_settings()
    out: dict = {}
    for run in ("first", "second"):
        stages = {}
        with Peak() as p:
            code = app(["ingest", "--input", str(path)], standalone_mode=False)
            if code:
                raise SystemExit(f"ews ingest failed with exit code {code}")
        stages["ingest"] = p
        with Store(home) as store, EmbeddedAlertStore(store) as alerts:
            with Peak() as p:
                tagged = pipeline.classify(store, settings)
            stages["classify"] = p
            with Peak() as p:
                rows = pipeline.count(store)
            stages["count"] = p
            with Peak() as p:
                res = pipeline.detect_and_alert(store, alerts, min_documents=settings.detect_min_documents)
            stages["detect+alert"] = p
            stats = store.stats()
            every, _ = store.series_to_detect(store.data_cutoff(), full=True)
            judged = {"series": len(every),
                      "judged": len(pipeline.judged_series(every, settings.detect_min_documents))}
        out[run] = {k: (round(v.seconds, 1), round(v.peak), round(v.cpu, 1)) for k, v in stages.items()}
        out[run]["_facts"] = {"tagged": tagged, "count_rows": rows, "alerts": res, "store": stats, **judged}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # ../shared/data beside the clone (a work tree one level deeper looks one further up)
    default = next((d for d in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data")
                    if d.is_dir()), ROOT.parent / "shared" / "data")
    ap.add_argument("--data", type=Path, default=default)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000])
    ap.add_argument("--work", type=Path, default=None, help="where the generated files and stores go (a temporary directory)")
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(Path(args.one[0]), Path(args.one[1]))))
        return
    if not (args.data / "uspto_random10k_dev.jsonl.gz").exists():
        sys.exit(f"{args.data}: no uspto_random10k_dev.jsonl.gz (pass --data the shared data folder)")
    work = args.work or Path(tempfile.mkdtemp(prefix="ews-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"# bench/scale.py {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}, work dir {work}")
    print("| records | run | ingest s (MB) | classify s (MB) | count s (MB) | detect+alert s (MB) | total s | total CPU s "
          "| peak MB | count rows | judged series | alerts new |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        path, home = work / f"docs-{n}.jsonl.gz", work / f"home-{n}"
        if home.exists():
            shutil.rmtree(home)  # a fresh store: the first run starts from nothing
        t0 = time.perf_counter()
        if not path.exists():  # the file of an earlier run on the same work dir is the same (fixed seed)
            generate(n, args.data, path)
        gen = time.perf_counter() - t0
        r = subprocess.run([sys.executable, __file__, "--one", str(path), str(home)], capture_output=True, text=True,
                           cwd=ROOT)
        if r.returncode:
            print(f"| {n:,} | failed | {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode} |")
            continue
        res = json.loads(r.stdout.strip().splitlines()[-1])
        for run in ("first", "second"):
            st = res[run]
            facts = st.pop("_facts")
            if run == "first":
                first_facts = facts
            total = sum(s for s, _, _ in st.values())
            cpu = sum(c for _, _, c in st.values())
            peak = max(m for _, m, _ in st.values())
            cells = " | ".join(f"{s:.1f} ({m})" for s, m, _ in st.values())
            print(f"| {n:,} | {run} | {cells} | {total:.1f} | {cpu:.1f} | {peak} | {facts['count_rows']:,} | "
                  f"{facts['judged']:,} of {facts['series']:,} | {facts['alerts'].get('inserted', 0)} |", flush=True)
            print(f"<!-- {n:,} {run}: CPU s per stage "
                  + ", ".join(f"{k} {c:.1f}" for k, (_, _, c) in st.items()) + " -->", flush=True)
        print(f"<!-- {n:,}: generated in {gen:.0f} s; store {first_facts['store']} -->",
              flush=True)


if __name__ == "__main__":
    main()
