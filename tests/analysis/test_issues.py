"""Issue discovery on hand-made documents: the planted issue is found, named in ko and en, ranked, tracked."""
import datetime as dt

import pytest

from analysis.issues import IssueHistory, discover_issues
from ews.kernel.periods import PeriodError
from ews.kernel.schema import Alert
from tests.analysis.issue_docs import NOW, make_doc, planted_corpus


def alert_on(doc_ids):
    return Alert(id="alert-1", detector="t", series="tech:battery.next_gen", period="2024-06", direction="surge",
                 observed=9, expected=2, score=0.9, severity=0.8, method="t", first_seen=NOW, last_seen=NOW,
                 evidence={"contributors": {"documents": [{"id": i} for i in doc_ids]}})


def test_planted_issue_is_found_named_and_ranked_first(tmp_path):
    docs, tags, solid = planted_corpus()
    issues = discover_issues(docs, tags, "battery", period="2024-06", alerts=[alert_on(solid[:2])])
    top = issues[0]
    # one issue holds (nearly) all solid-electrolyte documents and nothing else
    assert len(set(top.documents) & set(solid)) >= 0.8 * len(solid)
    assert set(top.documents) <= set(solid)
    assert any("solid electrolyte" in p for p in top.phrases["en"]), top.phrases
    assert any("고체 전해질" in p.replace("고체전해질", "고체 전해질") for p in top.phrases["ko"]), top.phrases
    assert top.alerts == ["alert-1"] and top.relevance > max(i.relevance for i in issues[1:])
    assert "export_controls" in top.security_terms and "supply_chain" in top.security_terms
    assert top.growth > 0
    recycle = [i for i in issues if any("black mass" in p for p in i.phrases["en"])]
    assert recycle and recycle[0].growth < 0 and recycle[0].rank < top.rank
    assert recycle[0].phrases["ko"]     # no Korean text: named by its technology's Korean name
    assert {"id", "phrases", "growth", "relevance", "status", "documents", "alerts"} <= set(top.public())


def test_ids_are_stable_across_runs_and_status_follows_history(tmp_path):
    docs, tags, solid = planted_corpus()
    history = IssueHistory(tmp_path / "battery.json")
    first = discover_issues(docs, tags, "battery", period="2024-06", history=history)
    again = discover_issues(docs, tags, "battery", period="2024-06", history=history)
    assert [i.id for i in first] == [i.id for i in again] and all(i.status == "new" for i in first)
    # a month later, three more solid-electrolyte documents: the same issue, now tracked, still growing
    more = [make_doc(100 + k, f"Sulfide solid electrolyte for all-solid-state batteries, variant {k}",
                     dt.date(2024, 7, 2 + k)) for k in range(3)]
    later = discover_issues(docs + [d for d, _ in more], tags + [t for _, t in more], "battery",
                            period="2024-07", history=history)
    solid_first = next(i for i in first if set(i.documents) & set(solid))
    solid_later = next(i for i in later if set(i.documents) & set(solid))
    assert solid_later.id == solid_first.id and solid_later.status == "growing"
    recycle_later = [i for i in later if any("black mass" in p for p in i.phrases["en"])]
    assert recycle_later and recycle_later[0].status == "fading"


def test_a_field_without_documents_has_no_issues_and_bad_periods_are_refused():
    docs, tags, _ = planted_corpus()
    assert discover_issues(docs, tags, "quantum") == []
    with pytest.raises(PeriodError):
        discover_issues(docs, tags, "battery", period="2024-13")


def test_unreadable_history_is_named(tmp_path):
    bad = tmp_path / "battery.json"
    bad.write_text("{not json", encoding="utf-8")
    docs, tags, _ = planted_corpus()
    from analysis.issues import IssueError

    with pytest.raises(IssueError, match="battery.json: unreadable issue history"):
        discover_issues(docs, tags, "battery", history=IssueHistory(bad))
