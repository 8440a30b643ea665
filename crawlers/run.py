"""Run one crawl of several sources in this process and write their health records as JSON.

    python -m crawlers.run JOB.json

JOB.json: {"sources": [Source...], "window_start": "YYYY-MM-DD", "window_end": "YYYY-MM-DD",
           "home": "...", "health_out": "...", "user_agent": "...", "progress_out": "..." (optional)}

With `progress_out`, one JSON line per source and moment is appended there as the crawl goes on
(`{"source", "items", "pages", "done"}`: documents stored and pages fetched so far; `done` once its
spider closed), which `crawl_sources` reads to report progress per source.

Scrapy's Twisted reactor cannot be restarted inside one process, so `crawlers.crawl.crawl_sources`
starts this module as a subprocess for every run.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
import traceback
from pathlib import Path

from crawlers.registry import Source
from ews.kernel.schema import SourceHealth


def _health(source: Source, spider, crawler, job: dict, started: dt.datetime, fatal: str | None) -> SourceHealth:
    stats = crawler.stats if crawler is not None else None
    items = int(stats.get_value("ews/items", 0)) if stats else 0
    new = int(stats.get_value("ews/new_items", 0)) if stats else 0
    errors = spider.errors if spider is not None else 0
    messages = list(spider.messages) if spider is not None else []
    if fatal:
        errors += 1
        messages.append(fatal)
    return SourceHealth(source=source.id, started_at=getattr(spider, "started_at", started),
                        finished_at=dt.datetime.now(dt.UTC),
                        window_start=job["window_start"], window_end=job["window_end"],
                        items=items, new_items=new, errors=errors, error_messages=messages[:50], ok=errors == 0)


PROGRESS_EVERY_S = 0.5  # seconds between two progress lines of one source


class _ProgressLog:
    """Appends each source's progress to a JSON Lines file, at most every PROGRESS_EVERY_S per source."""

    def __init__(self, path: str):
        self.file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - open for the whole crawl
        self.last: dict[str, float] = {}

    def watch(self, source_id: str, crawler) -> None:
        from scrapy import signals

        pages = [0]

        def scraped(*_a, **_k):
            pages[0] += 1
            self.write(source_id, crawler, pages[0], False)

        def closed(*_a, **_k):
            self.write(source_id, crawler, pages[0], True)

        crawler.signals.connect(scraped, signal=signals.item_scraped, weak=False)
        crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)

    def write(self, source_id: str, crawler, pages: int, done: bool) -> None:
        now = time.monotonic()
        if not done and now - self.last.get(source_id, 0.0) < PROGRESS_EVERY_S:
            return
        self.last[source_id] = now
        stats = getattr(crawler, "stats", None)
        items = int(stats.get_value("ews/items", 0)) if stats is not None else 0
        self.file.write(json.dumps({"source": source_id, "items": items, "pages": pages, "done": done}) + "\n")

    def close(self) -> None:
        self.file.close()


def run_job(job: dict) -> list[SourceHealth]:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawlers import settings as project
    from crawlers.spider_table import spider_class

    settings = Settings()
    settings.setdict(project.project_settings(), priority="project")
    settings.set("EWS_HOME", str(job["home"]), priority="project")
    if job.get("user_agent"):
        settings.set("USER_AGENT", job["user_agent"], priority="project")
    if os.environ.get("EWS_HTTPCACHE") == "1":
        settings.set("HTTPCACHE_ENABLED", True, priority="project")
        settings.set("HTTPCACHE_DIR", str(Path(job["home"]) / "httpcache"), priority="project")
    process = CrawlerProcess(settings, )
    started = dt.datetime.now(dt.UTC)
    progress = _ProgressLog(job["progress_out"]) if job.get("progress_out") else None
    crawlers: list[tuple[Source, object, str | None]] = []
    for raw in job["sources"]:
        source = Source.model_validate(raw)
        try:
            base = spider_class(source.spider)
            custom = project.settings_for_source(source.endpoint, source.settings.get("scrapy"), source.spider)
            cls = type(f"{base.__name__}_{source.id.replace('-', '_').replace('.', '_')}", (base,),
                       {"custom_settings": custom, "name": source.id})
            crawler = process.create_crawler(cls)
            if progress is not None:
                progress.watch(source.id, crawler)
            process.crawl(crawler, source=source.model_dump(), window_start=job["window_start"],
                          window_end=job["window_end"])
            crawlers.append((source, crawler, None))
        except Exception as e:  # one bad source (unknown spider type, bad settings) must not stop the others
            crawlers.append((source, None, f"could not start: {type(e).__name__}: {e}"))
    try:
        process.start()
    finally:
        if progress is not None:
            progress.close()
    out = []
    for source, crawler, fatal in crawlers:
        spider = getattr(crawler, "spider", None) if crawler is not None else None
        if crawler is not None and spider is None and fatal is None:
            fatal = "spider was never created"
        out.append(_health(source, spider, crawler, job, started, fatal))
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m crawlers.run JOB.json", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    try:
        health = run_job(job)
    except Exception:
        traceback.print_exc()
        return 1
    out = Path(job["health_out"])
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps([h.model_dump(mode="json") for h in health], ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
