"""PDF reports (think-tank papers, ministry white papers): text extracted with pypdf, within limits.

A PDF that cannot be read (truncated, encrypted, not a PDF at all, too big, too many pages) raises
ParseError naming the URL: an error of that source, never a crash of the crawl.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import re

from crawlers.parsers.base import HostileInput, PageContext, ParseError
from crawlers.parsers.dates import parse_date
from ews.kernel.schema import Document

MAX_PDF_BYTES = 50 * 1024 * 1024
MAX_PDF_PAGES = 500
MAX_TEXT_CHARS = 2_000_000

logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns loudly about every small defect


def is_pdf(body: bytes, content_type: str | None = None) -> bool:
    return body[:1024].lstrip().startswith(b"%PDF-") or "application/pdf" in (content_type or "").lower()


def extract_pdf(body: bytes, where: str, *, max_bytes: int = MAX_PDF_BYTES, max_pages: int = MAX_PDF_PAGES,
                max_chars: int = MAX_TEXT_CHARS) -> tuple[str, dict]:
    """(text, metadata {title, created}) of a PDF; pages joined by blank lines."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if len(body) > max_bytes:
        raise HostileInput(f"{where}: PDF of {len(body)} bytes exceeds the {max_bytes}-byte limit")
    if not body.lstrip()[:5] == b"%PDF-":
        raise ParseError(f"{where}: not a PDF (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise ParseError(f"{where}: PDF is encrypted with a password")
            except (NotImplementedError, PyPdfError) as e:
                raise ParseError(f"{where}: PDF is encrypted and cannot be opened: {e}") from None
        n = len(reader.pages)
        if n > max_pages:
            raise HostileInput(f"{where}: PDF has {n} pages, more than the limit of {max_pages}")
        parts, size = [], 0
        for i, page in enumerate(reader.pages):
            t = page.extract_text() or ""
            parts.append(t.strip())
            size += len(t)
            if size > max_chars:
                parts.append(f"[text cut at {max_chars} characters, page {i + 1} of {n}]")
                break
        meta = {}
        info = reader.metadata or {}
        title = info.get("/Title") if hasattr(info, "get") else None
        if title:
            meta["title"] = " ".join(str(title).split())
        created = info.get("/CreationDate") if hasattr(info, "get") else None
        if created:
            meta["created"] = _pdf_date(str(created))
    except ParseError:
        raise
    except Exception as e:  # pypdf raises many kinds on broken files (PdfReadError, KeyError, ValueError …)
        raise ParseError(f"{where}: unreadable PDF: {type(e).__name__}: {e}") from None
    text = "\n\n".join(p for p in parts if p)
    return text, meta


def _pdf_date(value: str) -> dt.date | None:
    m = re.match(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?", value.strip())
    if not m or not m[2] or not m[3]:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def parse_pdf_document(body: bytes, ctx: PageContext, *, source_key: str | None = None, title: str = "",
                       stated_date: dt.date | None = None) -> Document:
    """A PDF report → one Document. Date: stated by the listing, else inferred (PDF metadata, text, fetch day)."""
    s = ctx.settings
    text, meta = extract_pdf(body, ctx.where, max_bytes=int(s.get("pdf_max_bytes", MAX_PDF_BYTES)),
                             max_pages=int(s.get("pdf_max_pages", MAX_PDF_PAGES)))
    first_line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    title = title or meta.get("title") or first_line[:300]
    if not (title or text.strip()):
        raise ParseError(f"{ctx.where}: PDF has no extractable text (scanned images?)")
    if stated_date is not None:
        published, basis = stated_date, "stated"
    else:
        published = meta.get("created") or parse_date(text[:2000]) or ctx.fetched_at.date()
        basis = "inferred"
    return Document.build(source=ctx.source, source_key=source_key or ctx.url, kind=ctx.kind, url=ctx.url,
                          title=title, text=text, lang=ctx.lang, published=published, published_basis=basis,
                          fetched_at=ctx.fetched_at, jurisdiction=ctx.jurisdiction)
