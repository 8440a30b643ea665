"""Publication dates as sources write them: 2024.03.15, 2024-03-15, 2024년 3월 15일, RFC 822, ISO 8601."""
from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime

_NUMERIC = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[.\-/년]\s*(\d{1,2})\s*[.\-/월]\s*(\d{1,2})(?!\d)")
_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")
_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_ENGLISH = re.compile(r"(?i)\b(\d{1,2})?\s*(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})?,?\s*((?:19|20)\d{2})\b")


def parse_date(text: str | None) -> dt.date | None:
    """The first date in the text, or None; never guesses a date from a bare year."""
    if not text:
        return None
    text = text.strip()
    m = _NUMERIC.search(text)
    if m:
        return _safe(int(m[1]), int(m[2]), int(m[3]))
    if "," in text and re.search(r"\d{2}:\d{2}", text):
        try:
            return parsedate_to_datetime(text).date()  # RFC 822 (RSS pubDate)
        except (TypeError, ValueError, IndexError):
            pass
    m = _ENGLISH.search(text)
    if m:
        day = m[1] or m[3]
        if day:
            return _safe(int(m[4]), _MONTHS[m[2].lower()[:3]], int(day))
    m = _COMPACT.search(text)
    if m:
        return _safe(int(m[1]), int(m[2]), int(m[3]))
    return None


def iso_date(value) -> dt.date | None:
    """An API's ISO date field (2024-03-15 or a timestamp starting with it), or None when absent or not a date."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def parse_datetime(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _safe(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None
