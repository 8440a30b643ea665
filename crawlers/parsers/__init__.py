"""Parsers: pure functions from response bytes to Documents, testable without Scrapy.

Every parser takes the body bytes and a `PageContext` (which source, which URL, when fetched) and
returns Documents (and, for list pages and paged APIs, what to fetch next). A malformed or hostile
body raises `ParseError` (or its subclass `HostileInput`) naming the URL and the problem; the spider
records it as an error of that source and goes on.
"""
from crawlers.parsers.base import HostileInput, PageContext, ParseError

__all__ = ["HostileInput", "PageContext", "ParseError"]
