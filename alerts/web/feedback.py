"""Analysts' tag feedback in the workbench: the kernel's append-only table (`ews.kernel.feedback`, one
owner of its schema), and the judged documents as `ews train` input lines with explicit `labels`,
which outrank labels derived from patent classes."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ews.kernel.feedback import TagFeedback, TagJudgement, latest_judgements
from ews.kernel.store import Store


class FeedbackStore(TagFeedback):
    """The kernel's feedback table, opened per request and closed when the object goes."""

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - closing at collection must never raise
            pass


def training_records(home: Path | str) -> Iterator[dict]:
    """The judged documents as `ews train` input lines: the document's text and the analyst's `labels`."""
    latest = latest_judgements(home)
    with Store(home) as store:
        for doc_id in sorted(latest):
            doc = store.get_document(doc_id)
            if doc is None:  # judged, then removed from the store: nothing to train on
                continue
            j = latest[doc_id]
            yield {"id": doc.id, "title": doc.title, "text": doc.text, "lang": doc.lang,
                   "cpc": list(doc.patent.cpc) if doc.patent else [], "labels": j.technologies,
                   "label_source": "analyst", "labelled_by": j.actor, "labelled_at": j.at.isoformat()}


__all__ = ["FeedbackStore", "TagJudgement", "training_records"]
