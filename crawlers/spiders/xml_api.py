"""Paged XML patent APIs, one spider type with one mode per API (the registry's parser picks it):

- epo_ops: EPO Open Patent Services. An OAuth client-credentials token first (POST to settings.auth_url
  with the key and secret named by client_id_env / client_secret_env), then the biblio search pages
  (CQL from settings.cql, `Range=1-100`, `101-200`, …). An expired token (HTTP 400/401 naming the
  access token) is renewed once and the page asked again. The token answer is never archived.
- kipris: KIPRIS Plus search, the key in the query (settings.key_param, default ServiceKey), pages by
  pageNo/numOfRows. The key is removed from every URL that is archived or written in a message.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from crawlers.chain import redact_url, source_secrets
from crawlers.parsers import epo_ops, kipris
from crawlers.parsers.base import ParseError
from crawlers.spiders.base import SourceSpider

TOKEN_MARGIN_S = 60


class XmlApiSpider(SourceSpider):
    name = "xml_api"
    default_role = "api"
    MODES = ("epo_ops", "kipris")

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.token: str | None = None
        self.token_expires: dt.datetime | None = None
        self.renewed = False

    @property
    def secret_params(self) -> set[str]:
        return {self.source.settings.get("key_param", "ServiceKey"), "ServiceKey", "accessKey"}

    def context(self, response):
        ctx = super().context(response)
        return dataclasses.replace(ctx, url=redact_url(ctx.url, source_secrets(self.source), self.secret_params))

    def first_requests(self):
        p = self.source.parser
        if p == "epo_ops":
            yield self._token_request(then_first=1)
        elif p == "kipris":
            yield self._kipris_request(1)
        else:
            raise ValueError(f"the xml_api spider has no parser {p!r} (modes: {', '.join(self.MODES)})")

    # ---------------------------------------------------------------------------- EPO OPS
    def _token_request(self, then_first: int):
        import scrapy

        s = self.source.settings
        if not s.get("auth_url"):
            raise ValueError(f"source {self.source.id}: settings.auth_url (the OPS token URL) is missing")
        client_id = self.api_key("client_id_env")
        secret = self.api_key("client_secret_env")
        if not client_id or not secret:
            raise ValueError(f"source {self.source.id}: settings.client_id_env and client_secret_env must name "
                             "the environment variables holding the OPS key and secret")
        headers, body = epo_ops.token_request(client_id, secret)
        return scrapy.Request(s["auth_url"], method="POST", headers=headers, body=body, callback=self.parse_token,
                              errback=self.errback, dont_filter=True, cb_kwargs={"then_first": then_first},
                              meta={"dont_cache": True})

    def parse_token(self, response, then_first: int):
        try:
            self.token, life = epo_ops.parse_token(response.body, self.context(response).where)
        except ParseError as e:
            self.record_error(str(e))
            return
        self.token_expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=max(life - TOKEN_MARGIN_S, 1))
        yield self._search_request(then_first)

    def _search_request(self, first: int):
        url = epo_ops.build_search_url(self.source.endpoint, self.window_start, self.window_end,
                                       self.source.settings, first)
        return self.request(url, self.parse_search, dont_filter=True, cb_kwargs={"first": first},
                            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/xml"},
                            meta={"handle_httpstatus_list": [400, 401, 403, 404]})

    def parse_search(self, response, first: int):
        ctx = self.context(response)
        if response.status != 200:
            problem = epo_ops.fault(response.body) or response.body[:200].decode("utf-8", "replace")
            low = problem.lower()
            if response.status == 404 and "notfound" in low.replace(" ", ""):
                yield self.page_item(response, ctx, role="api-empty")  # no documents in this window: an answer
                return
            if response.status in (400, 401) and "token" in low and not self.renewed:
                self.renewed = True  # renew once; a second refusal is an error
                yield self._token_request(then_first=first)
                return
            self.record_error(f"{ctx.where}: HTTP {response.status}: {problem[:300]}")
            return
        yield from self._page(response, ctx, lambda page: (
            self._search_request(page.extra["next_first"]) if "next_first" in page.extra else None))

    # ---------------------------------------------------------------------------- KIPRIS Plus
    def _kipris_request(self, page_no: int):
        url = kipris.build_url(self.source.endpoint, self.window_start, self.window_end, self.source.settings,
                               page_no, self.api_key())
        return self.request(url, self.parse_kipris, headers={"Accept": "application/xml"})

    def parse_kipris(self, response):
        ctx = self.context(response)
        yield from self._page(response, ctx, lambda page: (
            self._kipris_request(page.extra["next_page"]) if "next_page" in page.extra else None))

    # ---------------------------------------------------------------------------- shared
    def _page(self, response, ctx, next_request):
        page = self.parse_role(response, ctx, "api")
        if page is None:
            yield self.page_item(response, ctx, url=ctx.url)
            return
        if page.extra.get("truncated"):
            self.record_error(f"{ctx.where}: the window holds {page.extra['truncated']} results and OPS serves "
                              f"{epo_ops.OPS_MAX_RESULTS}; crawl this window in shorter pieces")
        yield self.page_item(response, ctx, page.documents, url=ctx.url)
        max_pages = int(self.source.settings.get("max_pages") or 1000)
        nxt = next_request(page)
        if nxt is not None:
            if self.pages < max_pages:
                yield nxt
            else:
                self.record_error(f"stopped after max_pages={max_pages}; the window holds {page.total} hits")
