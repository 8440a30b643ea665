"""Analysts' tag judgements as training data: they outrank the weak labels of patent classes.

A document an analyst confirmed or corrected (`ews.kernel.feedback`) trains with the analyst's
technologies as explicit `labels`, whatever its CPC classes say through the concordance (explicit
labels come first in `resolve_labels`). A judged document always trains: it is never held out, since
the held-out comparison is on weak labels and an analyst's label is the best training signal there is.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from ews.kernel.feedback import TagJudgement
from ews.kernel.schema import ClassifyInput, Document


def judged_record(doc: Document, judgement: TagJudgement) -> ClassifyInput:
    return ClassifyInput.from_document(doc).model_copy(update={"labels": list(judgement.technologies)})


def apply_judgements(records: list[ClassifyInput], judgements: dict[str, TagJudgement],
                     judged_documents: Iterable[Document] = ()) -> tuple[list[ClassifyInput], dict]:
    """`records` with the analyst's technologies as labels where judged, plus the judged documents that
    were not among them; and counts of what went in (`analyst_labels`, `corrections`, `confirmations`)."""
    out, seen = [], set()
    for r in records:
        j = judgements.get(r.id)
        out.append(r.model_copy(update={"labels": list(j.technologies)}) if j else r)
        seen.add(r.id)
    for d in judged_documents:
        if d.id in judgements and d.id not in seen:
            out.append(judged_record(d, judgements[d.id]))
            seen.add(d.id)
    used = [judgements[i] for i in seen if i in judgements]
    return out, {"analyst_labels": len(used), "corrections": sum(j.action == "correct" for j in used),
                 "confirmations": sum(j.action == "confirm" for j in used)}


def training_lines(documents: Iterable[Document], judgements: dict[str, TagJudgement]) -> Iterator[dict]:
    """The judged documents as `ews train` input lines, with who judged and when."""
    for d in documents:
        j = judgements.get(d.id)
        if j is None:
            continue
        yield judged_record(d, j).model_dump(mode="json") | {
            "label_source": "analyst", "labelled_by": j.actor, "labelled_at": j.at.isoformat()}
