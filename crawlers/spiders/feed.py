"""RSS 2.0 / Atom feeds: one request (conditional on the last ETag / Last-Modified), items in the window."""
from __future__ import annotations

import datetime as dt

from crawlers.spiders.base import SourceSpider


class FeedSpider(SourceSpider):
    name = "feed"
    default_role = "feed"

    def feed_url(self) -> str:
        if not self.source.settings.get("window_in_url"):
            return self.source.endpoint
        # Query APIs that answer in Atom (arXiv): the window goes into the URL.
        return self.source.endpoint.format(start=self.window_start, end=self.window_end,
                                           end_inclusive=self.window_end - dt.timedelta(days=1))

    def first_requests(self):
        headers = {}
        url = self.feed_url()
        cond = self.state.get("http", {}).get(url, {})
        # An unchanged feed only means "nothing new" for windows inside the one it was filtered by last time.
        w = cond.get("window") or ["9999-12-31", "0001-01-01"]
        if not (w[0] <= self.window_start.isoformat() and self.window_end.isoformat() <= w[1]):
            cond = {}
        if cond.get("etag"):
            headers["If-None-Match"] = cond["etag"]
        if cond.get("last_modified"):
            headers["If-Modified-Since"] = cond["last_modified"]
        # 304 is an answer, not an error: let it through to the callback.
        yield self.request(url, self.parse_feed, headers=headers,
                           meta={"handle_httpstatus_list": [304]})

    def parse_feed(self, response):
        if response.status == 304:
            self.pages += 1
            self.messages.append(f"{response.url}: not modified since the last run")
            return
        ctx = self.context(response)
        page = self.parse_role(response, ctx, "feed")
        if page is None:
            yield self.page_item(response, ctx)
            return
        etag = response.headers.get("ETag")
        modified = response.headers.get("Last-Modified")
        if etag or modified:
            self.state.setdefault("http", {})[self.feed_url()] = {
                "etag": etag.decode("latin-1") if etag else None,
                "last_modified": modified.decode("latin-1") if modified else None,
                "window": [self.window_start.isoformat(), self.window_end.isoformat()]}
        yield self.page_item(response, ctx, page.documents)
