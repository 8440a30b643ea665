"""Bulk indexing throughput: documents/s through the project's store versus raw `helpers.bulk`.

Both paths index the same synthetic patent documents into fresh indices made
from the same template, in the same run, alternating, several rounds; the
project path includes turning `Document` models into index actions, per-item
bookkeeping and retries. Target: project ≥ 0.8 × raw.

    .venv/bin/python bench/index.py [--docs 5000] [--rounds 3] [--es-url URL | --osmem]

Without --es-url a real single-node Elasticsearch is started on 127.0.0.1 by
`tools/es_node.py` (as `make elasticsearch` does, in a temporary state
directory, 512 MB heap) and stopped at the end. --osmem uses osmem-server
instead, with the test-only media-type adaptation of the fallback tests.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from elasticsearch import Elasticsearch, helpers

from alerts.elastic import ElasticAlertStore
from ews.kernel.schema import Document, Party, PatentInfo, TaggedDocument, Tagging, TechnologyScore

WORDS_KO = "반도체 메모리 셀 트랜지스터 배터리 전극 수소 연료전지 양자 컴퓨팅 인공지능 학습 통신 안테나 로봇 제어".split()
WORDS_EN = "semiconductor memory cell transistor battery electrode hydrogen fuel cell quantum computing learning antenna robot control".split()
TECHS = ["semi.memory", "battery.li_ion", "hydrogen.fuel_cell_power", "quantum.computing", "ai.ml", "comm.6g"]


def synthetic(n: int) -> tuple[list[Document], dict[str, TaggedDocument]]:
    now = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
    docs, tagged = [], {}
    for i in range(n):
        ko = " ".join(WORDS_KO[(i * 7 + k) % len(WORDS_KO)] for k in range(12))
        en = " ".join(WORDS_EN[(i * 5 + k) % len(WORDS_EN)] for k in range(40))
        d = Document.build(source="bench", source_key=str(i), kind="patent", title=f"{ko[:40]} {i}", text=f"{ko} {en}",
                           lang="ko", published=dt.date(2020 + i % 5, 1 + i % 12, 1), fetched_at=now, jurisdiction="KR",
                           patent=PatentInfo(application_number=f"10-2023-{i:07d}", application_date=dt.date(2020 + i % 5, 1 + i % 12, 1),
                                             applicants=[Party(name=f"APPLICANT {i % 97}", country=["KR", "US", "CN", "JP"][i % 4])],
                                             cpc=["H10B12/00", "H01M10/0525"][: 1 + i % 2]))
        t = TECHS[i % len(TECHS)]
        tagged[d.id] = TaggedDocument(doc_id=d.id, model_version="bench", taxonomy_version="2024.1",
                                      tagging=Tagging(id=d.id, fields=[t.split(".")[0]], technologies=[TechnologyScore(id=t, score=0.8)]))
        docs.append(d)
    return docs, tagged


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--chunk-size", type=int, default=500)
    ap.add_argument("--es-url", default=None, help="a running cluster; default: a local node started here")
    ap.add_argument("--osmem", action="store_true", help="osmem-server instead of a real node")
    args = ap.parse_args(argv)

    root = Path(__file__).resolve().parents[1]
    stop = None
    if args.es_url:
        client = Elasticsearch(args.es_url, request_timeout=120)
    elif args.osmem:
        sys.path.insert(0, str(root / "tests" / "alerts"))
        from osmem_testing import es_client, start_osmem  # test-only Content-Type adaptation for osmem

        server = start_osmem()
        client = es_client(server.url, request_timeout=120)
        stop = server.close
    else:
        sys.path.insert(0, str(root / "tools"))
        import es_node

        state = Path(tempfile.mkdtemp(prefix="ews-es-bench-"))
        node = es_node.start(state)
        client = Elasticsearch(node.url, request_timeout=120)
        stop = lambda: (es_node.stop(state), shutil.rmtree(state, ignore_errors=True))  # noqa: E731
    print(f"cluster: {describe_cluster(client, args)}", flush=True)
    try:
        docs, tagged = synthetic(args.docs)
        raw_rates, ews_rates = [], []
        for r in range(args.rounds):
            # raw: the very same index actions, prepared outside the timed section
            raw_store = ElasticAlertStore(client, prefix=f"bench-raw-{r}")
            raw_store.setup()
            actions = raw_store.document_actions(docs, tagged)
            t0 = time.perf_counter()
            ok, errors = helpers.bulk(client, actions, chunk_size=args.chunk_size, raise_on_error=False, stats_only=True)
            raw_s = time.perf_counter() - t0
            assert ok == len(docs) and not errors, (ok, errors)

            ews_store = ElasticAlertStore(client, prefix=f"bench-ews-{r}", chunk_size=args.chunk_size)
            ews_store.setup()
            t0 = time.perf_counter()
            out = ews_store.index_documents(docs, tagged, refresh=False)
            ews_s = time.perf_counter() - t0
            assert len(out.ok) == len(docs) and not out.failed, out.failed
            raw_rates.append(len(docs) / raw_s)
            ews_rates.append(len(docs) / ews_s)
            print(f"round {r + 1}: raw helpers.bulk {raw_rates[-1]:8.0f} docs/s   project {ews_rates[-1]:8.0f} docs/s   "
                  f"ratio {ews_rates[-1] / raw_rates[-1]:.2f}", flush=True)
            for prefix in (f"bench-raw-{r}", f"bench-ews-{r}"):
                # by name: Elasticsearch refuses wildcard deletes by default
                client.indices.delete(index=list(client.indices.get(index=f"{prefix}-*")))
        raw_m, ews_m = statistics.median(raw_rates), statistics.median(ews_rates)
        target = "met" if ews_m / raw_m >= 0.8 else "NOT met"
        print(f"median over {args.rounds} rounds of {args.docs} documents: raw {raw_m:.0f} docs/s, "
              f"project {ews_m:.0f} docs/s, ratio {ews_m / raw_m:.2f} (target 0.80: {target})")
    finally:
        client.close()
        if stop is not None:
            stop()
    return 0


def describe_cluster(client: Elasticsearch, args) -> str:
    if args.osmem:
        return "osmem-server (in-memory, OpenSearch-compatible)"
    nodes = client.nodes.info(metric="jvm")["nodes"].values()
    return ", ".join(f"Elasticsearch {n['version']} ({len(nodes)} node, heap "
                     f"{n['jvm']['mem']['heap_max_in_bytes'] // 2**20} MB)" for n in nodes)


if __name__ == "__main__":
    raise SystemExit(main())
