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

from crawlers.parsers.base import ApiPage, PageContext, ParseError, add_records, json_object, window_params
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


def _date(v) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(v)[:10]) if v else None
    except ValueError:
        return None


def work_countries(rec: dict) -> list[str]:
    """Institution countries of the authors, in author order (duplicates kept: they weigh the majority)."""
    out = []
    for a in rec.get("authorships") or []:
        if not isinstance(a, dict):
            continue
        codes = [i.get("country_code") for i in a.get("institutions") or [] if isinstance(i, dict)]
        codes = [c for c in codes if isinstance(c, str) and len(c) == 2] or [
            c for c in a.get("countries") or [] if isinstance(c, str) and len(c) == 2]
        out.extend(c.upper() for c in dict.fromkeys(codes))
    return out


def work_to_document(rec: dict, ctx: PageContext) -> Document:
    oid = str(rec.get("id") or "").strip()
    if not oid:
        raise ValueError("work without id")
    key = oid.rsplit("/", 1)[-1]
    published = _date(rec.get("publication_date"))
    title = " ".join(str(rec.get("title") or rec.get("display_name") or "").split())
    text = abstract_from_inverted_index(rec.get("abstract_inverted_index"))
    countries = work_countries(rec)
    # The country of the work: the most frequent institution country, the first author's on a tie.
    jurisdiction = ctx.jurisdiction
    if countries:
        counts = Counter(countries)
        top = max(counts.values())
        jurisdiction = next(c for c in countries if counts[c] == top)
    loc = rec.get("primary_location") if isinstance(rec.get("primary_location"), dict) else {}
    url = rec.get("doi") or loc.get("landing_page_url") or oid
    lang = rec.get("language") if isinstance(rec.get("language"), str) and len(rec["language"]) == 2 else None
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
    if cursor and results:
        page.extra["next_cursor"] = str(cursor)
    return page
