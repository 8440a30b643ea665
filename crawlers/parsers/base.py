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
    return dt.datetime.now(dt.timezone.utc)
