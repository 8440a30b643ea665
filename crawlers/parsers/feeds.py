"""RSS 2.0 and Atom feeds (think tanks, agencies, arXiv's Atom API) → Documents."""
from __future__ import annotations

import html
import re

from crawlers.parsers.base import RECORD_ERRORS, PageContext, ParseError, validation_summary
from crawlers.parsers.dates import parse_date, parse_datetime
from crawlers.parsers.xmlsafe import local, parse_xml
from ews.kernel.schema import Document

_TAG = re.compile(r"<[^>]+>")


def _text(el) -> str:
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


def _child(item, *names):
    for c in item:
        if local(c.tag) in names:
            return c
    return None


def _children(item, name):
    return [c for c in item if local(c.tag) == name]


def _plain(s: str) -> str:
    # Descriptions often hold escaped HTML: unescape, strip tags, normalise spaces.
    return " ".join(_TAG.sub(" ", html.unescape(s)).split())


def parse_feed(body: bytes, ctx: PageContext) -> tuple[list[Document], list[str]]:
    """(documents, per-item errors). Items dated by pubDate/published/updated ('stated')."""
    root = parse_xml(body, ctx.where)
    name = local(root.tag)
    if name == "rss":
        channel = _child(root, "channel")
        items = _children(channel, "item") if channel is not None else []
    elif name == "feed":
        items = _children(root, "entry")
    elif name == "RDF":
        items = _children(root, "item")
    else:
        raise ParseError(f"{ctx.where}: not an RSS or Atom feed (root element <{name}>)")
    docs, errors = [], []
    for i, it in enumerate(items):
        try:
            docs.append(_item(it, ctx))
        except RECORD_ERRORS as e:
            errors.append(f"{ctx.where}: feed item #{i}: {validation_summary(e)}")
    return docs, errors


def _item(it, ctx: PageContext) -> Document:
    title = _plain(_text(_child(it, "title")))
    link_el = _child(it, "link")
    link = None
    if link_el is not None:
        link = link_el.get("href") or _text(link_el) or None
        for alt in _children(it, "link"):  # Atom: prefer rel=alternate
            if alt.get("rel", "alternate") == "alternate" and alt.get("href"):
                link = alt.get("href")
                break
    guid = _text(_child(it, "guid", "id")) or link
    if not guid:
        raise ValueError("item has neither guid/id nor link")
    summary = _plain(_text(_child(it, "description", "summary", "content", "encoded")))
    date_text = _text(_child(it, "pubDate", "published", "date", "updated"))
    when = parse_datetime(date_text)
    published = when.date() if when else parse_date(date_text)
    if published is None:
        published, basis = ctx.fetched_at.date(), "inferred"
    else:
        basis = "stated"
    lang = ctx.lang
    return Document.build(source=ctx.source, source_key=guid, kind=ctx.kind, url=link, title=title, text=summary,
                          lang=lang, published=published, published_basis=basis, fetched_at=ctx.fetched_at,
                          jurisdiction=ctx.jurisdiction)
