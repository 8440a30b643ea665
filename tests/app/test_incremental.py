"""An incremental run (only what is new or changed is tagged, recounted and re-detected) gives exactly the
counts and alerts of a full recomputation: compared row by row on the same store, and against a fresh store
and the reference aggregation."""
from __future__ import annotations

import datetime as dt
import random

from alerts.embedded import EmbeddedAlertStore
from ews.app import pipeline
from ews.kernel.config import load_settings
from ews.kernel.schema import Document, Party, PatentInfo
from ews.kernel.store import Store

APPLICANTS = [("Samsung Electronics Co., Ltd.", "KR"), ("SK hynix Inc.", "KR"), ("Micron Technology, Inc.", "US"),
              ("Kioxia Corporation", "JP")]
TEXTS = [("Nonvolatile memory cell", "A NAND flash memory cell array with a charge trap layer and word lines.",
          ["H10B43/27"]),
         ("Lithium secondary battery", "A lithium ion battery cathode active material with a nickel-rich layered oxide.",
          ["H01M10/0525"])]
NOW = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)


def _patent(i: int, day: dt.date, rng: random.Random, title_suffix: str = "") -> Document:
    title, text, cpc = TEXTS[i % 2]
    name, country = APPLICANTS[rng.randrange(len(APPLICANTS))]
    return Document.build(source="bulk.test", source_key=f"P{i}", kind="patent", title=f"{title} {i}{title_suffix}",
                          text=text, lang="en", published=day, fetched_at=NOW, jurisdiction="US",
                          patent=PatentInfo(application_date=day, publication_date=day, cpc=cpc,
                                            applicants=[Party(name=name, country=country)],
                                            inventors=[Party(name=f"Inventor{i % 7} Kim", country=country)]))


def _history(rng: random.Random, first: int, months: list[tuple[int, int, int]]) -> list[Document]:
    docs, i = [], first
    for year, month, n in months:
        for _ in range(n):
            docs.append(_patent(i, dt.date(year, month, 1 + rng.randrange(27)), rng))
            i += 1
    return docs


def _snapshot(store: Store) -> tuple[list, list, list]:
    c = store.connection
    counts = c.execute("SELECT series, period, count FROM counts ORDER BY series, period").fetchall()
    members = c.execute("SELECT series, date, doc_id, score FROM series_members ORDER BY series, date, doc_id").fetchall()
    alerts = sorted((a.model_dump(mode="json", exclude={"first_seen", "last_seen"}) for a in store.list_alerts()),
                    key=lambda a: a["id"])
    for a in alerts:  # a re-detected alert states its number of occurrences, a first one leaves it implied
        a["evidence"].setdefault("count", len(a["evidence"].get("occurrences") or {}))
    return counts, members, alerts


def _stages(store: Store, full: bool = False) -> tuple[int, dict]:
    settings = load_settings()
    tagged = pipeline.classify(store, settings, full=full)
    pipeline.count(store, full=full)
    with EmbeddedAlertStore(store) as alert_store:
        pipeline.detect_and_alert(store, alert_store, full=full)
    return tagged, store.connection.execute("SELECT COUNT(*) FROM detect_pending").fetchone()


def test_incremental_runs_equal_a_full_recomputation(tmp_path, ews_home):
    from models.aggregate import build_counts

    rng = random.Random(7)
    steady = [(y, m, 6) for y in (2021, 2022) for m in range(1, 13)]
    first = _history(rng, 0, steady)
    # the newest document comes first, so the later batches leave the cut-off where it is: they are recounted
    # series by series, not as a whole
    first.append(_patent(10_000, dt.date(2023, 6, 30), rng))
    surge = _history(rng, 5_000, [(2023, 1, 6), (2023, 2, 6), (2023, 3, 60), (2023, 4, 6)])
    with Store(ews_home) as store:
        store.upsert_documents(first)
        tagged, _ = _stages(store)
        assert tagged == len(first)
        before = _snapshot(store)

        store.upsert_documents(surge + [_patent(3, first[3].patent.application_date, random.Random(3), " (corrected)")])
        tagged, _ = _stages(store)
        assert tagged == len(surge) + 1  # the new documents and the changed one, nothing else
        incremental = _snapshot(store)
        assert incremental[0] != before[0]
        assert any(a["kind"] == "count_deviation" and a["period"] == "2023-03" for a in incremental[2])

        again, _ = _stages(store)  # nothing new: nothing tagged, nothing recounted
        assert again == 0 and _snapshot(store) == incremental

        _stages(store, full=True)
        assert _snapshot(store) == incremental
        docs, tags = list(store.iter_documents()), list(store.iter_tagged())
        as_of = store.data_cutoff()

    reference = build_counts(docs, tags, as_of=as_of)
    assert [tuple(r) for r in reference[["series", "period", "count"]].itertuples(index=False)] == incremental[0]

    with Store(tmp_path / "fresh") as fresh:
        fresh.upsert_documents(docs)
        _stages(fresh)
        counts, members, _ = _snapshot(fresh)
    assert counts == incremental[0] and members == incremental[1]


def test_a_new_model_version_retags_everything(tmp_path, ews_home):
    rng = random.Random(1)
    docs = _history(rng, 0, [(2022, m, 3) for m in range(1, 7)])
    with Store(ews_home) as store:
        store.upsert_documents(docs)
        assert _stages(store)[0] == len(docs)
        store.connection.execute("UPDATE tagged SET model_version='older'")
        assert _stages(store)[0] == len(docs)
        assert _stages(store)[0] == 0
