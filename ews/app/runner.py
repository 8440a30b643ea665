"""`ews run`: the main job once, on the registry's sources or the bundled demo sources."""
from __future__ import annotations

import datetime as dt
from contextlib import ExitStack

from rich.console import Console
from rich.table import Table

from ews.app import pipeline
from ews.app.progress import Progress
from ews.kernel.config import Settings
from ews.kernel.store import Store

# `ews run` exit codes (docs/cli-contract.md)
EXIT_SOURCE_FAILED = 1
EXIT_INDEX_FAILED = 3


def run_pipeline(settings: Settings, demo: bool = False,
                 window: tuple[dt.date | None, dt.date | None] = (None, None),
                 as_of: dt.date | None = None, crawl: bool = True, alert_store=None,
                 progress: Progress | None = None) -> pipeline.RunSummary:
    """Crawl (unless `crawl` is False), then the monitoring stages on what is stored. `alert_store`: one
    the caller opened (its journal in `settings.home`), else the one the settings select. `progress`:
    where the stages report how far they are (`ews.app.progress`)."""
    from alerts.stores import open_alert_store
    from crawlers.registry import load_registry

    summary = pipeline.RunSummary(home=settings.home)
    with ExitStack() as stack:
        store = stack.enter_context(Store(settings.home))
        # the one alert store of this run (its review journal on this run's store)
        if alert_store is None:
            alert_store = stack.enter_context(open_alert_store(settings, store))
        summary.documents = {"before": store.count_documents()}
        if crawl:
            if demo:
                from crawlers.demo import DEMO_WINDOW, DemoSite

                site = stack.enter_context(DemoSite())
                sources = load_registry(demo=True, base_url=site.url)
                start, end = window[0] or DEMO_WINDOW[0], window[1] or DEMO_WINDOW[1]
            else:
                sources = load_registry()
                end = window[1] or dt.date.today()
                start = window[0] or end - dt.timedelta(days=7)
            summary.health = pipeline.crawl(store, sources, start, end, settings, progress=progress)
        summary.documents["after"] = store.count_documents()
        pipeline.monitor(store, alert_store, settings, summary, as_of=as_of, progress=progress)
    return summary


def exit_code(summary: pipeline.RunSummary) -> int:
    """0 when everything worked; EXIT_INDEX_FAILED when the search index did not take the whole run (the
    outbox keeps the rest), else EXIT_SOURCE_FAILED when a source failed."""
    if summary.index is not None and not summary.index.ok:
        return EXIT_INDEX_FAILED
    if any(not h.ok for h in summary.health):
        return EXIT_SOURCE_FAILED
    return 0


def print_summary(summary: pipeline.RunSummary, console: Console) -> None:
    t = Table(title="Sources")
    for c in ("source", "items", "new", "errors", "status"):
        t.add_column(c)
    for h in summary.health:
        t.add_row(h.source, str(h.items), str(h.new_items), str(h.errors),
                  "ok" if h.ok else "[red]failed[/]: " + "; ".join(h.error_messages[:2]))
    console.print(t)
    console.print(f"documents: {summary.documents.get('after', 0)} "
                  f"({summary.documents.get('after', 0) - summary.documents.get('before', 0)} new), "
                  f"tagged: {summary.tagged}, count rows: {summary.series}, "
                  f"alerts: {summary.alerts.get('inserted', 0)} new, {summary.alerts.get('updated', 0)} updated")
    if not summary.documents.get("after"):
        console.print("[yellow]warning:[/] the store holds no documents: nothing was crawled or ingested, "
                      "so there is nothing to classify, count or alert on")
    alerts = getattr(summary, "alert_list", [])
    if alerts:
        a = Table(title=f"Alerts ({len(alerts)})")
        for c in ("severity", "series", "period", "direction", "observed", "expected", "status", "method"):
            a.add_column(c)
        for al in alerts[:25]:
            a.add_row(f"{al.severity:.2f}", al.series, al.period, al.direction,
                      "—" if al.observed is None else f"{al.observed:g}",
                      "—" if al.expected is None else f"{al.expected:.1f}", al.status, al.method)
        console.print(a)
    else:
        console.print("no alerts")
    if summary.index is not None:
        from alerts.sync import describe
        from ews.kernel.secrets import scrub

        console.print(f"Elasticsearch: {scrub(describe(summary.index))}", markup=False, highlight=False)
        if not summary.index.ok:
            console.print(f"[bold red]indexing into Elasticsearch incomplete[/]: pending in the outbox, sent by the "
                          f"next run: {summary.pending.get('alerts', 0)} alerts, "
                          f"{summary.pending.get('documents', 0)} documents never indexed; "
                          f"exit code {EXIT_INDEX_FAILED}")
    if summary.report:
        console.print(f"report: {summary.report}")
    console.print(f"data directory: {summary.home}")
