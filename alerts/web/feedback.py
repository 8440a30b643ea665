"""Analysts' tag feedback: a document's technologies confirmed or corrected, with who and when.

Every judgement is appended (never updated), in the embedded store's database
file; the latest judgement per document is what training uses.
`training_records` yields them in the `ews train` input format with explicit
`labels`, which outrank labels derived from patent classes.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ews.kernel.store import Store, immediate_transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS tag_feedback (
  doc_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (doc_id, seq));
CREATE TRIGGER IF NOT EXISTS tag_feedback_no_update BEFORE UPDATE ON tag_feedback
  BEGIN SELECT RAISE(ABORT, 'tag feedback is append-only'); END;
"""


class TagJudgement(BaseModel):
    doc_id: str
    action: Literal["confirm", "correct"]
    technologies: list[str] = Field(description="the technologies the analyst says the document is about")
    previous: list[str] = Field(default_factory=list, description="what the model had assigned")
    actor: str
    at: dt.datetime


class FeedbackStore:
    def __init__(self, home: Path | str):
        self.db_path = Path(home) / "ews.sqlite"
        with self._connect() as c:
            c.executescript(SCHEMA)

    @contextmanager
    def _connect(self):
        conn = sqlite3.connect(self.db_path, timeout=60, isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()

    def record(self, doc_id: str, technologies: list[str], previous: list[str], actor: str) -> TagJudgement:
        techs = sorted(set(technologies))
        action = "confirm" if techs == sorted(set(previous)) else "correct"
        j = TagJudgement(doc_id=doc_id, action=action, technologies=techs, previous=sorted(set(previous)),
                         actor=actor, at=dt.datetime.now(dt.UTC))
        with self._connect() as c, immediate_transaction(c):
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) FROM tag_feedback WHERE doc_id=?", (doc_id,)).fetchone()[0]
            c.execute("INSERT INTO tag_feedback VALUES (?,?,?)", (doc_id, seq + 1, j.model_dump_json()))
        return j

    def history(self, doc_id: str) -> list[TagJudgement]:
        with self._connect() as c:
            rows = c.execute("SELECT body FROM tag_feedback WHERE doc_id=? ORDER BY seq", (doc_id,)).fetchall()
        return [TagJudgement.model_validate_json(b) for (b,) in rows]

    def latest(self) -> dict[str, TagJudgement]:
        """The last judgement of every judged document."""
        with self._connect() as c:
            rows = c.execute("SELECT body FROM tag_feedback ORDER BY doc_id, seq").fetchall()
        return {j.doc_id: j for j in (TagJudgement.model_validate_json(b) for (b,) in rows)}


def training_records(home: Path | str) -> Iterator[dict]:
    """The judged documents as `ews train` input lines: the document's text and the analyst's `labels`."""
    latest = FeedbackStore(home).latest()
    with Store(home) as store:
        for doc_id in sorted(latest):
            doc = store.get_document(doc_id)
            if doc is None:  # judged, then removed from the store: nothing to train on
                continue
            j = latest[doc_id]
            yield {"id": doc.id, "title": doc.title, "text": doc.text, "lang": doc.lang,
                   "cpc": list(doc.patent.cpc) if doc.patent else [], "labels": j.technologies,
                   "label_source": "analyst", "labelled_by": j.actor, "labelled_at": j.at.isoformat()}
