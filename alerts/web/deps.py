"""Per-request resources: an alert store and the embedded document store, opened and closed for each request.

SQLite connections belong to the thread that opened them and requests run in
a thread pool, so nothing holding a connection is shared between requests.
"""
from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request

from alerts.base import AlertStore
from ews.kernel.store import Store


class StoreUnavailable(Exception):
    """The configured store cannot be reached; the app answers 503 with the reason."""


def unavailable_reason(exc: BaseException) -> str | None:
    """Why the store failed, if the failure is one of reaching it (not a bug): else None."""
    try:
        from elastic_transport import ConnectionError as TransportConnectionError
        from elastic_transport import ConnectionTimeout
        from elasticsearch import ApiError
    except ImportError:  # pragma: no cover - elasticsearch is a dependency
        return None
    if isinstance(exc, StoreUnavailable):
        return str(exc)
    if isinstance(exc, (TransportConnectionError, ConnectionTimeout)):
        return f"Elasticsearch cannot be reached ({type(exc).__name__}); try again when it is back"
    if isinstance(exc, ApiError) and getattr(exc, "status_code", None) in (429, 502, 503, 504):
        return f"Elasticsearch is not answering (HTTP {exc.status_code}); try again shortly"
    return None


def get_store(request: Request) -> Iterator[AlertStore]:
    try:
        store = request.app.state.store_factory()
    except Exception as e:
        reason = unavailable_reason(e)
        if reason:
            raise StoreUnavailable(reason) from e
        raise
    try:
        yield store
    finally:
        store.close()


def get_library(request: Request) -> Iterator[Store]:
    """The embedded store (documents, tags, raw archive, counts) under the data directory."""
    store = Store(request.app.state.home)
    try:
        yield store
    finally:
        store.close()
