"""Paged JSON patent APIs (PatentsView PatentSearch): one query per window, cursor paging."""
from __future__ import annotations

from crawlers.parsers.base import ParseError
from crawlers.parsers.patentsview import build_query_url, parse_patentsview
from crawlers.spiders.base import SourceSpider

QUERY_BUILDERS = {"patentsview": build_query_url}
PARSERS = {"patentsview": parse_patentsview}


class PatentApiSpider(SourceSpider):
    name = "json_api"

    def _url(self, after: str | None) -> str:
        s = self.source.settings
        return QUERY_BUILDERS[self.source.parser](
            self.source.endpoint, self.window_start, self.window_end, size=int(s.get("page_size", 1000)),
            after=after, cpc_prefixes=s.get("cpc_prefixes"), date_field=s.get("date_field", "patent_date"))

    def _headers(self) -> dict:
        key = self.api_key()
        return {"X-Api-Key": key, "Accept": "application/json"} if key else {"Accept": "application/json"}

    def first_requests(self):
        if self.source.parser not in PARSERS:
            raise ValueError(f"the json_api spider has no parser {self.source.parser!r}")
        yield self.request(self._url(None), self.parse_page, headers=self._headers())

    def parse_page(self, response):
        ctx = self.context(response)
        try:
            page = PARSERS[self.source.parser](response.body, ctx)
        except ParseError as e:
            self.record_error(str(e))
            yield self.page_item(response, ctx)  # archived even when unreadable: it is the evidence
            return
        for err in page.errors:
            self.record_error(err)
        yield self.page_item(response, ctx, page.documents)
        if page.next_after is not None:
            max_pages = int(self.source.settings.get("max_pages", 10_000))
            if self.pages < max_pages:
                yield self.request(self._url(page.next_after), self.parse_page, headers=self._headers())
            else:
                self.record_error(f"stopped after max_pages={max_pages}; the window holds {page.total_hits} hits")
