"""Page roles → parsers: what one fetched (or archived) page of each role is read into.

Each function takes the registry entry's parser name, the body, its PageContext and the context the
crawl recorded with the page (the list entry a detail page was found under …) and returns an ApiPage:
documents, per-record errors, paging hints. The spider table names them; spiders and `ews reparse`
both call them through `crawlers.spider_table.parse_page`.
"""
from __future__ import annotations

import datetime as dt

from crawlers.parsers.base import ApiPage, ParseError


def json_api_page(parser: str, body: bytes, ctx, context: dict) -> ApiPage:
    from crawlers.parsers import federal_register, openalex
    from crawlers.parsers.patentsview import parse_patentsview

    if parser == "patentsview":
        p = parse_patentsview(body, ctx)
        return ApiPage(documents=p.documents, errors=p.errors, total=p.total_hits,
                       extra={"next_after": p.next_after} if p.next_after is not None else {})
    if parser == "federal_register":
        return federal_register.parse_federal_register(body, ctx)
    if parser == "openalex":
        return openalex.parse_openalex(body, ctx)
    raise ParseError(f"the json_api spider has no parser {parser!r}")


def xml_api_page(parser: str, body: bytes, ctx, context: dict) -> ApiPage:
    from crawlers.parsers import epo_ops, kipris

    if parser == "epo_ops":
        return epo_ops.parse_search(body, ctx)
    if parser == "kipris":
        return kipris.parse_kipris(body, ctx)
    raise ParseError(f"the xml_api spider has no parser {parser!r}")


def feed_page(parser: str, body: bytes, ctx, context: dict) -> ApiPage:
    from crawlers.parsers.feeds import parse_feed

    docs, errors = parse_feed(body, ctx)
    return ApiPage(documents=docs, errors=errors)


def listed_entry(context: dict):
    """The list entry a detail page was found under, as the crawl recorded it (or None)."""
    from crawlers.parsers.html import ListEntry

    li = context.get("listed")
    if not isinstance(li, dict) or not li.get("url"):
        return None
    try:
        when = dt.date.fromisoformat(li["date"]) if li.get("date") else None
    except (TypeError, ValueError):
        when = None
    return ListEntry(str(li["url"]), str(li.get("title") or ""), when)


def listed_context(entry) -> dict:
    if entry is None:
        return {}
    return {"listed": {"url": entry.url, "title": entry.title, "date": entry.date.isoformat() if entry.date else None}}


def detail_page(parser: str, body: bytes, ctx, context: dict) -> ApiPage:
    """An HTML document page, or a PDF report a list links to directly."""
    from crawlers.parsers.html import page_key, parse_detail_page
    from crawlers.parsers.pdf import is_pdf, parse_pdf_document

    listed = listed_entry(context)
    if is_pdf(body, ctx.content_type):
        key = page_key(ctx.url, ctx.settings.get("key_param"))
        doc = parse_pdf_document(body, ctx, source_key=key, title=listed.title if listed else "",
                                 stated_date=listed.date if listed else None)
        return ApiPage(documents=[doc])
    page = parse_detail_page(body, ctx, listed)
    return ApiPage(documents=[page.document], extra={"decoded": page.decoded} if page.decoded else {})


def bulk_record(parser: str, body: bytes, ctx, context: dict) -> ApiPage:
    """One patent joined from the PatentsView bulk tables, archived as its API-shaped JSON record."""
    from crawlers.parsers.base import RECORD_ERRORS, json_object
    from crawlers.parsers.patentsview import patent_to_document

    try:
        return ApiPage(documents=[patent_to_document(json_object(body, ctx), ctx)])
    except ParseError:
        raise
    except RECORD_ERRORS as e:
        raise ParseError(f"{ctx.where}: bulk record unreadable: {str(e)[:300]}") from None


def bulk_document(parser: str, body: bytes, ctx, context: dict) -> ApiPage:
    from crawlers.parsers.patent_xml import parse_uspto_document

    return ApiPage(documents=[parse_uspto_document(body, ctx)])
