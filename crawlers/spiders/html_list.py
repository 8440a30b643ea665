"""HTML boards: list pages with pagination, then one detail page per listed item.

Incremental: items dated before the window are skipped, pagination stops at the first page whose
items are all older than the window (boards list newest first), and detail pages already stored are
not fetched again. Every link (entries, next page) is followed only if the source's link policy allows
it; a link it refuses is this source's error and the rest of the list goes on.
"""
from __future__ import annotations

from crawlers.pages import listed_context
from crawlers.parsers.base import ParseError
from crawlers.parsers.html import page_key, parse_list_page
from crawlers.spiders.base import SourceSpider
from ews.kernel.ids import document_id


class HtmlListSpider(SourceSpider):
    name = "html_list"
    default_role = "detail"

    def first_requests(self):
        yield self.request(self.source.endpoint, self.parse_list, meta={"list_page": 1})

    def parse_list(self, response):
        ctx = self.context(response)
        yield self.page_item(response, ctx, role="list")  # archived first, whatever follows
        try:
            page = parse_list_page(response.body, ctx)
        except ParseError as e:
            self.record_error(str(e))
            return
        except Exception as e:  # a parser bug on a hostile page costs this page only
            self.record_error(f"{ctx.where}: parser failed: {type(e).__name__}: {str(e)[:200]}")
            return
        if page.decoded is not None and page.decoded.lied:
            self.note(page.decoded.note(ctx.where), "ews/encoding_mislabelled")
        if page.non_links:
            self.crawler.stats.inc_value("ews/non_links", page.non_links)
        older = 0
        key_param = self.source.settings.get("key_param")
        for entry in page.entries:
            if entry.date is not None and entry.date >= self.window_end:
                continue
            if entry.date is not None and entry.date < self.window_start:
                older += 1
                continue
            if self.store.has_document(document_id(self.source.id, page_key(entry.url, key_param))):
                self.skipped_known += 1
                continue
            req = self.follow(entry.url, self.parse_detail, where=ctx.where, cb_kwargs={"listed": entry})
            if req is not None:
                yield req
        all_older = bool(page.entries) and older == len(page.entries)
        max_pages = int(self.source.settings.get("max_pages") or 500)
        n = response.meta.get("list_page", 1)
        if page.next_url and not all_older and n < max_pages:
            req = self.follow(page.next_url, self.parse_list, where=ctx.where, meta={"list_page": n + 1})
            if req is not None:
                yield req

    def parse_detail(self, response, listed=None):
        ctx = self.context(response)
        context = listed_context(listed)
        page = self.parse_role(response, ctx, "detail", context)
        yield self.page_item(response, ctx, page.documents if page else [], context=context)
