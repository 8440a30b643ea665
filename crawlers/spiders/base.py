"""The base of every source spider: window, per-source state, error recording, page items."""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator

import scrapy
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.items import PageItem
from crawlers.parsers.base import PageContext, short_url
from crawlers.registry import Source
from ews.kernel.schema import Document
from ews.kernel.store import Store

MAX_MESSAGES = 50


class SourceSpider(scrapy.Spider):
    """One spider instance crawls one registry source for one window [window_start, window_end)."""

    name = "source"

    def __init__(self, source: dict | Source, window_start: str | dt.date, window_end: str | dt.date,
                 home: str, **kw):
        self.source = source if isinstance(source, Source) else Source.model_validate(source)
        super().__init__(name=self.source.id, **kw)
        self.window_start = _date(window_start)
        self.window_end = _date(window_end)
        self.home = home
        self.store = Store(home)
        self.state = self.store.get_state(self.source.id)
        self.errors = 0
        self.messages: list[str] = []
        self.pages = 0
        self.skipped_known = 0
        self.started_at = dt.datetime.now(dt.UTC)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_spider_error, signal=signals.spider_error)
        return spider

    # --- errors ----------------------------------------------------------------------------
    def _secrets(self) -> list[str]:
        values = []
        for k, v in self.source.settings.items():
            if k.endswith("_env") and isinstance(v, str) and os.environ.get(v) and len(os.environ[v]) >= 4:
                values.append(os.environ[v])
        return values

    def record_error(self, message: str) -> None:
        for secret in self._secrets():  # a key in a URL must never reach a health record or a log
            message = message.replace(secret, "REDACTED")
        self.errors += 1
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message[:500])
        self.logger.warning("%s: %s", self.source.id, message)

    def _on_spider_error(self, failure: Failure, response: Response, spider) -> None:
        if spider is self:
            self.record_error(f"{short_url(response.url)}: {failure.type.__name__}: {failure.value}")

    def errback(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = short_url(request.url) if request is not None else "?"
        value = failure.value
        response = getattr(value, "response", None)
        if response is not None:
            self.record_error(f"{url}: HTTP {response.status}")
        else:
            self.record_error(f"{url}: {failure.type.__name__}: {value}")

    # --- requests and items -----------------------------------------------------------------
    def request(self, url: str, callback, **kw) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.errback, **kw)

    def context(self, response: Response) -> PageContext:
        return PageContext(source=self.source.id, kind=self.source.kind, url=response.url,
                           fetched_at=dt.datetime.now(dt.UTC), lang=self.source.language,
                           jurisdiction=self.source.country,
                           content_type=response.headers.get("Content-Type", b"").decode("latin-1") or None,
                           settings=self.source.settings)

    default_role = "page"

    def page_item(self, response: Response, ctx: PageContext, documents: Iterable[Document] = (),
                  role: str | None = None, context: dict | None = None, body: bytes | None = None,
                  url: str | None = None) -> PageItem:
        """The page for the pipelines; `role` and `context` say how `ews reparse` parses it again."""
        self.pages += 1
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        ctx_out = {"window": [self.window_start.isoformat(), self.window_end.isoformat()]}
        ctx_out.update(context or {})
        return PageItem(source=self.source.id, url=url or response.url, status=response.status, headers=headers,
                        body=response.body if body is None else body, fetched_at=ctx.fetched_at,
                        documents=list(documents), role=role or self.default_role, context=ctx_out)

    def in_window(self, d: dt.date | None) -> bool:
        return d is None or self.window_start <= d < self.window_end

    def api_key(self, setting: str = "api_key_env", required: bool = True) -> str | None:
        """A secret from the environment variable the registry names (the registry never holds keys)."""
        env = self.source.settings.get(setting)
        if not env:
            return None
        key = os.environ.get(env)
        if not key and required:
            raise RuntimeError(f"source {self.source.id} needs a credential: set the environment variable {env}")
        return key or None

    # --- incremental state --------------------------------------------------------------------
    def window_already_done(self) -> bool:
        """True when a finished, error-free earlier run covered this window and the window had closed by then."""
        for start, end, finished in self.state.get("windows_done", []):
            if (dt.date.fromisoformat(start) <= self.window_start and self.window_end <= dt.date.fromisoformat(end)
                    and self.window_end <= dt.date.fromisoformat(finished[:10])):
                return True
        return False

    async def start(self):
        if self.window_already_done():
            self.messages.append(f"window {self.window_start}..{self.window_end} already crawled; nothing to fetch")
            return
        try:
            requests = list(self.first_requests())
        except Exception as e:  # configuration problems (missing key) are this source's error, not the run's
            self.record_error(f"{type(e).__name__}: {e}")
            return
        for r in requests:
            yield r

    def first_requests(self) -> Iterator[scrapy.Request]:
        raise NotImplementedError

    def closed(self, reason: str) -> None:
        if self.errors == 0 and reason == "finished" and self.pages > 0:
            done = self.state.setdefault("windows_done", [])
            entry = [self.window_start.isoformat(), self.window_end.isoformat(),
                     dt.datetime.now(dt.UTC).isoformat()]
            if not any(e[:2] == entry[:2] for e in done):
                done.append(entry)
            self.state["last_success"] = entry[2]
        self.store.set_state(self.source.id, self.state)
        self.store.close()


def _date(v) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))
