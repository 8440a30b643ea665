"""The base of every source spider: window, per-source state, error recording, page items."""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator

import scrapy
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.chain import redact_message, source_secrets
from crawlers.items import PageItem
from crawlers.linkpolicy import LinkPolicy, RefusedURL, is_non_link
from crawlers.middlewares import REFUSED
from crawlers.parsers.base import ApiPage, PageContext, ParseError, short_url
from crawlers.registry import Source
from crawlers.spider_table import parse_page
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
        self.link_policy = LinkPolicy.for_source(self.source)
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
        # The data directory travels as the Scrapy setting EWS_HOME (the pipeline reads the same one).
        kwargs.setdefault("home", crawler.settings.get("EWS_HOME"))
        if not kwargs["home"]:
            raise RuntimeError("the Scrapy setting EWS_HOME (the data directory) is not set")
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_spider_error, signal=signals.spider_error)
        return spider

    # --- errors ----------------------------------------------------------------------------
    secret_params: set[str] = set()  # query parameters of this type's URLs that carry credentials

    def redact(self, text: str) -> str:
        """A message or URL without the source's secrets: a key must never reach a health record or a log."""
        return redact_message(text, source_secrets(self.source), self.secret_params)

    def record_error(self, message: str) -> None:
        message = self.redact(message)
        self.errors += 1
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message[:500])
        self.logger.warning("%s: %s", self.source.id, message)

    def note(self, message: str, stat: str | None = None) -> None:
        """Something worth knowing that is not an error (a mislabelled encoding, a skipped script link)."""
        if stat:
            self.crawler.stats.inc_value(stat)
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(self.redact(message)[:500])

    def _on_spider_error(self, failure: Failure, response: Response, spider) -> None:
        if spider is self:
            self.record_error(f"{short_url(response.url)}: {failure.type.__name__}: {failure.value}")

    def errback(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        if request is not None and request.meta.get(REFUSED):
            return  # OffsiteGuardMiddleware has recorded it
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

    def follow(self, url: str, callback, where: str = "", **kw) -> scrapy.Request | None:
        """A request for a link found on a page, or None (recorded) when the source may not follow it."""
        if is_non_link(url):
            self.crawler.stats.inc_value("ews/non_links")
            return None
        try:
            self.link_policy.check(url)
            return self.request(url, callback, **kw)
        except (RefusedURL, ValueError) as e:  # ValueError: a URL Scrapy cannot even make a request of
            self.crawler.stats.inc_value("ews/links_refused")
            self.record_error(f"{where or 'page'}: link {url[:200]!r} not followed: {e}")
            return None

    def parse_role(self, response: Response, ctx: PageContext, role: str | None = None,
                   context: dict | None = None) -> ApiPage | None:
        """The page parsed as `role` (the parse `ews reparse` repeats), or None after recording why not.
        Any failure of a parser is this page's error: the page is still archived and the crawl goes on."""
        try:
            page = parse_page(self.source, role or self.default_role, response.body, ctx, context)
        except ParseError as e:
            self.record_error(str(e))
            return None
        except Exception as e:  # a parser bug on hostile input must cost one page, never the crawl
            self.record_error(f"{ctx.where}: parser failed: {type(e).__name__}: {str(e)[:200]}")
            return None
        for err in page.errors:
            self.record_error(err)
        decoded = page.extra.get("decoded")
        if decoded is not None and decoded.lied:
            self.note(decoded.note(ctx.where), "ews/encoding_mislabelled")
        return page

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
