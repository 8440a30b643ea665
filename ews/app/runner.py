"""`ews run`: the main job once, on the registry's sources or the bundled demo sources."""
from __future__ import annotations

import datetime as dt
from contextlib import ExitStack

from rich.console import Console
from rich.table import Table

from ews.app import pipeline
from ews.kernel.config import get_settings
from ews.kernel.store import Store


def run_pipeline(demo: bool = False, window: tuple[dt.date | None, dt.date | None] = (None, None),
                 as_of: dt.date | None = None) -> pipeline.RunSummary:
    from crawlers.registry import load_registry

    settings = get_settings()
    summary = pipeline.RunSummary()
    with ExitStack() as stack:
        store = stack.enter_context(Store(settings.home))
        if demo:
            from crawlers.demo import DEMO_AS_OF, DEMO_WINDOW, DemoSite

            site = stack.enter_context(DemoSite())
            sources = load_registry(demo=True, base_url=site.url)
            start, end = window[0] or DEMO_WINDOW[0], window[1] or DEMO_WINDOW[1]
            as_of = as_of or DEMO_AS_OF
        else:
            sources = load_registry()
            end = window[1] or dt.date.today()
            start = window[0] or end - dt.timedelta(days=7)
        before = store.count_documents()
        summary.health = pipeline.crawl(store, sources, start, end)
        summary.documents = {"before": before, "after": store.count_documents()}
        summary.tagged = pipeline.classify(store)
        summary.series = pipeline.count(store, as_of=as_of)
        summary.alerts = pipeline.detect_and_alert(store, as_of=as_of)
        summary.index = pipeline.index(store)
        summary.report = pipeline.report(store, settings.reports_dir)
        summary.store = store.stats()
        summary.alert_list = store.list_alerts()
    return summary


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
    alerts = getattr(summary, "alert_list", [])
    if alerts:
        a = Table(title=f"Alerts ({len(alerts)})")
        for c in ("severity", "series", "period", "direction", "observed", "expected", "method"):
            a.add_column(c)
        for al in alerts[:25]:
            a.add_row(f"{al.severity:.2f}", al.series, al.period, al.direction, f"{al.observed:g}",
                      f"{al.expected:.1f}", al.method)
        console.print(a)
    else:
        console.print("no alerts")
    if summary.index is not None:
        from alerts.sync import describe

        console.print(f"Elasticsearch: {describe(summary.index)}")
    if summary.report:
        console.print(f"report: {summary.report}")
    console.print(f"data directory: {get_settings().home}")
