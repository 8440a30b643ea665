"""What spiders hand to the item pipelines: one fetched page with the documents parsed from it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ews.schema import Document


@dataclass
class PageItem:
    source: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: dt.datetime
    documents: list[Document] = field(default_factory=list)
