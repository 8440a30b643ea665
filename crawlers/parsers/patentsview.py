"""USPTO PatentsView PatentSearch API (search.patentsview.org/api/v1/patent/): queries and responses.

The API pages with a cursor: sort by patent_id and pass the last id of a page as `o.after`.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from pydantic import ValidationError

from crawlers.parsers.base import PageContext, ParseError, json_object
from ews.kernel.schema import Document, Party, PatentInfo

FIELDS = [
    "patent_id", "patent_title", "patent_abstract", "patent_date",
    "application.filing_date", "application.application_id",
    "assignees.assignee_organization", "assignees.assignee_individual_name_first",
    "assignees.assignee_individual_name_last", "assignees.assignee_country",
    "inventors.inventor_name_first", "inventors.inventor_name_last", "inventors.inventor_country",
    "cpc_current.cpc_group_id",
]


@dataclass
class PatentPage:
    documents: list[Document]
    count: int
    total_hits: int
    next_after: str | None
    errors: list[str] = field(default_factory=list)


def build_query_url(endpoint: str, window_start: dt.date, window_end: dt.date, *, size: int = 1000,
                    after: str | None = None, cpc_prefixes: list[str] | None = None,
                    date_field: str = "patent_date") -> str:
    """The GET URL of one page: patents with date_field in [window_start, window_end), sorted by patent_id."""
    crit: list[dict] = [{"_gte": {date_field: window_start.isoformat()}}, {"_lt": {date_field: window_end.isoformat()}}]
    if cpc_prefixes:
        crit.append({"_or": [{"_begins": {"cpc_current.cpc_group_id": p.replace(" ", "")}} for p in cpc_prefixes]})
    opts: dict = {"size": size}
    if after is not None:
        opts["after"] = after
    params = {"q": json.dumps({"_and": crit}, separators=(",", ":")),
              "f": json.dumps(FIELDS, separators=(",", ":")),
              "s": json.dumps([{"patent_id": "asc"}], separators=(",", ":")),
              "o": json.dumps(opts, separators=(",", ":"))}
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def _date(value) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value


def patent_to_document(rec: dict, ctx: PageContext) -> Document:
    pid = str(rec.get("patent_id") or "").strip()
    if not pid:
        raise ValueError("record without patent_id")
    app = _first(rec.get("application")) or {}
    applicants = []
    for a in rec.get("assignees") or []:
        name = a.get("assignee_organization") or " ".join(
            x for x in (a.get("assignee_individual_name_first"), a.get("assignee_individual_name_last")) if x)
        if name:
            applicants.append(Party(name=name.strip(), country=a.get("assignee_country") or None))
    inventors = []
    for p in rec.get("inventors") or []:
        name = " ".join(x for x in (p.get("inventor_name_first"), p.get("inventor_name_last")) if x).strip()
        if name:
            inventors.append(Party(name=name, country=p.get("inventor_country") or None))
    cpc = [c["cpc_group_id"] for c in rec.get("cpc_current") or [] if c.get("cpc_group_id")]
    granted = _date(rec.get("patent_date"))
    url_tmpl = ctx.settings.get("document_url")
    return Document.build(
        source=ctx.source, source_key=pid, kind="patent",
        url=url_tmpl.format(patent_id=pid) if url_tmpl else None,
        title=(rec.get("patent_title") or "").strip(), text=(rec.get("patent_abstract") or "").strip(),
        lang="en", published=granted, published_basis="stated" if granted else "inferred",
        fetched_at=ctx.fetched_at, jurisdiction="US",
        patent=PatentInfo(application_number=app.get("application_id"), application_date=_date(app.get("filing_date")),
                          publication_number=f"US{pid}", publication_date=granted, grant_date=granted,
                          applicants=applicants, inventors=inventors, cpc=cpc))


def parse_patentsview(body: bytes, ctx: PageContext) -> PatentPage:
    """One API response page → Documents; a bad record is reported, the rest of the page is kept."""
    obj = json_object(body, ctx)
    if obj.get("error"):
        raise ParseError(f"{ctx.where}: API error: {obj.get('reason') or obj.get('message') or obj}")
    patents = obj.get("patents")
    if patents is None:
        patents = []
    if not isinstance(patents, list):
        raise ParseError(f"{ctx.where}: 'patents' is not a list")
    docs, errors = [], []
    for i, rec in enumerate(patents):
        try:
            if not isinstance(rec, dict):
                raise ValueError(f"expected an object, got {type(rec).__name__}")
            docs.append(patent_to_document(rec, ctx))
        except (ValueError, ValidationError) as e:
            errors.append(f"{ctx.where}: patent #{i} ({rec.get('patent_id') if isinstance(rec, dict) else '?'}): "
                          f"{str(e).splitlines()[0] if not isinstance(e, ValidationError) else _short(e)}")
    count = int(obj.get("count") or len(patents))
    total = int(obj.get("total_hits") or count)
    last = patents[-1].get("patent_id") if patents and isinstance(patents[-1], dict) else None
    size = int(ctx.settings.get("page_size", 1000))
    next_after = str(last) if last is not None and count >= size else None
    return PatentPage(docs, count, total, next_after, errors)


def _short(e: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors()[:3])
