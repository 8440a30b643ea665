"""Crawler test fixtures: a real HTTP server on 127.0.0.1 serving the demo sources and hostile pages."""
from __future__ import annotations

import datetime as dt

import pytest

from crawlers.parsers.base import PageContext


def make_ctx(url: str = "http://127.0.0.1/x", source: str = "t-src", kind: str = "policy", lang: str | None = "en",
             settings: dict | None = None, content_type: str | None = None, jurisdiction: str | None = "US") -> PageContext:
    return PageContext(source=source, kind=kind, url=url, lang=lang, jurisdiction=jurisdiction,
                       fetched_at=dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
                       content_type=content_type, settings=settings or {})


@pytest.fixture
def ctx_factory():
    return make_ctx
