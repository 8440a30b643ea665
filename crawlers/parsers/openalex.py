"""OpenAlex works API (api.openalex.org/works): queries and responses, cursor paging.

Response: {"meta": {"count", "per_page", "next_cursor"}, "results": [{id, doi, title, publication_date,
language, abstract_inverted_index: {word: [positions]}, authorships: [{author: {display_name},
institutions: [{display_name, country_code}], countries: [...]}], primary_location: {landing_page_url}}]}.
The last page has no `next_cursor` (or no results).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from urllib.parse import urlencode

from crawlers.parsers.base import ApiPage, ApiRecord, PageContext, ParseError, add_records, json_object, window_params
from crawlers.parsers.dates import iso_date
from ews.kernel.schema import Document

MAX_ABSTRACT_WORDS = 20_000


def build_url(endpoint: str, start: dt.date, end: dt.date, settings: dict, cursor: str = "*",
              mailto: str | None = None) -> str:
    filt = settings.get("filter") or "from_publication_date:{start:%Y-%m-%d},to_publication_date:{end_inclusive:%Y-%m-%d}"
    params = {"filter": filt.format(**window_params(start, end)), "per-page": str(int(settings.get("page_size", 200))),
              "cursor": cursor}
    if settings.get("search"):
        params["search"] = settings["search"]
    if mailto:
        params["mailto"] = mailto
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def abstract_from_inverted_index(index) -> str:
    """OpenAlex ships abstracts as {word: [positions]}; put the words back in order."""
    if not isinstance(index, dict):
        return ""
    slots: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(positions, list):
            continue
        for p in positions:
            if isinstance(p, int) and 0 <= p < MAX_ABSTRACT_WORDS:
                slots[p] = str(word)
    return " ".join(slots[k] for k in sorted(slots))




class Institution(ApiRecord):
    display_name: str | None = None
    country_code: str | None = None


class Authorship(ApiRecord):
    institutions: list[Institution] | None = None
    countries: list[str] | None = None


class Location(ApiRecord):
    landing_page_url: str | None = None


class Work(ApiRecord):
    id: str
    doi: str | None = None
    title: str | None = None
    display_name: str | None = None
    publication_date: str | None = None
    language: str | None = None
    abstract_inverted_index: dict[str, list] | None = None
    authorships: list[Authorship] | None = None
    primary_location: Location | None = None


def work_countries(work: Work) -> list[str]:
    """Institution countries of the authors, in author order (duplicates kept: they weigh the majority)."""
    out = []
    for a in work.authorships or []:
        codes = [i.country_code for i in a.institutions or [] if i.country_code and len(i.country_code) == 2]
        codes = codes or [c for c in a.countries or [] if len(c) == 2]
        out.extend(c.upper() for c in dict.fromkeys(codes))
    return out


def work_to_document(rec: dict, ctx: PageContext) -> Document:
    work = Work.model_validate(rec)
    oid = work.id.strip()
    if not oid:
        raise ValueError("work without id")
    key = oid.rsplit("/", 1)[-1]
    published = iso_date(work.publication_date)
    title = " ".join((work.title or work.display_name or "").split())
    text = abstract_from_inverted_index(work.abstract_inverted_index)
    countries = work_countries(work)
    # The country of the work: the most frequent institution country, the first author's on a tie.
    jurisdiction = ctx.jurisdiction
    if countries:
        counts = Counter(countries)
        top = max(counts.values())
        jurisdiction = next(c for c in countries if counts[c] == top)
    loc = work.primary_location or Location()
    url = work.doi or loc.landing_page_url or oid
    lang = work.language if work.language and len(work.language) == 2 else None
    return Document.build(source=ctx.source, source_key=key, kind=ctx.kind, url=url, title=title, text=text,
                          lang=lang, published=published or ctx.fetched_at.date(),
                          published_basis="stated" if published else "inferred", fetched_at=ctx.fetched_at,
                          jurisdiction=jurisdiction)


def parse_openalex(body: bytes, ctx: PageContext) -> ApiPage:
    obj = json_object(body, ctx)
    if obj.get("error"):
        raise ParseError(f"{ctx.where}: API error: {obj.get('error')}: {obj.get('message', '')}")
    results = obj.get("results") or []
    if not isinstance(results, list):
        raise ParseError(f"{ctx.where}: 'results' is not a list")
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    page = ApiPage(total=meta.get("count") if isinstance(meta.get("count"), int) else None)
    add_records(page, results, work_to_document, ctx, "work", "id")
    cursor = meta.get("next_cursor")
    if cursor and isinstance(cursor, (str, int)) and results:
        page.extra["next_cursor"] = str(cursor)[:2000]
    return page
