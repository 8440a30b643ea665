from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict


class ParseError(ValueError):
    """A response that cannot be read as the source's format; the message names the URL and the problem."""


class HostileInput(ParseError):
    """A response built to hurt the parser (entity expansion, external entities, oversize)."""


class ApiRecord(BaseModel):
    """The shape of the fields an API parser reads; the API may add others."""
    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class PageContext:
    source: str
    kind: str
    url: str
    fetched_at: dt.datetime
    lang: str | None = None
    jurisdiction: str | None = None
    content_type: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """The URL for messages, shortened: API URLs carry long JSON queries."""
        return short_url(self.url)

    def fail(self, problem: str) -> ParseError:
        return ParseError(f"{self.where}: {problem}")


def short_url(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class ApiPage:
    """One page of a paged API: its documents, per-record errors, and where the next page is (None: last)."""
    documents: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    next_url: str | None = None
    total: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def window_params(start: dt.date, end: dt.date) -> dict[str, dt.date]:
    """Names a registry template may use for the window [start, end): start, end, end_inclusive."""
    return {"start": start, "end": end, "end_inclusive": end - dt.timedelta(days=1)}


def validation_summary(e: Exception) -> str:
    errors = getattr(e, "errors", None)
    if callable(errors):
        try:
            return "; ".join(f"{'.'.join(map(str, x['loc'])) or 'record'}: {x['msg']}" for x in errors()[:3])
        except Exception:
            pass
    return str(e).splitlines()[0] if str(e) else type(e).__name__


MAX_JSON_BYTES = 128 * 1024 * 1024
MAX_JSON_DEPTH = 64  # the APIs we read nest five levels deep; 100k-deep nesting is an attack


def _json_depth_ok(body: bytes, limit: int) -> bool:
    """Cheap bracket-depth scan (strings skipped) so json never recurses into hostile nesting."""
    import re

    depth = 0
    for m in re.finditer(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', body):
        t = m.group(0)
        if t in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return False
        elif t in (b"]", b"}"):
            depth -= 1
    return True


def json_object(body: bytes, ctx: PageContext) -> dict:
    """A JSON API response that must be an object; anything else is a parse error naming the page."""
    import json

    if len(body) > MAX_JSON_BYTES:
        raise HostileInput(f"{ctx.where}: JSON of {len(body)} bytes exceeds the {MAX_JSON_BYTES}-byte limit")
    if not _json_depth_ok(body, MAX_JSON_DEPTH):
        raise HostileInput(f"{ctx.where}: JSON nested deeper than {MAX_JSON_DEPTH} levels; refused")
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise ParseError(f"{ctx.where}: response is not JSON: {str(e)[:200]}") from None
    except RecursionError:
        raise HostileInput(f"{ctx.where}: JSON nested too deeply; refused") from None
    if not isinstance(obj, dict):
        raise ParseError(f"{ctx.where}: expected a JSON object, got {type(obj).__name__}")
    return obj


# What a record converter may raise on a record of an unexpected shape: the record's error, never the page's.
RECORD_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError, OverflowError)


def add_records(page: ApiPage, results: list, convert, ctx: PageContext, what: str, key: str) -> None:
    """Convert each result to a Document; a bad one becomes an error naming its position and `key`,
    and the rest of the page is kept (pydantic's ValidationError is a ValueError)."""
    for i, rec in enumerate(results):
        try:
            if not isinstance(rec, dict):
                raise ValueError(f"expected an object, got {type(rec).__name__}")
            page.documents.append(convert(rec, ctx))
        except RECORD_ERRORS as e:
            ident = rec.get(key) if isinstance(rec, dict) else "?"
            ident = ident if isinstance(ident, (str, int)) and not isinstance(ident, bool) else "?"
            page.errors.append(f"{ctx.where}: {what} #{i} ({str(ident)[:80]}): {validation_summary(e)}")
