"""KIPRIS Plus (plus.kipris.or.kr) patent and utility-model search, XML: queries and responses.

Response (getAdvancedSearch):
<response><header><resultCode>00</resultCode><resultMsg>NORMAL SERVICE.</resultMsg></header>
  <body><items><item><applicationNumber/><applicationDate/><inventionTitle/><ipcNumber>A|B</ipcNumber>
  <openNumber/><openDate/><publicationNumber/><publicationDate/><registerNumber/><registerDate/>
  <registerStatus/><astrtCont/><applicantName/></item>…</items>
  <numOfRows/><pageNo/><totalCount/></body></response>
A resultCode other than 00 is an API error (e.g. 30: service key not registered).
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from crawlers.parsers.base import RECORD_ERRORS, ApiPage, PageContext, ParseError, validation_summary
from crawlers.parsers.xmlsafe import local, parse_xml
from ews.kernel.schema import Document, Party, PatentInfo, normalize_cpc


def build_url(endpoint: str, start: dt.date, end: dt.date, settings: dict, page: int, key: str | None) -> str:
    """One page of the search for documents whose date (settings.date_param, default openDate) is in [start, end)."""
    fmt = settings.get("date_format", "%Y%m%d")
    span = f"{start.strftime(fmt)}~{(end - dt.timedelta(days=1)).strftime(fmt)}"
    params = {settings.get("date_param", "openDate"): span,
              settings.get("page_param", "pageNo"): str(page),
              settings.get("page_size_param", "numOfRows"): str(int(settings.get("page_size", 500)))}
    for k, v in (settings.get("query") or {}).items():
        params[k] = str(v)
    if key:
        params[settings.get("key_param", "ServiceKey")] = key
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def _kids(el) -> dict[str, str]:
    return {local(c.tag): " ".join("".join(c.itertext()).split()) for c in el}


def _date(v: str | None) -> dt.date | None:
    v = re.sub(r"\D", "", v or "")
    if len(v) != 8:
        return None
    try:
        return dt.date(int(v[:4]), int(v[4:6]), int(v[6:]))
    except ValueError:
        return None


def _ipc(text: str) -> list[str]:
    out = []
    for s in re.split(r"[|,;]", text or ""):
        s = re.sub(r"\(\d{4}\.\d{2}\)", "", s).strip()
        try:
            out.append(normalize_cpc(s))
        except ValueError:
            continue
    return out


def item_to_document(f: dict[str, str], ctx: PageContext) -> Document:
    app_no = f.get("applicationNumber") or ""
    if not app_no:
        raise ValueError("item without applicationNumber")
    reg_date, open_date, pub_date = _date(f.get("registerDate")), _date(f.get("openDate")), _date(f.get("publicationDate"))
    published = open_date or pub_date or reg_date
    number = f.get("registerNumber") if reg_date and not open_date else (f.get("openNumber") or f.get("publicationNumber"))
    applicants = [Party(name=n.strip(), country=None) for n in re.split(r"\s*[|;]\s*", f.get("applicantName") or "")
                  if n.strip()]
    info = PatentInfo(application_number=app_no, application_date=_date(f.get("applicationDate")),
                      publication_number=f"KR{number}" if number else None, publication_date=published,
                      grant_date=reg_date, applicants=applicants, ipc=_ipc(f.get("ipcNumber") or ""))
    return Document.build(source=ctx.source, source_key=app_no, kind="patent",
                          url=f"https://doi.org/10.8080/{app_no}" if ctx.settings.get("doi_links") else None,
                          title=f.get("inventionTitle") or app_no, text=f.get("astrtCont") or "", lang="ko",
                          published=published, published_basis="stated" if published else "inferred",
                          fetched_at=ctx.fetched_at, jurisdiction="KR", patent=info)


def parse_kipris(body: bytes, ctx: PageContext) -> ApiPage:
    root = parse_xml(body, ctx.where)
    if local(root.tag) != "response":
        raise ParseError(f"{ctx.where}: not a KIPRIS Plus response (root <{local(root.tag)}>)")
    header = _kids(root.find("{*}header")) if root.find("{*}header") is not None else {}
    code = header.get("resultCode", "00")
    if code not in ("00", "0", ""):
        raise ParseError(f"{ctx.where}: KIPRIS Plus error {code}: {header.get('resultMsg', '')}")
    body_el = root.find("{*}body")
    if body_el is None:
        raise ParseError(f"{ctx.where}: KIPRIS Plus response without <body>")
    meta = {local(c.tag): (c.text or "").strip() for c in body_el if len(c) == 0}
    page = ApiPage()
    for i, item in enumerate(body_el.iter("{*}item")):
        f = _kids(item)
        try:
            page.documents.append(item_to_document(f, ctx))
        except RECORD_ERRORS as e:
            page.errors.append(f"{ctx.where}: item #{i} ({f.get('applicationNumber', '?')[:80]}): {validation_summary(e)}")
    try:
        total, n, rows = int(meta.get("totalCount") or 0), int(meta.get("pageNo") or 1), int(meta.get("numOfRows") or 0)
    except ValueError:
        raise ParseError(f"{ctx.where}: non-numeric paging fields {meta}") from None
    page.total = total
    if rows > 0 and n > 0 and n * rows < total and page.documents + page.errors:
        page.extra["next_page"] = n + 1
    return page
