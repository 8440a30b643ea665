"""US Federal Register API (federalregister.gov/api/v1/documents.json): queries and responses.

Response: {"count", "total_pages", "next_page_url", "results": [{document_number, title, abstract,
publication_date, type, agencies: [{name, slug, ...}], html_url, pdf_url, ...}]}. The API pages with
`page=` and says where the next page is in `next_page_url` (absent on the last page).
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode, urlsplit

from crawlers.parsers.base import ApiPage, ApiRecord, PageContext, ParseError, add_records, json_object
from crawlers.parsers.dates import iso_date
from ews.kernel.schema import Document

DEFAULT_FIELDS = ["document_number", "title", "abstract", "publication_date", "type", "agencies", "html_url",
                  "pdf_url"]


def build_url(endpoint: str, start: dt.date, end: dt.date, settings: dict) -> str:
    """documents.json for publication dates in [start, end), oldest first."""
    params: list[tuple[str, str]] = [
        ("conditions[publication_date][gte]", start.isoformat()),
        ("conditions[publication_date][lte]", (end - dt.timedelta(days=1)).isoformat()),
    ]
    for a in settings.get("agencies") or []:
        params.append(("conditions[agencies][]", a))
    for t in settings.get("types") or []:
        params.append(("conditions[type][]", t))
    if settings.get("term"):
        params.append(("conditions[term]", settings["term"]))
    for f in settings.get("fields") or DEFAULT_FIELDS:
        params.append(("fields[]", f))
    params += [("per_page", str(int(settings.get("page_size", 1000)))), ("order", "oldest")]
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)




class Agency(ApiRecord):
    name: str | None = None
    raw_name: str | None = None


class FederalRegisterRecord(ApiRecord):
    document_number: str
    title: str | None = None
    abstract: str | None = None
    publication_date: str | None = None
    type: str | None = None
    agencies: list[Agency] | None = None
    html_url: str | None = None


def record_to_document(raw: dict, ctx: PageContext) -> Document:
    rec = FederalRegisterRecord.model_validate(raw)
    number = rec.document_number.strip()
    if not number:
        raise ValueError("record without document_number")
    published = iso_date(rec.publication_date)
    agencies = [a.name or a.raw_name for a in rec.agencies or []]
    agencies = [a for a in agencies if a]
    title = " ".join((rec.title or "").split())
    text = " ".join((rec.abstract or "").split())
    if agencies and not text:
        text = f"{rec.type or 'Document'} of {', '.join(agencies)}."
    return Document.build(source=ctx.source, source_key=number, kind=ctx.kind, url=rec.html_url or None,
                          title=title, text=text, lang="en", published=published or ctx.fetched_at.date(),
                          published_basis="stated" if published else "inferred", fetched_at=ctx.fetched_at,
                          jurisdiction="US")


def same_site(url: str, endpoint: str) -> bool:
    a, b = urlsplit(url), urlsplit(endpoint)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def parse_federal_register(body: bytes, ctx: PageContext) -> ApiPage:
    obj = json_object(body, ctx)
    if obj.get("errors"):
        raise ParseError(f"{ctx.where}: API error: {obj['errors']}")
    results = obj.get("results") or []
    if not isinstance(results, list):
        raise ParseError(f"{ctx.where}: 'results' is not a list")
    page = ApiPage(total=obj.get("count") if isinstance(obj.get("count"), int) else None)
    add_records(page, results, record_to_document, ctx, "result", "document_number")
    nxt = obj.get("next_page_url")
    if nxt and results:
        if not isinstance(nxt, str) or not same_site(nxt, ctx.url):
            page.errors.append(f"{ctx.where}: next_page_url {str(nxt)[:100]!r} leaves the API's site; not followed")
        else:
            page.next_url = nxt
    return page
