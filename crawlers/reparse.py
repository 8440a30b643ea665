"""`ews reparse`: documents made again from the raw archive, without fetching anything.

Every archived response is kept with its URL, headers and fetch time, and the crawlers' index records
how it was parsed (its role and the context its parser needed, e.g. the list entry a detail page was
found under and the crawl window). Re-parsing runs the same parse (crawlers.spider_table.parse_page)
and the same processing chain (crawlers.chain) as a crawl and upserts by the same deterministic ids,
so running it twice (or after a crawl with unchanged parsers) writes nothing new; after a parser fix
it updates the documents in place. A row that cannot be read (a body that is not gzip, headers that
are not JSON, a bad fetch time) is that source's counted error, and the rest goes on.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crawlers import settings as crawl_settings
from crawlers.chain import CrawlChain
from crawlers.index import CrawlIndex
from crawlers.parsers.base import PageContext, ParseError
from crawlers.registry import Source
from crawlers.spider_table import parse_page, spider_type

MAX_MESSAGES = 50


@dataclass
class ReparseReport:
    source: str
    raw: int = 0
    documents: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    near_duplicates: int = 0
    error_count: int = 0
    errors: list[str] = field(default_factory=list)

    def error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_MESSAGES:
            self.errors.append(message)

    def public(self) -> dict:
        return {"source": self.source, "raw": self.raw, "documents": self.documents, "inserted": self.inserted,
                "updated": self.updated, "unchanged": self.unchanged, "near_duplicates": self.near_duplicates,
                "errors": self.error_count, "error_messages": self.errors[:20]}


def _read_row(store, index: CrawlIndex, rec: dict, src: Source):
    """(PageContext, body, role, context) of one archived response; raises ValueError naming what is broken."""
    try:
        meta, body = store.get_raw(rec["id"])
    except (OSError, EOFError, ValueError) as e:  # gzip.BadGzipFile is an OSError, json errors ValueErrors
        raise ValueError(f"archived response {rec['id']} ({rec['url'][:120]}) is unreadable: "
                         f"{type(e).__name__}: {str(e)[:200]}") from None
    headers = meta.get("headers")
    if not isinstance(headers, dict):
        raise ValueError(f"archived response {rec['id']}: headers are not a mapping")
    headers = {str(k).lower(): str(v) for k, v in headers.items()}
    try:
        fetched = dt.datetime.fromisoformat(str(meta["fetched_at"]))
    except (TypeError, ValueError):
        raise ValueError(f"archived response {rec['id']}: bad fetch time {str(meta.get('fetched_at'))[:40]!r}") from None
    if fetched.tzinfo is None:
        fetched = fetched.replace(tzinfo=dt.UTC)
    known = index.raw_role(rec["id"])
    role, context = known if known else (spider_type(src.spider).default_role, {})
    ctx = PageContext(source=src.id, kind=src.kind, url=meta["url"], fetched_at=fetched, lang=src.language,
                      jurisdiction=src.country, content_type=headers.get("content-type"), settings=src.settings)
    return ctx, body, role, context if isinstance(context, dict) else {}


def reparse(home: Path | str, sources: list[Source], source_id: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> list[ReparseReport]:
    """Re-parse every archived response of the given sources (or only `source_id`); one report per source.
    `progress(responses done, responses in all)` is called after each archived response."""
    by_id = {s.id: s for s in sources}
    if source_id is not None and source_id not in by_id:
        raise KeyError(f"unknown source {source_id!r}: it is in neither the registry nor the demo registry")
    reports: dict[str, ReparseReport] = {}
    with CrawlIndex(home) as index, CrawlChain(home, index=index,
                                               near_dup_threshold=crawl_settings.NEAR_DUP_THRESHOLD,
                                               near_dup_window_days=crawl_settings.NEAR_DUP_WINDOW_DAYS) as chain:
        rows = list(chain.store.iter_raw(source_id))
        for done, rec in enumerate(rows, start=1):
            if progress is not None and done > 1:
                progress(done - 1, len(rows))
            src = by_id.get(rec["source"])
            rep = reports.setdefault(rec["source"], ReparseReport(rec["source"]))
            if src is None:
                rep.error(f"{rec['url']}: source {rec['source']!r} is no longer in the registry; skipped")
                continue
            rep.raw += 1
            try:
                ctx, body, role, context = _read_row(chain.store, index, rec, src)
                page = parse_page(src, role, body, ctx, context)
            except (ParseError, ValueError) as e:
                rep.error(str(e).splitlines()[0] if str(e) else type(e).__name__)
                continue
            except Exception as e:  # a parser bug on an old hostile page costs that page only
                rep.error(f"{rec['url'][:120]}: parser failed: {type(e).__name__}: {str(e)[:200]}")
                continue
            for err in page.errors:
                rep.error(err)
            res = chain.process(src, page.documents, raw_ref=rec["id"], window=context.get("window"), where=ctx.where)
            for err in res.errors:
                rep.error(err)
            rep.near_duplicates += res.near_duplicates
            rep.documents += len(res.stored)
            rep.inserted += res.inserted
            rep.updated += res.updated
            rep.unchanged += res.unchanged
        if progress is not None:
            progress(len(rows), len(rows))
    return list(reports.values())
