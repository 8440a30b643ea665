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
                 as_of: dt.date | None = None, crawl: bool = True) -> pipeline.RunSummary:
    """Crawl (unless `crawl` is False), then the monitoring stages on what is stored."""
    from crawlers.registry import load_registry

    settings = get_settings()
    summary = pipeline.RunSummary()
    with ExitStack() as stack:
        store = stack.enter_context(Store(settings.home))
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
            summary.health = pipeline.crawl(store, sources, start, end)
        summary.documents["after"] = store.count_documents()
        pipeline.monitor(store, settings.reports_dir, summary, as_of=as_of)
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
    if not summary.documents.get("after"):
        console.print("[yellow]warning:[/] the store holds no documents: nothing was crawled or ingested, "
                      "so there is nothing to classify, count or alert on")
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
