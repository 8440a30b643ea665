"""Paged JSON APIs, one spider type with one mode per API (the registry's parser picks it):

- patentsview: USPTO PatentSearch; cursor paging by the last patent_id (`o.after`);
- federal_register: the Federal Register documents API; paging by the answer's `next_page_url`;
- openalex: OpenAlex works; cursor paging by `meta.next_cursor`.
"""
from __future__ import annotations

from crawlers.parsers import federal_register, openalex
from crawlers.parsers.base import ApiPage
from crawlers.parsers.patentsview import build_query_url
from crawlers.spiders.base import SourceSpider


class JsonApiSpider(SourceSpider):
    name = "json_api"
    default_role = "api"
    MODES = ("patentsview", "federal_register", "openalex")
    secret_params = {"mailto", "api_key"}

    # ------------------------------------------------------------------ URLs per mode
    def _url(self, page: ApiPage | None) -> str | None:
        s, p = self.source.settings, self.source.parser
        if p == "patentsview":
            after = None
            if page is not None:
                after = page.extra.get("next_after")
                if after is None:
                    return None
            return build_query_url(self.source.endpoint, self.window_start, self.window_end,
                                   size=int(s.get("page_size", 1000)), after=after,
                                   cpc_prefixes=s.get("cpc_prefixes"), date_field=s.get("date_field", "patent_date"))
        if p == "federal_register":
            if page is not None:
                return page.next_url
            return federal_register.build_url(self.source.endpoint, self.window_start, self.window_end, s)
        if p == "openalex":
            cursor = "*"
            if page is not None:
                cursor = page.extra.get("next_cursor")
                if not cursor:
                    return None
            return openalex.build_url(self.source.endpoint, self.window_start, self.window_end, s, cursor=cursor,
                                      mailto=self.api_key("mailto_env", required=False))
        raise ValueError(f"the json_api spider has no parser {p!r} (modes: {', '.join(self.MODES)})")

    def _headers(self) -> dict:
        key = self.api_key()
        return {"X-Api-Key": key, "Accept": "application/json"} if key else {"Accept": "application/json"}

    def first_requests(self):
        url = self._url(None)
        yield self.request(url, self.parse_page, headers=self._headers())

    def parse_page(self, response):
        ctx = self.context(response)
        page = self.parse_role(response, ctx, "api")
        if page is None:
            yield self.page_item(response, ctx)  # archived even when unreadable: it is the evidence
            return
        yield self.page_item(response, ctx, page.documents)
        nxt = self._url(page)
        if nxt is None:
            return
        if nxt == response.url:
            self.record_error(f"{ctx.where}: the API points to the same page again; paging stopped")
            return
        max_pages = int(self.source.settings.get("max_pages") or 10_000)
        if self.pages < max_pages:
            req = self.follow(nxt, self.parse_page, where=ctx.where, headers=self._headers())
            if req is not None:
                yield req
        else:
            self.record_error(f"stopped after max_pages={max_pages}; the window holds {page.total} hits")


PatentApiSpider = JsonApiSpider  # the name this spider had when it only spoke PatentsView
