"""The main job: crawl → classify → count → detect → alert → report, each stage a function.

`ews run`, the Airflow DAGs and the tests all call these same functions. Stage
modules are imported inside the functions so the core stays light to import.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ews.kernel.schema import ClassifyInput, SourceHealth, TaggedDocument
from ews.kernel.store import Store


@dataclass
class RunSummary:
    health: list[SourceHealth] = field(default_factory=list)
    documents: dict[str, int] = field(default_factory=dict)
    tagged: int = 0
    series: int = 0
    alerts: dict[str, int] = field(default_factory=dict)
    report: Path | None = None
    store: dict[str, int] = field(default_factory=dict)
    alert_list: list = field(default_factory=list)
    index: object | None = None


def crawl(store: Store, sources, window_start: dt.date, window_end: dt.date) -> list[SourceHealth]:
    from crawlers.crawl import crawl_sources

    health = crawl_sources(sources, window_start, window_end, store.home)
    for h in health:
        store.record_health(h)
    return health


def classify(store: Store, model_dir: Path | None = None) -> int:
    from models.classify import load_classifier

    clf = load_classifier(model_dir)
    docs = list(store.iter_documents())
    inputs = [ClassifyInput.from_document(d) for d in docs]
    taggings = clf.predict(inputs)
    return store.upsert_tagged(
        TaggedDocument(doc_id=t.id, tagging=t, model_version=clf.version, taxonomy_version=clf.taxonomy_version)
        for t in taggings)


def count(store: Store, granularity: str = "month", as_of: dt.date | None = None) -> int:
    """Count series up to `as_of`, by default the store's data cut-off (`Store.data_cutoff`)."""
    from models.aggregate import build_counts

    as_of = as_of or store.data_cutoff()

    counts = build_counts(store.iter_documents(), store.iter_tagged(), granularity=granularity, as_of=as_of)
    return store.replace_counts(counts)


def detect_and_alert(store: Store, as_of: dt.date | None = None) -> dict[str, int]:
    """Detect and alert with periods after `as_of` (by default the store's data cut-off) incomplete."""
    from alerts.build import alert_from_silent_source, alerts_from_detections
    from crawlers.health import silent_sources
    from models.detect import detect_counts
    from models.inventors import detect_inventor_moves

    as_of = as_of or store.data_cutoff()
    detections = detect_counts(store.read_counts(), as_of=as_of)
    alerts = alerts_from_detections(detections, store=store)
    alerts += detect_inventor_moves(store.iter_documents(), store.iter_tagged())
    alerts += [alert_from_silent_source(s) for s in silent_sources(store)]
    return store.upsert_alerts(alerts)


def index(store: Store):
    """Push documents, trends and the alert outbox to Elasticsearch when `EWS_ES_URL` is set (else None)."""
    from alerts.sync import sync_from_settings

    return sync_from_settings(store)


def report(store: Store, out_dir: Path) -> Path:
    from analysis.run_report import write_report

    return write_report(store, out_dir)


def monitor(store: Store, reports_dir: Path, summary: RunSummary | None = None,
            as_of: dt.date | None = None) -> RunSummary:
    """The monitoring stages in order on what is stored: classify, count, detect and alert, index, report.

    `ews run` calls this after crawling; the `ews_monitoring` DAG runs the same stage functions one
    task each. Both take the data cut-off from the store, so they give the same answer on the same data.
    """
    summary = summary or RunSummary()
    summary.tagged = classify(store)
    summary.series = count(store, as_of=as_of)
    summary.alerts = detect_and_alert(store, as_of=as_of)
    summary.index = index(store)
    summary.report = report(store, reports_dir)
    summary.store = store.stats()
    summary.alert_list = store.list_alerts()
    return summary
