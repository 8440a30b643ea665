"""USPTO PatentsView PatentSearch API (search.patentsview.org/api/v1/patent/): queries and responses.

The API pages with a cursor: sort by patent_id and pass the last id of a page as `o.after`.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from pydantic import StrictInt

from crawlers.parsers.base import ApiPage, ApiRecord, PageContext, ParseError, add_records, json_object
from crawlers.parsers.dates import iso_date
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




class Assignee(ApiRecord):
    assignee_organization: str | None = None
    assignee_individual_name_first: str | None = None
    assignee_individual_name_last: str | None = None
    assignee_country: str | None = None


class Inventor(ApiRecord):
    inventor_name_first: str | None = None
    inventor_name_last: str | None = None
    inventor_country: str | None = None


class Application(ApiRecord):
    filing_date: str | None = None
    application_id: str | None = None


class CpcEntry(ApiRecord):
    cpc_group_id: str | None = None


class PatentRecord(ApiRecord):
    patent_id: str | StrictInt
    patent_title: str | None = None
    patent_abstract: str | None = None
    patent_date: str | None = None
    application: list[Application] | Application | None = None
    assignees: list[Assignee] | None = None
    inventors: list[Inventor] | None = None
    cpc_current: list[CpcEntry] | None = None


def _country(v: str | None) -> str | None:
    return v.strip() if v and v.strip() else None


def patent_to_document(raw: dict, ctx: PageContext) -> Document:
    rec = PatentRecord.model_validate(raw)
    pid = str(rec.patent_id).strip()
    if not pid:
        raise ValueError("record without patent_id")
    app = rec.application[0] if isinstance(rec.application, list) and rec.application else rec.application
    app = app if isinstance(app, Application) else Application()
    applicants = []
    for a in rec.assignees or []:
        name = a.assignee_organization or " ".join(
            x for x in (a.assignee_individual_name_first, a.assignee_individual_name_last) if x)
        if name and name.strip():
            applicants.append(Party(name=name.strip(), country=_country(a.assignee_country)))
    inventors = []
    for p in rec.inventors or []:
        name = " ".join(x for x in (p.inventor_name_first, p.inventor_name_last) if x).strip()
        if name:
            inventors.append(Party(name=name, country=_country(p.inventor_country)))
    cpc = [c.cpc_group_id for c in rec.cpc_current or [] if c.cpc_group_id]
    granted = iso_date(rec.patent_date)
    url_tmpl = ctx.settings.get("document_url")
    return Document.build(
        source=ctx.source, source_key=pid, kind="patent",
        url=url_tmpl.format(patent_id=pid) if url_tmpl else None,
        title=(rec.patent_title or "").strip(), text=(rec.patent_abstract or "").strip(),
        lang="en", published=granted, published_basis="stated" if granted else "inferred",
        fetched_at=ctx.fetched_at, jurisdiction="US",
        patent=PatentInfo(application_number=app.application_id, application_date=iso_date(app.filing_date),
                          publication_number=f"US{pid}", publication_date=granted, grant_date=granted,
                          applicants=applicants, inventors=inventors, cpc=cpc))


def _int(v, default: int) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else default


def parse_patentsview(body: bytes, ctx: PageContext) -> PatentPage:
    """One API response page → Documents; a bad record is reported, the rest of the page is kept."""
    obj = json_object(body, ctx)
    if obj.get("error"):
        raise ParseError(f"{ctx.where}: API error: {str(obj.get('reason') or obj.get('message') or obj)[:300]}")
    patents = obj.get("patents")
    if patents is None:
        patents = []
    if not isinstance(patents, list):
        raise ParseError(f"{ctx.where}: 'patents' is not a list")
    page = ApiPage()
    add_records(page, patents, patent_to_document, ctx, "patent", "patent_id")
    count = _int(obj.get("count"), len(patents))
    total = _int(obj.get("total_hits"), count)
    last = patents[-1].get("patent_id") if patents and isinstance(patents[-1], dict) else None
    if isinstance(last, bool) or not isinstance(last, (str, int)):
        last = None
    size = int(ctx.settings.get("page_size") or 1000)
    next_after = str(last) if last is not None and count >= size else None
    return PatentPage(page.documents, count, total, next_after, page.errors)
