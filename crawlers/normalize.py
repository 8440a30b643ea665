"""Normalising parsed documents, the same way at crawl time and at `ews reparse` time.

- a body repeated inside one page (the article printed twice, as news sites do for a "clean view")
  is kept once, and share/print button lines are dropped;
- the language is detected from the text (the source's language is only the fallback);
- a missing publication date is inferred (a date in the opening text, else the fetch day) and
  marked `inferred`; a date the source states stays `stated`;
- a multi-item digest (bulletin) is split into one document per item, each with its own date,
  when the source's settings say `digest: true`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re

from crawlers.parsers.dates import parse_date
from crawlers.parsers.lang import detect_language
from ews.kernel.schema import Document

# Lines that are page furniture when they stand alone (news sites' button rows, in several languages).
FURNITURE = {
    "-", "|", "·", "기사 스크랩", "스크랩", "공유", "댓글", "클린뷰", "프린트", "인쇄", "글자크기", "가", "목록",
    "share", "print", "tweet", "email", "e-mail", "comments", "facebook", "twitter", "linkedin", "copy link",
    "分享", "打印", "印刷", "シェア", "ツイート",
}
MIN_REPEAT_CHARS = 20  # a paragraph this long seen twice in one page is a repetition, not a coincidence


def _norm_line(s: str) -> str:
    return " ".join(s.split()).casefold()


def remove_repeats(text: str) -> str:
    """Drop paragraphs that repeat an earlier one and stand-alone furniture lines; keep the order."""
    if not text:
        return text
    lines = text.splitlines()
    out, seen = [], set()
    for ln in lines:
        key = _norm_line(ln)
        if not key:
            continue
        if key in FURNITURE:
            continue
        if len(key) >= MIN_REPEAT_CHARS:
            if key in seen:
                continue
            seen.add(key)
        out.append(" ".join(ln.split()))
    text = "\n".join(out)
    # One paragraph holding the same body twice (no line breaks between the copies).
    flat = " ".join(text.split())
    n = len(flat)
    if n >= 2 * MIN_REPEAT_CHARS and "\n" not in text:
        half = (n - 1) // 2
        if flat[:half] == flat[n - half:] and flat[half:n - half].strip() == "":
            return flat[:half].strip()
    return text


def _rebuild(doc: Document, **changes) -> Document:
    data = doc.model_dump()
    data.update(changes)
    data["content_hash"] = ""  # derived again from the new title and text
    return Document.model_validate(data)


def normalize_document(doc: Document, settings: dict | None = None, window=None) -> list[Document]:
    """The normalised document, or the items of a digest whose dates fall in `window` ([start, end) ISO dates)."""
    settings = settings or {}
    changes: dict = {}
    if doc.kind != "patent":
        text = remove_repeats(doc.text)
        if text != doc.text:
            changes["text"] = text
    text = changes.get("text", doc.text)
    lang = detect_language(f"{doc.title}\n{text}", default=doc.lang)
    if lang and lang != doc.lang and doc.kind != "patent":
        changes["lang"] = lang
    elif doc.lang is None and lang:
        changes["lang"] = lang
    if doc.published is None:
        changes["published"] = parse_date(f"{doc.title}\n{text[:1500]}") or doc.fetched_at.date()
        changes["published_basis"] = "inferred"
    if changes:
        doc = _rebuild(doc, **changes)
    if settings.get("digest") and doc.kind != "patent":
        items = split_digest(doc)
        if items:
            if window:
                lo, hi = (dt.date.fromisoformat(str(w)) for w in window)
                items = [d for d in items if lo <= d.published < hi]
            return items
    return [doc]


def normalize_documents(docs, settings: dict | None = None, window=None) -> list[Document]:
    out = []
    for d in docs:
        out.extend(normalize_document(d, settings, window))
    return out


# ------------------------------------------------------------------------------------ digests

_BULLET = r"(?:[■□◆◇●○▶▷►◎※•\-*]|\d{1,2}[.)]|[①-⑳]|\[\d{1,2}\])"
_DATE = r"((?:19|20)\d{2}\s*[.\-/년]\s*\d{1,2}\s*[.\-/월]\s*\d{1,2}\s*일?\.?)"
# "□ 2024.03.05 Title", "2024-03-05 | Title", "■ Title (2024.03.05)", "1. Title ... 2024.3.5."
_HEAD_DATE_FIRST = re.compile(rf"^\s*(?:{_BULLET}\s*)?[\[(]?{_DATE}[\])]?\s*[|:\-–—]?\s*(.{{4,200}})$")
_HEAD_DATE_LAST = re.compile(rf"^\s*{_BULLET}\s*(.{{4,200}}?)\s*[\[(（]\s*{_DATE}\s*[\])）]\s*$")
MIN_DIGEST_ITEMS = 2


def _heading(line: str):
    m = _HEAD_DATE_FIRST.match(line)
    if m:
        d, title = parse_date(m[1]), m[2]
    else:
        m = _HEAD_DATE_LAST.match(line)
        if not m:
            return None
        title, d = m[1], parse_date(m[2])
    title = " ".join(title.strip(" -|:·").split())
    return (title, d) if d and title else None


def split_digest(doc: Document) -> list[Document]:
    """One document per dated item of a bulletin; [] when the text is not a digest of at least two items."""
    lines = [ln.strip() for ln in doc.text.splitlines() if ln.strip()]
    heads = [(i, h) for i, ln in enumerate(lines) if len(ln) <= 260 and (h := _heading(ln))]
    if len(heads) < MIN_DIGEST_ITEMS:
        return []
    items = []
    for k, (i, (title, date)) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        body = "\n".join(lines[i + 1:end])
        # The item's key: the digest's key and a hash of the item's heading, so order changes keep ids.
        h = hashlib.sha256(f"{date}|{title}".encode()).hexdigest()[:12]
        items.append(Document.build(
            source=doc.source, source_key=f"{doc.source_key}#item-{h}", kind=doc.kind, url=doc.url, title=title,
            text=body, lang=detect_language(f"{title}\n{body}", default=doc.lang), published=date,
            published_basis="stated", fetched_at=doc.fetched_at, jurisdiction=doc.jurisdiction, raw_ref=doc.raw_ref))
    return items
