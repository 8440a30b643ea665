from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


class ParseError(ValueError):
    """A response that cannot be read as the source's format; the message names the URL and the problem."""


class HostileInput(ParseError):
    """A response built to hurt the parser (entity expansion, external entities, oversize)."""


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


def json_object(body: bytes, ctx: PageContext) -> dict:
    """A JSON API response that must be an object; anything else is a parse error naming the page."""
    import json

    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise ParseError(f"{ctx.where}: response is not JSON: {e}") from None
    if not isinstance(obj, dict):
        raise ParseError(f"{ctx.where}: expected a JSON object, got {type(obj).__name__}")
    return obj


def add_records(page: ApiPage, results: list, convert, ctx: PageContext, what: str, key: str) -> None:
    """Convert each result to a Document; a bad one becomes an error naming its position and `key`,
    and the rest of the page is kept."""
    from pydantic import ValidationError

    for i, rec in enumerate(results):
        try:
            if not isinstance(rec, dict):
                raise ValueError(f"expected an object, got {type(rec).__name__}")
            page.documents.append(convert(rec, ctx))
        except (ValueError, ValidationError) as e:
            ident = rec.get(key) if isinstance(rec, dict) else "?"
            page.errors.append(f"{ctx.where}: {what} #{i} ({ident}): {validation_summary(e)}")
