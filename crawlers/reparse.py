"""`ews reparse`: documents made again from the raw archive, without fetching anything.

Every archived response is kept with its URL, headers and fetch time, and the crawlers' index records
how it was parsed (its role and the context its parser needed, e.g. the list entry a detail page was
found under and the crawl window). Re-parsing runs the current parsers and the same normalisation,
validation and near-duplicate check as a crawl and upserts by the same deterministic ids, so running
it twice (or after a crawl with unchanged parsers) writes nothing new; after a parser fix it updates
the documents in place.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from crawlers import settings as crawl_settings
from crawlers.dedup import NearDuplicateDetector
from crawlers.index import CrawlIndex
from crawlers.normalize import normalize_documents
from crawlers.parsers.base import PageContext, ParseError, validation_summary
from crawlers.registry import Source
from ews.kernel.schema import Document
from ews.kernel.store import Store

DEFAULT_ROLE = {"feed": "feed", "json_api": "api", "xml_api": "api", "html_list": "detail", "bulk_zip": "bulk_doc"}
NO_DOCUMENTS = {"list", "listing", "api-empty", "page"}


@dataclass
class ReparseReport:
    source: str
    raw: int = 0
    documents: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    near_duplicates: int = 0
    errors: list[str] = field(default_factory=list)

    def public(self) -> dict:
        return {"source": self.source, "raw": self.raw, "documents": self.documents, "inserted": self.inserted,
                "updated": self.updated, "unchanged": self.unchanged, "near_duplicates": self.near_duplicates,
                "errors": len(self.errors), "error_messages": self.errors[:20]}


def _in_window(d: dt.date | None, window) -> bool:
    if not window or d is None:
        return True
    lo, hi = (dt.date.fromisoformat(str(w)) for w in window)
    return lo <= d < hi


def documents_from_raw(source: Source, role: str, body: bytes, ctx: PageContext, context: dict) -> tuple[list[Document], list[str]]:
    """The documents a spider made of this response (before normalisation), with per-record errors."""
    window = context.get("window")
    if role in NO_DOCUMENTS:
        return [], []
    if role == "feed":
        from crawlers.parsers.feeds import parse_feed

        docs, errors = parse_feed(body, ctx)
        return [d for d in docs if _in_window(d.published, window)], errors
    if role == "api":
        if source.spider == "xml_api":
            from crawlers.spiders.xml_api import parse_xml_api_page

            page = parse_xml_api_page(source.parser, body, ctx)
            return page.documents, page.errors
        from crawlers.spiders.json_api import parse_api_page

        page = parse_api_page(source.parser, body, ctx)
        docs = page.documents if source.parser == "patentsview" else [
            d for d in page.documents if _in_window(d.published, window)]
        return docs, page.errors
    if role == "detail":
        from crawlers.parsers.html import ListEntry
        from crawlers.spiders.html_list import detail_documents

        listed = None
        if context.get("listed"):
            li = context["listed"]
            listed = ListEntry(li["url"], li.get("title") or "",
                               dt.date.fromisoformat(li["date"]) if li.get("date") else None)
        docs = detail_documents(body, ctx, listed)
        return [d for d in docs if _in_window(d.published, window)], []
    if role == "bulk_doc":
        from crawlers.parsers.patent_xml import parse_uspto_document

        return [parse_uspto_document(body, ctx)], []
    raise ParseError(f"{ctx.where}: archived with an unknown role {role!r}")


def reparse(home: Path | str, sources: list[Source], source_id: str | None = None) -> list[ReparseReport]:
    """Re-parse every archived response of the given sources (or only `source_id`); one report per source."""
    by_id = {s.id: s for s in sources}
    if source_id is not None and source_id not in by_id:
        raise KeyError(f"unknown source {source_id!r}: it is in neither the registry nor the demo registry")
    reports: dict[str, ReparseReport] = {}
    with Store(home) as store, CrawlIndex(home) as index:
        detector = NearDuplicateDetector(index, threshold=crawl_settings.NEAR_DUP_THRESHOLD,
                                         window_days=crawl_settings.NEAR_DUP_WINDOW_DAYS)
        for rec in list(store.iter_raw(source_id)):
            src = by_id.get(rec["source"])
            rep = reports.setdefault(rec["source"], ReparseReport(rec["source"]))
            if src is None:
                if len(rep.errors) < 50:
                    rep.errors.append(f"{rec['url']}: source {rec['source']!r} is no longer in the registry; skipped")
                continue
            rep.raw += 1
            meta, body = store.get_raw(rec["id"])
            known = index.raw_role(rec["id"])
            role, context = known if known else (DEFAULT_ROLE.get(src.spider, "page"), {})
            headers = {k.lower(): v for k, v in (meta.get("headers") or {}).items()}
            ctx = PageContext(source=src.id, kind=src.kind, url=meta["url"],
                              fetched_at=dt.datetime.fromisoformat(meta["fetched_at"]), lang=src.language,
                              jurisdiction=src.country, content_type=headers.get("content-type"),
                              settings=src.settings)
            try:
                docs, errors = documents_from_raw(src, role, body, ctx, context)
                rep.errors.extend(errors[: max(0, 50 - len(rep.errors))])
                docs = normalize_documents(docs, src.settings, context.get("window"))
            except (ParseError, ValueError) as e:
                if len(rep.errors) < 50:
                    rep.errors.append(str(e).splitlines()[0] if str(e) else type(e).__name__)
                continue
            valid = []
            for d in docs:
                try:
                    d = Document.model_validate({**d.model_dump(), "raw_ref": rec["id"]})
                except ValidationError as e:
                    rep.errors.append(f"{rec['url']}: invalid document {d.id}: {validation_summary(e)}")
                    continue
                if d.kind in ("policy", "paper") and detector.check(d) is not None:
                    rep.near_duplicates += 1
                    continue
                valid.append(d)
            if valid:
                counts = store.upsert_documents(valid)
                rep.documents += len(valid)
                for k in ("inserted", "updated", "unchanged"):
                    setattr(rep, k, getattr(rep, k) + counts[k])
    return list(reports.values())
