"""The main job: crawl → classify → count → detect → alert → index → notify → report, each stage a function.

`ews run`, the Airflow jobs and the tests all call these same functions, with the settings, the
store and the alert store their entry point opened once. Stage modules are imported inside the
functions so the core stays light to import.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ews.app.progress import Progress
from ews.kernel.schema import ClassifyInput, SourceHealth, TaggedDocument
from ews.kernel.store import Store

if TYPE_CHECKING:  # alerts.base imports pandas: DAG files import this module at parse time
    from alerts.base import AlertStore
    from ews.kernel.config import Settings


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
    pending: dict[str, int] = field(default_factory=dict)  # what the search index has not acknowledged
    home: Path | None = None
    notified: object | None = None


def crawl(store: Store, sources, window_start: dt.date, window_end: dt.date, settings: Settings,
          progress: Progress | None = None) -> list[SourceHealth]:
    """Crawl the sources for the window (one progress task per source) and record their health."""
    from crawlers.crawl import crawl_sources

    progress = progress or Progress.silent()
    tasks = {s.id: progress.task(f"crawl {s.id}", unit="documents") for s in sources}

    def report(source: str, items: int, pages: int, done: bool) -> None:
        if source in tasks:
            tasks[source].update(items, note=f"{pages:,} pages")
            if done:
                tasks[source].finish()

    health = crawl_sources(sources, window_start, window_end, store.home, user_agent=settings.user_agent,
                           credentials=settings.source_credentials, progress=report)
    for h in health:
        store.record_health(h)
        task = tasks.get(h.source)
        if task is not None and not task.finished:  # the crawler never said it was done: it failed
            task.update(h.items)
            task.finish(note="ok" if h.ok else f"failed, {h.errors} errors")
    return health


CLASSIFY_BATCH = 1000  # documents per classifier call and store transaction
DETECT_SERIES = 500    # series judged at a time (read with their technology totals): bounds the stage's memory


def classify(store: Store, settings: Settings, model_dir: Path | None = None, full: bool = False,
             progress: Progress | None = None) -> int:
    """Tag the documents that are new, changed, or tagged by another model or taxonomy version (every
    document when `full`), a batch at a time; returns how many were tagged."""
    from models.classify import load_classifier

    clf = load_classifier(model_dir, models_dir=settings.models_dir)
    total = store.count_documents_to_classify(clf.version, clf.taxonomy_version, full=full) if progress else None
    n = 0
    with (progress or Progress.silent()).task("classify", total=total, unit="documents") as task:
        for docs in store.documents_to_classify(clf.version, clf.taxonomy_version, full=full, batch=CLASSIFY_BATCH):
            taggings = clf.predict([ClassifyInput.from_document(d) for d in docs])
            n += store.upsert_tagged(
                (TaggedDocument(doc_id=t.id, tagging=t, model_version=clf.version,
                                taxonomy_version=clf.taxonomy_version) for t in taggings),
                documents={d.id: d for d in docs})
            task.update(n)
    return n


def count(store: Store, granularity: str = "month", as_of: dt.date | None = None, full: bool = False,
          progress: Progress | None = None) -> int:
    """Count series up to `as_of`, by default the store's data cut-off (`Store.data_cutoff`): in SQL from the
    membership table, only the series whose documents changed unless the cut-off moved or `full`. Returns
    the number of count rows."""
    as_of = as_of or store.data_cutoff()
    with (progress or Progress.silent()).task("count", unit="series recounted") as task:
        store.update_counts(granularity, as_of, full, progress=lambda done, total: task.update(done, total))
        rows = store.count_rows()
        task.finish(note=f"{rows:,} count rows")
    return rows


def judged_series(series: list[tuple[str, int]], min_documents: int) -> list[str]:
    """The series the detectors judge: those with at least `min_documents` documents in all (policy series at
    least `min(min_documents, 3)`, the count a policy burst needs); see `ews.kernel.config.DETECT_MIN_DOCUMENTS`."""
    from models.detect.select import POLICY_GUARD, is_policy_series

    policy_floor = min(min_documents, POLICY_GUARD.min_surge_count)
    return [s for s, n in series if n >= (policy_floor if is_policy_series(s) else min_documents)]


def detect_and_alert(store: Store, alert_store: AlertStore, as_of: dt.date | None = None,
                     full: bool = False, min_documents: int | None = None,
                     progress: Progress | None = None) -> dict[str, int]:
    """Detect and alert with periods after `as_of` (by default the store's data cut-off) incomplete.

    Only the series recounted since the last detection are judged (every series when the cut-off or
    `min_documents` changed, or `full`), `DETECT_SERIES` at a time, and of those only the ones with at
    least `min_documents` documents in all (`judged_series`; by default `EWS_DETECT_MIN_DOCUMENTS`); the
    others would give the alerts already stored. Each batch is read with the technology totals of its
    applicant series, so every applicant series is judged against its total (`models.detect.run_detection`)
    wherever the batches are cut: the alarms are those of one `detect_counts` over the whole count table,
    less the series below the floor. Every detector yields signals and the one builder makes the alerts;
    they go to the alert store's review journal (the re-alerting window sees the reviewed status); a search
    index gets them from the outbox in the index stage."""
    from alerts.build import alerts_from_signals, signal_from_detection
    from crawlers.health import silent_sources
    from ews.kernel.config import DETECT_MIN_DOCUMENTS
    from models.detect import detect_counts
    from models.detect.counts import total_key
    from models.inventors import detect_inventor_moves_in

    as_of = as_of or store.data_cutoff()
    floor = DETECT_MIN_DOCUMENTS if min_documents is None else min_documents
    state = {"min_documents": floor}
    series, everything = store.series_to_detect(as_of, full, state)
    judged = judged_series(series, floor)
    signals = []
    with (progress or Progress.silent()).task("detect", total=len(judged), unit="series judged") as task:
        for i in range(0, len(judged), DETECT_SERIES):
            batch = judged[i:i + DETECT_SERIES]
            mine = set(batch)
            totals = sorted({t for t in map(total_key, batch) if t is not None} - mine)
            counts = store.read_counts_of(batch + totals)
            signals += [signal_from_detection(d) for d in detect_counts(counts, as_of=as_of, only=mine,
                                                                        progress=lambda n, i=i: task.update(i + n))
                        if d.alarm and d.direction is not None]
            task.update(i + len(batch), note=f"{len(signals):,} flags")
    if everything or series:  # a tagged document changed: inventors may have moved
        signals += detect_inventor_moves_in(lambda: store.iter_tagged_documents(kind="patent"),
                                            spill_dir=store.home / "tmp")
    signals += [s.signal() for s in silent_sources(store)]
    result = alert_store.record(alerts_from_signals(signals, store=store, as_of=as_of))
    store.detected(as_of, state)
    return result


def index(store: Store, alert_store: AlertStore):
    """Push documents, trends and the alert outbox to Elasticsearch when the alert store is one (else None)."""
    from alerts.elastic import ElasticAlertStore

    if not isinstance(alert_store, ElasticAlertStore):
        return None
    from alerts.sync import sync_to_elasticsearch

    return sync_to_elasticsearch(store, alert_store)


def pending(store: Store) -> dict[str, int]:
    """What the search index has not acknowledged yet: it is sent by the next run."""
    return {"alerts": len(store.outbox()), "documents": store.pending_documents()}


def notify(settings: Settings, alert_store: AlertStore):
    """Tell the committees about the alerts just raised, as `notify.yaml` in the data directory routes them."""
    from alerts.notify import notify_after_detect

    return notify_after_detect(settings, alert_store)


def report(store: Store, alert_store: AlertStore, out_dir: Path, app_url: str | None = None) -> Path:
    from analysis.run_report import write_report

    return write_report(store, out_dir, alerts=alert_store, app_url=app_url)


def monitor(store: Store, alert_store: AlertStore, settings: Settings, summary: RunSummary | None = None,
            as_of: dt.date | None = None, full: bool = False, progress: Progress | None = None) -> RunSummary:
    """The monitoring stages in order on what is stored: classify, count, detect and alert, index, report.

    Each stage does what changed since the last run; `full` redoes everything (the same result).

    `ews run` calls this after crawling; the `ews_monitoring` DAG runs the same stage functions one
    task each. Both take the data cut-off from the store, so they give the same answer on the same data.
    """
    summary = summary or RunSummary(home=settings.home)
    summary.tagged = classify(store, settings, full=full, progress=progress)
    summary.series = count(store, as_of=as_of, full=full, progress=progress)
    summary.alerts = detect_and_alert(store, alert_store, as_of=as_of, full=full,
                                      min_documents=settings.detect_min_documents, progress=progress)
    summary.index = index(store, alert_store)
    if summary.index is not None:
        summary.pending = pending(store)
    summary.notified = notify(settings, alert_store)
    summary.report = report(store, alert_store, settings.reports_dir, settings.app_url)
    summary.store = store.stats()
    summary.alert_list = alert_store.all_alerts()
    return summary
