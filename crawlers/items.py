"""What spiders hand to the item pipelines: one fetched page with the documents parsed from it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ews.kernel.schema import Document


@dataclass
class PageItem:
    source: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: dt.datetime
    documents: list[Document] = field(default_factory=list)
    # How to parse the archived body again (`ews reparse`): the role of the page (feed, api, list, detail,
    # listing, bulk_doc) and what its parser needed besides the body (list entry, crawl window …).
    role: str = "page"
    context: dict = field(default_factory=dict)
    archive: bool = True  # False: never archive (e.g. a response that carries a credential)
