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

    def fail(self, problem: str) -> ParseError:
        return ParseError(f"{self.url}: {problem}")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
