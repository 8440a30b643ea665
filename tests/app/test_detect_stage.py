"""The detect stage's fast path gives the alarms of one `detect_counts` over the whole count table.

The stage judges the series in batches (each read with the technology totals of its applicant series) and
leaves out the series below the documented floor (`EWS_DETECT_MIN_DOCUMENTS`); neither may change an
alarm. Compared on a generated store with dense, medium and one-off applicants, a surge and a drop, at a
batch size that cuts the technologies apart."""
from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest

import alerts.build
from alerts.embedded import EmbeddedAlertStore
from ews.app import pipeline
from ews.kernel.config import DETECT_MIN_DOCUMENTS, Settings, load_settings
from ews.kernel.schema import Document, Party, PatentInfo
from ews.kernel.store import Store
from models.detect import detect_counts
from models.detect.robust import RobustBaselineDetector

TEXTS = [("Nonvolatile memory cell", "A NAND flash memory cell array with a charge trap layer and word lines.",
          ["H10B43/27"]),
         ("Lithium secondary battery", "A lithium ion battery cathode active material with a nickel-rich layered oxide.",
          ["H01M10/0525"])]
NOW = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)


def _patent(i: int, day: dt.date, name: str, country: str) -> Document:
    title, text, cpc = TEXTS[i % 2]
    return Document.build(source="bulk.test", source_key=f"P{i}", kind="patent", title=f"{title} {i}",
                          text=text, lang="en", published=day, fetched_at=NOW, jurisdiction="US",
                          patent=PatentInfo(application_date=day, publication_date=day, cpc=cpc,
                                            applicants=[Party(name=name, country=country)],
                                            inventors=[Party(name=f"Inventor{i % 11} Lee", country=country)]))


def _documents() -> list[Document]:
    rng = random.Random(18)
    docs: list[Document] = []
    months = [(y, m) for y in (2020, 2021, 2022, 2023) for m in range(1, 13)]
    for y, m in months:
        # a dense applicant: about 8 a month, a surge in 2023-03 and nothing from 2023-08; in 2022-06 the whole
        # technology booms (every applicant's count surges, no share moves: the share detector vetoes it)
        boom = 3 if (y, m) == (2022, 6) else 1
        n_big = 60 if (y, m) == (2023, 3) else (0 if (y, m) >= (2023, 8) else rng.randint(6, 10) * boom)
        n_mid = rng.randint(1, 3) * boom
        for _ in range(n_big):
            docs.append(_patent(len(docs), dt.date(y, m, 1 + rng.randrange(27)), "Samsung Electronics Co., Ltd.", "KR"))
        for _ in range(n_mid):
            docs.append(_patent(len(docs), dt.date(y, m, 1 + rng.randrange(27)), "Micron Technology, Inc.", "US"))
    for a in range(40):  # one-off applicants: one to four documents each, in all
        for _ in range(1 + a % 4):
            y, m = months[rng.randrange(len(months))]
            docs.append(_patent(len(docs), dt.date(y, m, 1 + rng.randrange(27)), f"Small Applicant {a:02d} Inc.",
                                ["US", "JP", "DE"][a % 3]))
    return docs


def _key(d) -> tuple:
    return (d.series, d.period, d.direction, d.observed, d.expected, d.lower, d.upper, d.score, d.method, d.note)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    home = tmp_path_factory.mktemp("detect-stage")
    with Store(home) as store:
        store.upsert_documents(_documents())
        pipeline.classify(store, load_settings())
        pipeline.count(store)
    return home


def _stage_alarms(home, monkeypatch, min_documents, batch):
    """The detections the stage turned into signals, and the series it was given."""
    seen = []
    original = alerts.build.signal_from_detection

    def spy(d, *a, **k):
        seen.append(d)
        return original(d, *a, **k)

    monkeypatch.setattr(alerts.build, "signal_from_detection", spy)
    monkeypatch.setattr(pipeline, "DETECT_SERIES", batch)
    with Store(home) as store, EmbeddedAlertStore(store) as alert_store:
        pipeline.detect_and_alert(store, alert_store, full=True, min_documents=min_documents)
        alerts_ = sorted((a.id, a.series, a.period, a.severity) for a in store.list_alerts())
        series, _ = store.series_to_detect(store.data_cutoff(), full=True)
        reference = [d for d in detect_counts(store.read_counts(), as_of=store.data_cutoff())
                     if d.alarm and d.direction is not None]
    monkeypatch.undo()
    return sorted(map(_key, seen)), alerts_, series, sorted(map(_key, reference))


def test_batches_and_the_floor_give_the_alarms_of_the_whole_table(generated, monkeypatch):
    every, _, series, reference = _stage_alarms(generated, monkeypatch, 0, 1)
    assert reference, "the generated store must raise alarms, or the comparison proves nothing"
    assert {s for s, _ in series if "|applicant:" in s}, "applicant series (judged against their totals) expected"
    # one series a batch cuts every applicant series from its technology: each batch still reads the total
    assert every == reference
    floored, _, _, _ = _stage_alarms(generated, monkeypatch, DETECT_MIN_DOCUMENTS, 7)
    below = [s for s, n in series if n < DETECT_MIN_DOCUMENTS]
    assert below, "the floor must leave series out here, or it is not tested"
    assert floored == reference


def test_the_floor_and_its_policy_cap():
    series = [("tech:a|applicant:X", 4), ("tech:a|applicant:Y", 5), ("tech:a|policy:KR", 3), ("tech:a|policy:US", 2),
              ("tech:a", 0)]
    assert pipeline.judged_series(series, 5) == ["tech:a|applicant:Y", "tech:a|policy:KR"]
    assert pipeline.judged_series(series, 0) == [s for s, _ in series]
    assert pipeline.judged_series(series, 2) == ["tech:a|applicant:X", "tech:a|applicant:Y", "tech:a|policy:KR",
                                                 "tech:a|policy:US"]
    assert Settings().detect_min_documents == DETECT_MIN_DOCUMENTS


def test_a_changed_floor_redoes_the_detect_stage(generated, monkeypatch):
    with Store(generated) as store, EmbeddedAlertStore(store) as alert_store:
        pipeline.detect_and_alert(store, alert_store, min_documents=5)
        cut = store.data_cutoff()
        assert store.series_to_detect(cut, settings={"min_documents": 5}) == ([], False)
        everything = store.series_to_detect(cut, settings={"min_documents": 2})
        assert everything[1] and len(everything[0]) > 0


def test_the_memoised_robust_baseline_equals_the_computation():
    rng = np.random.default_rng(3)
    a, b = RobustBaselineDetector(window=12), RobustBaselineDetector(window=12, trim=0.1)
    for _ in range(300):
        h = rng.poisson(rng.choice([0.2, 3.0, 40.0]), size=int(rng.integers(4, 13))).astype(float)
        assert a.baseline(h) == a._baseline(h)
        assert b.baseline(h) == b._baseline(h)  # another trim is another entry, not the first one's
        assert a.baseline(h[::-1].copy()) == a._baseline(h[::-1].copy())
