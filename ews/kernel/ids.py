"""Deterministic ids: the same thing always gets the same id, so every stage is idempotent."""
from __future__ import annotations

import hashlib


def stable_id(*parts: str, length: int = 20) -> str:
    """A hex digest of the parts joined by an unambiguous separator."""
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8"))
    return h.hexdigest()[:length]


def document_id(source: str, source_key: str) -> str:
    """A document is identified by its source and the source-side id (number, URL, guid)."""
    return f"{source}:{stable_id(source, source_key)}"


def alert_id(detector: str, series: str, period: str) -> str:
    return stable_id("alert", detector, series, period)


def content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()
