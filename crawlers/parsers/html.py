"""HTML list and detail pages (government boards, press-release lists), driven by the registry's selectors.

Selectors are CSS (parsel, the selector library Scrapy uses) given in the source entry's settings:
  list_item, item_link, item_date (relative to list_item), next_page,
  detail_title, detail_date, detail_body, and optional key_param (query parameter that identifies a page).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from crawlers.parsers.base import PageContext, ParseError
from crawlers.parsers.dates import parse_date
from crawlers.parsers.encoding import decode_text
from ews.kernel.schema import Document

# Elements that never carry article text: navigation, scripts, page furniture.
_DROP = "script, style, noscript, nav, header, footer, form, iframe, #header, #footer, .gnb, .lnb, .breadcrumb"


@dataclass
class ListEntry:
    url: str
    title: str
    date: dt.date | None


@dataclass
class ListPage:
    entries: list[ListEntry]
    next_url: str | None
    encoding: str = ""


@dataclass
class DetailPage:
    document: Document
    encoding: str = ""


def selector_for(body: bytes, ctx: PageContext) -> tuple[Selector, str]:
    if not body.strip():
        raise ctx.fail("empty response body")
    text, enc = decode_text(body, ctx.content_type)
    return Selector(text=text, type="html"), enc


def _required(ctx: PageContext, name: str) -> str:
    value = ctx.settings.get(name)
    if not value:
        raise ParseError(f"source {ctx.source}: settings.{name} (a CSS selector) is missing in the registry")
    return value


def parse_list_page(body: bytes, ctx: PageContext) -> ListPage:
    sel, enc = selector_for(body, ctx)
    items = sel.css(_required(ctx, "list_item"))
    link_sel, date_sel = _required(ctx, "item_link"), ctx.settings.get("item_date")
    entries = []
    for it in items:
        href = it.css(link_sel).get()
        if not href:
            continue
        title = " ".join(" ".join(it.css(link_sel.split("::")[0] + " ::text").getall()).split())
        date = parse_date(" ".join(it.css(date_sel).getall())) if date_sel else None
        entries.append(ListEntry(urljoin(ctx.url, href.strip()), title, date))
    nxt = sel.css(ctx.settings["next_page"]).get() if ctx.settings.get("next_page") else None
    if not entries and not items and ctx.settings.get("require_items", True):
        raise ctx.fail(f"no list items match {ctx.settings['list_item']!r} (page layout changed or wrong page?)")
    return ListPage(entries, urljoin(ctx.url, nxt.strip()) if nxt else None, enc)


def page_key(url: str, key_param: str | None) -> str:
    """The source-side id of a page: the value of key_param when given (e.g. seq=1234), else the URL."""
    if key_param:
        values = parse_qs(urlsplit(url).query).get(key_param)
        if values and values[0]:
            return values[0]
    return url


def extract_text(node: Selector) -> str:
    """Paragraph-aware text of a node with page furniture removed."""
    for bad in node.css(_DROP):
        el = bad.root
        if el.getparent() is not None:
            el.getparent().remove(el)
    blocks = []
    for el in node.xpath(".//p | .//li | .//h1 | .//h2 | .//h3 | .//h4 | .//td | .//pre | .//blockquote"):
        t = " ".join(" ".join(el.xpath(".//text()").getall()).split())
        if t:
            blocks.append(t)
    if not blocks:
        blocks = [" ".join(" ".join(node.xpath(".//text()").getall()).split())]
    out, seen = [], set()
    for b in blocks:
        if b not in seen:  # nested blocks (li inside td) would otherwise repeat text
            seen.add(b)
            out.append(b)
    return "\n".join(out)


def parse_detail_page(body: bytes, ctx: PageContext, listed: ListEntry | None = None) -> DetailPage:
    sel, enc = selector_for(body, ctx)
    s = ctx.settings
    title = " ".join(" ".join(sel.css(s["detail_title"]).getall()).split()) if s.get("detail_title") else ""
    if not title:
        title = (listed.title if listed else "") or " ".join(" ".join(sel.css("title::text").getall()).split())
    body_nodes = sel.css(s["detail_body"]) if s.get("detail_body") else []
    if not body_nodes:
        body_nodes = sel.css("article") or sel.css("main") or sel.css("body")
    text = "\n".join(extract_text(n) for n in body_nodes).strip()
    stated = parse_date(" ".join(sel.css(s["detail_date"]).getall())) if s.get("detail_date") else None
    published = stated or (listed.date if listed else None)
    basis = "stated" if published else "inferred"
    if published is None:
        published = ctx.fetched_at.date()  # no date on the page: the fetch day, marked inferred
    if not title and not text:
        raise ctx.fail("page has neither a title nor any text")
    doc = Document.build(source=ctx.source, source_key=page_key(ctx.url, s.get("key_param")), kind=ctx.kind,
                         url=ctx.url, title=title, text=text, lang=ctx.lang, published=published,
                         published_basis=basis, fetched_at=ctx.fetched_at, jurisdiction=ctx.jurisdiction)
    return DetailPage(doc, enc)


_WS = re.compile(r"\s+")
