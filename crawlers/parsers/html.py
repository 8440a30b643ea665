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

from lxml import etree
from parsel import Selector

from crawlers.linkpolicy import is_non_link
from crawlers.parsers.base import HostileInput, PageContext, ParseError
from crawlers.parsers.dates import parse_date
from crawlers.parsers.encoding import Decoded, decode_body
from ews.kernel.schema import Document

# Government pages are tens to hundreds of kilobytes; a page this big is an attack or an accident, and
# parsing it would cost minutes and gigabytes (a 50 MB page: 70 s and +825 MB before this cap).
MAX_HTML_BYTES = 8 * 1024 * 1024
MAX_TEXT_CHARS = 1_000_000
MAX_LIST_ENTRIES = 2_000

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
    non_links: int = 0               # hrefs that name no document (javascript:, mailto:, #…): skipped
    decoded: Decoded | None = None


@dataclass
class DetailPage:
    document: Document
    encoding: str = ""
    decoded: Decoded | None = None


def selector_for(body: bytes, ctx: PageContext) -> tuple[Selector, Decoded]:
    if len(body) > MAX_HTML_BYTES:
        raise HostileInput(f"{ctx.where}: HTML page of {len(body)} bytes exceeds the {MAX_HTML_BYTES}-byte limit")
    if not body.strip():
        raise ctx.fail("empty response body")
    decoded = decode_body(body, ctx.content_type, ctx.where, ctx.lang)
    return Selector(text=decoded.text, type="html"), decoded


def _required(ctx: PageContext, name: str) -> str:
    value = ctx.settings.get(name)
    if not value:
        raise ParseError(f"source {ctx.source}: settings.{name} (a CSS selector) is missing in the registry")
    return value


def parse_list_page(body: bytes, ctx: PageContext) -> ListPage:
    sel, decoded = selector_for(body, ctx)
    items = sel.css(_required(ctx, "list_item"))
    link_sel, date_sel = _required(ctx, "item_link"), ctx.settings.get("item_date")
    entries, non_links = [], 0
    for it in items[:MAX_LIST_ENTRIES]:
        href = it.css(link_sel).get()
        if not href:
            continue
        if is_non_link(href):
            non_links += 1
            continue
        url = _join(ctx.url, href)
        if url is None:
            non_links += 1
            continue
        title = " ".join(" ".join(it.css(link_sel.split("::")[0] + " ::text").getall()).split())[:1000]
        date = parse_date(" ".join(it.css(date_sel).getall())[:200]) if date_sel else None
        entries.append(ListEntry(url, title, date))
    nxt = sel.css(ctx.settings["next_page"]).get() if ctx.settings.get("next_page") else None
    if not entries and not items and ctx.settings.get("require_items", True):
        raise ctx.fail(f"no list items match {ctx.settings['list_item']!r} (page layout changed or wrong page?)")
    next_url = _join(ctx.url, nxt) if nxt and not is_non_link(nxt) else None
    return ListPage(entries, next_url, decoded.encoding, non_links, decoded)


def _join(base: str, href: str) -> str | None:
    """The absolute URL of a link, or None when it cannot be one (a broken IPv6 literal, a bad port)."""
    try:
        url = urljoin(base, "".join(href.split()) if href.strip().lower().startswith(("http", "/")) else href.strip())
        _ = urlsplit(url).port  # raises on a port that is not a number
    except ValueError:
        return None
    return url


def page_key(url: str, key_param: str | None) -> str:
    """The source-side id of a page: the value of key_param when given (e.g. seq=1234), else the URL."""
    if key_param:
        values = parse_qs(urlsplit(url).query).get(key_param)
        if values and values[0]:
            return values[0]
    return url


_BLOCKS = etree.XPath(".//p | .//li | .//h1 | .//h2 | .//h3 | .//h4 | .//td | .//pre | .//blockquote")


def extract_text(node: Selector, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Paragraph-aware text of a node with page furniture removed. Works on lxml elements directly: a
    parsel Selector per block made an 8 MB page of paragraphs take 50 s."""
    root = node.root
    for bad in node.css(_DROP):
        el = bad.root
        if el.getparent() is not None:
            el.getparent().remove(el)
    blocks, size = [], 0
    for el in _BLOCKS(root):
        t = " ".join(" ".join(el.itertext()).split())
        if t:
            blocks.append(t)
            size += len(t)
            if size > max_chars:
                break
    if not blocks:
        blocks = [" ".join(" ".join(root.itertext()).split())] if hasattr(root, "itertext") else []
    out, seen = [], set()
    for b in blocks:
        if b not in seen:  # nested blocks (li inside td) would otherwise repeat text
            seen.add(b)
            out.append(b)
    return "\n".join(out)


def parse_detail_page(body: bytes, ctx: PageContext, listed: ListEntry | None = None) -> DetailPage:
    sel, decoded = selector_for(body, ctx)
    s = ctx.settings
    title = " ".join(" ".join(sel.css(s["detail_title"]).getall()).split()) if s.get("detail_title") else ""
    if not title:
        title = (listed.title if listed else "") or " ".join(" ".join(sel.css("title::text").getall()).split())
    body_nodes = sel.css(s["detail_body"]) if s.get("detail_body") else []
    if not body_nodes:
        body_nodes = sel.css("article") or sel.css("main") or sel.css("body")
    text = "\n".join(extract_text(n) for n in body_nodes).strip()[:MAX_TEXT_CHARS]
    title = title[:2000]
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
    return DetailPage(doc, decoded.encoding, decoded)


_WS = re.compile(r"\s+")
