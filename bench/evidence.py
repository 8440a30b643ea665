"""Evidence behind alerts: time to list the counted documents of A alerts over N documents.

The documents behind every alert come from one pass over the documents (each
document's series keys computed once, looked up in the set of alerted
(series, period) pairs), so the time grows with N and hardly with A. The
table prints, for each N, the time for A = 1, 10, 100, 1000 alerts, and the
per-document cost.

    .venv/bin/python bench/evidence.py [--docs 5000 20000] [--alerts 1 10 100 1000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.build import counted_documents  # noqa: E402
from ews.kernel.schema import Document, Party, PatentInfo, TaggedDocument, Tagging, TechnologyScore  # noqa: E402
from models.aggregate import build_counts  # noqa: E402

TECHS = ["semi.memory", "battery.li_ion", "hydrogen.fuel_cell_power", "quantum.computing", "ai.ml", "comm.6g"]
APPLICANTS = [("삼성전자 주식회사", "KR"), ("SK hynix Inc.", "KR"), ("Micron Technology, Inc.", "US"),
              ("LG Energy Solution, Ltd.", "KR"), ("Toyota Motor Corp", "JP"), ("Huawei Technologies Co., Ltd.", "CN")]


def synthetic(n: int) -> tuple[list[Document], list[TaggedDocument]]:
    now = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
    docs, tags = [], []
    for i in range(n):
        filed = dt.date(2019 + i % 5, 1 + i % 12, 1 + i % 28)
        d = Document.build(source="bench", source_key=str(i), kind="patent", title=f"patent {i}", fetched_at=now,
                           jurisdiction=("KR", "US", "JP")[i % 3],
                           patent=PatentInfo(application_date=None if i % 7 == 0 else filed,
                                             publication_date=filed,
                                             applicants=[Party(name=n_, country=c) for n_, c in
                                                         (APPLICANTS[i % 6], APPLICANTS[(i * 5) % 6])]))
        techs = {TECHS[i % 6], TECHS[(i * 3) % 6]}
        docs.append(d)
        tags.append(TaggedDocument(doc_id=d.id, model_version="b", taxonomy_version="b",
                                   tagging=Tagging(id=d.id, fields=sorted({t.split(".")[0] for t in techs}),
                                                   technologies=[TechnologyScore(id=t, score=0.8) for t in techs])))
    return docs, tags


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, nargs="+", default=[5000, 20000])
    ap.add_argument("--alerts", type=int, nargs="+", default=[1, 10, 100, 1000])
    args = ap.parse_args()
    print("| documents | alerts | seconds | µs per document |")
    print("|---:|---:|---:|---:|")
    for n in args.docs:
        docs, tags = synthetic(n)
        counts = build_counts(docs, tags)
        pairs = [(s, p) for s, p, c in counts.itertuples(index=False) if c]
        for a in args.alerts:
            wanted = pairs[:: max(1, len(pairs) // a)][:a]
            t0 = time.perf_counter()
            counted_documents(docs, tags, wanted)
            secs = time.perf_counter() - t0
            print(f"| {n} | {len(wanted)} | {secs:.2f} | {secs / n * 1e6:.0f} |", flush=True)


if __name__ == "__main__":
    main()
