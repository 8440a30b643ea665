"""The one crawl processing chain: archive → (window) → normalise → validate → de-duplicate → store.

The Scrapy item pipelines run it for every fetched page, `ews reparse` for every archived one; both
with the same steps in the same order, so a reparse of unchanged parsers writes nothing new.

- archive: the raw response, gzip-compressed, with its URL and headers *redacted* (every configured
  secret of the source, and credential-named query parameters, replaced) — the archive is read by
  people and copied around; a key in it is a leaked key.
- window: documents dated outside the crawl window are dropped, except for parsers whose answers are
  the window's by construction (the spider table says which).
- normalise: repeats, language, inferred dates, digest items (crawlers.normalize).
- validate: once, at this boundary: the schema (a parser bug may have built a document by copy,
  skipping validation), the document belongs to the source it was crawled as, its URL is http(s).
- de-duplicate: policy and paper documents repeating one already stored are recorded and dropped.
- store: upsert by deterministic id.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import ValidationError

from crawlers.dedup import NearDuplicateDetector
from crawlers.index import CrawlIndex
from crawlers.normalize import normalize_document
from crawlers.parsers.base import validation_summary
from crawlers.spider_table import window_filtered
from ews.kernel.schema import Document
from ews.kernel.secrets import secret_values
from ews.kernel.store import Store

REDACTED = "REDACTED"
DEDUP_KINDS = ("policy", "paper")
# Query parameters that carry credentials or personal contact data in the APIs we call.
SECRET_PARAMS = {"servicekey", "accesskey", "api_key", "apikey", "key", "token", "access_token", "mailto",
                 "client_secret", "password", "secret", "email"}
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
MIN_SECRET_CHARS = 4


def source_secrets(source) -> list[str]:
    """Every configured secret: the values of the environment variables the registry entry names (`…_env`
    settings: keys, the OpenAlex mailto) and the kernel's secret values (passwords, keys, URL credentials
    of the whole environment), longest first."""
    values = set(secret_values())
    for name in source.credential_variables():
        value = os.environ.get(name)
        if value and len(value) >= MIN_SECRET_CHARS:
            values.add(value)
    return sorted(values, key=len, reverse=True)


def redact_text(text: str, secrets: list[str]) -> str:
    for s in secrets:
        if s in text:
            text = text.replace(s, REDACTED)
        q = urlencode({"": s})[1:]  # as it appears inside a query string (ews%40example.org)
        if q != s and q in text:
            text = text.replace(q, REDACTED)
    return text


def redact_url(url: str, secrets: list[str], params: set[str] | None = None) -> str:
    """The URL with credential-named query parameters and every known secret value replaced."""
    names = {p.lower() for p in (params or set())} | SECRET_PARAMS
    try:
        parts = urlsplit(url)
        if parts.query:
            q = [(k, REDACTED if k.lower() in names and v else v)
                 for k, v in parse_qsl(parts.query, keep_blank_values=True)]
            url = urlunsplit(parts._replace(query=urlencode(q)))
        if parts.password:
            url = url.replace(f":{parts.password}@", f":{REDACTED}@", 1)
    except ValueError:
        pass
    return redact_text(url, secrets)


def redact_message(text: str, secrets: list[str], params: set[str] | None = None) -> str:
    """A free-text message (that may quote URLs) with secret values and credential query values replaced."""
    names = sorted({p.lower() for p in (params or set())} | SECRET_PARAMS, key=len, reverse=True)
    text = redact_text(text, secrets)
    rx = re.compile(r"(?i)([?&;](?:" + "|".join(map(re.escape, names)) + r")=)[^&\s#'\"]+")
    return rx.sub(r"\1" + REDACTED, text)


def redact_headers(headers: dict, secrets: list[str]) -> dict:
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else redact_text(str(v), secrets)) for k, v in headers.items()}


@dataclass
class ChainResult:
    stored: list[Document] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    out_of_window: int = 0
    near_duplicates: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def _in_window(d: dt.date | None, window) -> bool:
    if not window or d is None:
        return True
    lo, hi = (dt.date.fromisoformat(str(w)) for w in window)
    return lo <= d < hi


def _http_url(url: str | None) -> str | None:
    if url and re.match(r"(?i)^https?://", url.strip()):
        return url
    return None


class CrawlChain:
    """One data directory's chain; `archive()` and `process()` per page. A context manager."""

    def __init__(self, home: Path | str, *, near_dup_threshold: float = 0.7, near_dup_window_days: int = 14,
                 index: CrawlIndex | None = None):
        self.home = Path(home)
        self.store = Store(self.home)
        self._own_index = index is None
        self.index = index if index is not None else CrawlIndex.shared(self.home)
        self.detector = NearDuplicateDetector(self.index, threshold=near_dup_threshold,
                                              window_days=near_dup_window_days)

    def close(self) -> None:
        try:
            self.store.close()
        finally:
            if self._own_index:
                self.index.release()

    def __enter__(self) -> CrawlChain:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------------------------ archive
    def archive(self, source, *, url: str, body: bytes, headers: dict, status: int, fetched_at: dt.datetime,
                role: str, context: dict, secret_params: set[str] | None = None) -> str:
        secrets = source_secrets(source)
        raw_id = self.store.put_raw(source=source.id, url=redact_url(url, secrets, secret_params), body=body,
                                    headers=redact_headers(headers, secrets), status=status, fetched_at=fetched_at)
        self.index.record_raw(raw_id, source.id, role, context)
        return raw_id

    # ------------------------------------------------------------------------------------ documents
    def process(self, source, documents: list[Document], *, raw_ref: str | None, window=None,
                where: str = "") -> ChainResult:
        res = ChainResult()
        if window and window_filtered(source.spider, source.parser):
            kept = [d for d in documents if _in_window(d.published, window)]
            res.out_of_window = len(documents) - len(kept)
            documents = kept
        normalised = []
        for d in documents:  # one by one: a document that no longer validates costs only itself
            try:
                normalised.extend(normalize_document(d, source.settings, window))
            except (ValueError, TypeError) as e:
                res.errors.append(f"{where}: normalising {getattr(d, 'id', '?')} failed: {validation_summary(e)}")
        documents = normalised
        valid = []
        for d in documents:
            try:
                data = d.model_dump()
                data["raw_ref"] = raw_ref or data.get("raw_ref")
                data["url"] = _http_url(data.get("url"))
                doc = Document.model_validate(data)
            except ValidationError as e:
                res.errors.append(f"{where}: invalid document {getattr(d, 'id', '?')}: {validation_summary(e)}")
                continue
            if doc.source != source.id:
                res.errors.append(f"{where}: document {doc.id} claims source {doc.source!r}, crawled as {source.id!r}")
                continue
            if doc.kind in DEDUP_KINDS and self.detector.check(doc) is not None:
                res.near_duplicates += 1
                continue
            valid.append(doc)
        if valid:
            counts = self.store.upsert_documents(valid)
            res.inserted, res.updated, res.unchanged = counts["inserted"], counts["updated"], counts["unchanged"]
        res.stored = valid
        return res
