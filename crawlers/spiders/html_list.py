"""HTML boards: list pages with pagination, then one detail page per listed item.

Incremental: items dated before the window are skipped, pagination stops at the first page whose
items are all older than the window (boards list newest first), and detail pages already stored are
not fetched again.
"""
from __future__ import annotations

from crawlers.parsers.base import ParseError
from crawlers.parsers.html import ListEntry, page_key, parse_detail_page, parse_list_page
from crawlers.parsers.pdf import is_pdf, parse_pdf_document
from crawlers.spiders.base import SourceSpider
from ews.kernel.ids import document_id


def listed_context(entry: ListEntry | None) -> dict:
    if entry is None:
        return {}
    return {"listed": {"url": entry.url, "title": entry.title, "date": entry.date.isoformat() if entry.date else None}}


def detail_documents(body: bytes, ctx, listed: ListEntry | None):
    """The document of a detail page: an HTML page, or a PDF report the list links to directly."""
    if is_pdf(body, ctx.content_type):
        key = page_key(ctx.url, ctx.settings.get("key_param"))
        return [parse_pdf_document(body, ctx, source_key=key, title=listed.title if listed else "",
                                   stated_date=listed.date if listed else None)]
    return [parse_detail_page(body, ctx, listed).document]


class HtmlListSpider(SourceSpider):
    name = "html_list"
    default_role = "detail"

    def first_requests(self):
        yield self.request(self.source.endpoint, self.parse_list, meta={"list_page": 1})

    def parse_list(self, response):
        ctx = self.context(response)
        try:
            page = parse_list_page(response.body, ctx)
        except ParseError as e:
            self.record_error(str(e))
            yield self.page_item(response, ctx, role="list")
            return
        yield self.page_item(response, ctx, role="list")
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
            yield self.request(entry.url, self.parse_detail, cb_kwargs={"listed": entry})
        all_older = bool(page.entries) and older == len(page.entries)
        max_pages = int(self.source.settings.get("max_pages", 500))
        n = response.meta.get("list_page", 1)
        if page.next_url and not all_older and n < max_pages:
            yield self.request(page.next_url, self.parse_list, meta={"list_page": n + 1})

    def parse_detail(self, response, listed=None):
        ctx = self.context(response)
        try:
            docs = detail_documents(response.body, ctx, listed)
        except ParseError as e:
            self.record_error(str(e))
            yield self.page_item(response, ctx, context=listed_context(listed))
            return
        yield self.page_item(response, ctx, [d for d in docs if self.in_window(d.published)],
                             context=listed_context(listed))
