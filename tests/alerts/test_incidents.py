"""The incident rule (alerts.incidents) on hand-made alerts, and review of an incident in the embedded store."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from alerts.base import InvalidTransition, ReviewConflict
from alerts.embedded import EmbeddedAlertStore
from alerts.incidents import (
    EVIDENCE_JACCARD,
    group_incidents,
    incident_counts,
    incident_id,
    refines,
    review_incident,
)
from ews.kernel.ids import alert_id
from ews.kernel.schema import Alert

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def alert(series, period="2025-06", direction="drop", docs=None, observed=3.0, severity=0.5, status="new"):
    evidence = {}
    if docs is not None:
        evidence["contributors"] = {"documents": [{"id": d} for d in docs[:5]], "documents_total": len(docs),
                                    "document_ids": sorted(docs)}
    return Alert(id=alert_id("count", series, period), detector="count", series=series, period=period,
                 direction=direction, observed=observed, expected=20.0, score=0.9, severity=severity,
                 method="test", evidence=evidence, status=status, first_seen=NOW, last_seen=NOW)


DOCS = [f"us:{i}" for i in range(8)]


def planted_drop():
    return [alert("field:battery", docs=DOCS, severity=0.6),
            alert("tech:battery.li_ion", docs=DOCS, severity=0.7),
            alert("tech:battery.li_ion|jurisdiction:US", docs=DOCS, severity=0.5)]


@pytest.mark.parametrize(("specific", "general", "expected"), [
    ("tech:battery.li_ion", "field:battery", True),                      # technology within its field
    ("tech:battery.li_ion|jurisdiction:US", "tech:battery.li_ion", True),  # a facet added
    ("tech:battery.li_ion|jurisdiction:US", "field:battery", True),       # both
    ("tech:battery.li_ion|jurisdiction:US", "field:battery|jurisdiction:US", True),
    ("field:battery", "tech:battery.li_ion", False),                      # the other way round
    ("tech:semi.memory", "field:battery", False),                         # another field
    ("tech:battery.li_ion|jurisdiction:US", "tech:battery.li_ion|country:US", False),  # sibling facets
    ("field:battery|policy:KR", "field:battery", False),                  # another corpus, not a subset
    ("tech:battery.li_ion|policy:KR", "field:battery|policy:KR", True),  # same corpus
    ("tech:battery.li_ion", "tech:battery.li_ion", False),                # not nested in itself
    ("source:kr.msit", "field:battery", False),
])
def test_nesting(specific, general, expected):
    assert refines(specific, general) is expected


def test_planted_drop_is_one_incident_led_by_the_most_specific_series():
    alerts = planted_drop()
    (inc,) = group_incidents(alerts)
    assert inc.lead.series == "tech:battery.li_ion|jurisdiction:US"
    assert [a.series for a in inc.others] == ["tech:battery.li_ion", "field:battery"]
    assert inc.severity == 0.7
    assert inc.id == incident_id(a.id for a in alerts)
    assert inc.public()["related_series"] == ["tech:battery.li_ion", "field:battery"]


def test_grouping_is_independent_of_order_and_ids_are_stable():
    alerts = planted_drop() + [alert("tech:semi.memory", docs=["kr:1", "kr:2"])]
    expected = [(i.id, i.alert_ids) for i in group_incidents(alerts)]
    for seed in range(5):
        shuffled = alerts[:]
        random.Random(seed).shuffle(shuffled)
        assert [(i.id, i.alert_ids) for i in group_incidents(shuffled)] == expected


@pytest.mark.parametrize("change", [
    {"period": "2025-07"},          # another period
    {"direction": "surge"},         # another direction
    {"docs": ["other:1", "other:2", "other:3", "us:0"]},  # evidence shared below the threshold
])
def test_not_the_same_event(change):
    a = alert("tech:battery.li_ion", docs=DOCS)
    b = alert("field:battery", **({"docs": DOCS} | change))
    assert len(group_incidents([a, b])) == 2


def test_jaccard_threshold_is_inclusive():
    # 4 shared of 8 in the union: exactly the threshold
    a = alert("tech:battery.li_ion", docs=DOCS[:6])
    b = alert("field:battery", docs=DOCS[2:])
    assert EVIDENCE_JACCARD == 0.5
    assert len(group_incidents([a, b])) == 1
    c = alert("field:battery", docs=DOCS[3:])  # 3 of 8
    assert len(group_incidents([a, c])) == 2


def test_without_document_evidence_equal_counts_group_and_unequal_do_not():
    assert len(group_incidents([alert("tech:x.y"), alert("field:x")])) == 1
    assert len(group_incidents([alert("tech:x.y"), alert("field:x", observed=4.0)])) == 2
    # one with evidence, one without: nothing shown to be shared
    assert len(group_incidents([alert("tech:x.y", docs=DOCS), alert("field:x")])) == 2


def test_unrelated_siblings_do_not_group_through_a_common_parent_unless_each_shares_with_it():
    # two technologies of one field, each sharing its documents with the field: one incident by transitivity
    f = alert("field:battery", docs=DOCS)
    a = alert("tech:battery.li_ion", docs=DOCS[:7])
    b = alert("tech:battery.solid", docs=DOCS[1:])
    (inc,) = group_incidents([a, b, f])
    assert len(inc.members) == 3 and inc.lead.series in ("tech:battery.li_ion", "tech:battery.solid")
    # alone, the siblings are not nested
    assert len(group_incidents([a, b])) == 2


def test_queue_counts_by_incident():
    alerts = planted_drop() + [alert("tech:semi.memory", docs=["kr:1"], status="triaged")]
    assert incident_counts(group_incidents(alerts)) == {"new": 1, "triaged": 1}


@pytest.fixture
def store(ews_home):
    s = EmbeddedAlertStore(ews_home)
    yield s
    s.close()


def test_review_of_an_incident_applies_to_every_alert(store):
    store.upsert_alerts(planted_drop())
    (inc,) = group_incidents(store.search())
    versions = {r.alert.id: r.version for r in inc.members}
    out = review_incident(store, inc, actor="kim", versions=versions, status="triaged", assignee="lee", note="one event")
    assert [r.alert.status for r in out] == ["triaged"] * 3
    for a_id in inc.alert_ids:
        r = store.get(a_id)
        assert r.alert.status == "triaged" and r.assignee == "lee"
        assert {h.actor for h in store.history(a_id)} == {"kim"}


def test_incident_review_checks_every_member_before_writing(store):
    store.upsert_alerts(planted_drop())
    (inc,) = group_incidents(store.search())
    versions = {r.alert.id: r.version for r in inc.members}
    # someone reviews one member meanwhile: the whole incident review is refused, nothing written
    other = inc.members[2]
    store.review(other.alert.id, actor="park", version=other.version, note="looked")
    with pytest.raises(ReviewConflict):
        review_incident(store, inc, actor="kim", versions=versions, status="triaged")
    assert all(store.get(i).alert.status == "new" for i in inc.alert_ids)
    # a status a member cannot take refuses the whole review too
    with pytest.raises(InvalidTransition):
        review_incident(store, inc, actor="kim", status="confirmed")
    assert all(store.get(i).alert.status == "new" for i in inc.alert_ids)
