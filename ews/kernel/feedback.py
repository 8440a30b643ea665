"""Analysts' tag feedback: a document's technologies confirmed or corrected, with who and when.

The kernel owns the table (`tag_feedback` in the data directory's database) because two domains meet
on it: the review app writes judgements (alerts.web) and training reads them (models.classify).
Judgements are appended, never updated; the latest per document is the one that counts. The row
body is the `TagJudgement` JSON.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ews.kernel.store import SideTable, immediate_transaction


class TagJudgement(BaseModel):
    doc_id: str = Field(min_length=1)
    action: Literal["confirm", "correct"]
    technologies: list[str] = Field(description="the technologies the analyst says the document is about")
    previous: list[str] = Field(default_factory=list, description="what the model had assigned")
    actor: str = Field(min_length=1, description="the authenticated user who judged")
    at: dt.datetime


class TagFeedback(SideTable):
    def record(self, doc_id: str, technologies: list[str], previous: list[str], actor: str,
               at: dt.datetime | None = None) -> TagJudgement:
        techs, prev = sorted(set(technologies)), sorted(set(previous))
        j = TagJudgement(doc_id=doc_id, action="confirm" if techs == prev else "correct", technologies=techs,
                         previous=prev, actor=actor, at=at or dt.datetime.now(dt.UTC))
        with immediate_transaction(self._conn) as c:
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) FROM tag_feedback WHERE doc_id=?", (doc_id,)).fetchone()[0]
            c.execute("INSERT INTO tag_feedback VALUES (?,?,?)", (doc_id, seq + 1, j.model_dump_json()))
        return j

    def history(self, doc_id: str) -> list[TagJudgement]:
        rows = self._conn.execute("SELECT body FROM tag_feedback WHERE doc_id=? ORDER BY seq", (doc_id,)).fetchall()
        return [TagJudgement.model_validate_json(b) for (b,) in rows]

    def latest(self) -> dict[str, TagJudgement]:
        """The last judgement of every judged document, by document id."""
        rows = self._conn.execute("SELECT body FROM tag_feedback ORDER BY doc_id, seq").fetchall()
        return {j.doc_id: j for j in (TagJudgement.model_validate_json(b) for (b,) in rows)}


def latest_judgements(home: Path | str) -> dict[str, TagJudgement]:
    """The latest judgement per document in the data directory `home` (empty when there is none)."""
    if not (Path(home) / "ews.sqlite").is_file():
        return {}
    with TagFeedback(home) as fb:
        return fb.latest()
