"""Incidents: alerts that report one event on nested series, grouped so an analyst reviews it once.

One planted drop in US lithium-ion patents shows in `field:battery`,
`tech:battery.li_ion` and `tech:battery.li_ion|jurisdiction:US` for the same
period: three alerts, one event. The grouping rule (ElastAlert2's aggregation
key, Kibana's alert grouping) is:

Two alerts belong to the same incident when all of these hold:

1. **Same period and same direction** (a surge never groups with a drop).
2. **Nested series**: one key refines the other. Key A refines key B when
   - A's subject equals B's or narrows it (a technology refines its field:
     `tech:battery.li_ion` ⊂ `field:battery`), and
   - A's dimensions include all of B's (a facet added:
     `tech:battery.li_ion|jurisdiction:US` ⊂ `tech:battery.li_ion`), and
   - both count the same corpus (`policy:…` and `paper:…` name what is
     counted, not a subset of it: `field:battery|policy:KR` counts policy
     documents and never nests in `field:battery`, which counts patents),
   and the keys differ. Keys are read by the one series key
   (`ews.kernel.series.SeriesKey`); free keys (a CSV's own names) nest only
   when one is the other plus added `|…` parts.
3. **Shared evidence**: the Jaccard index of the two alerts' evidence
   document ids is at least `EVIDENCE_JACCARD` (0.5), or neither alert has
   document evidence and their observed counts are equal.

Grouping is the transitive closure of that pairwise relation (union-find), so
the field, the technology and the technology in one jurisdiction form one
incident even when only neighbouring levels were compared. The **lead** is the
most specific member: most dimensions first, a technology before a field, then
the highest severity, then the series key. The incident id is a digest of the
sorted member alert ids: the same alerts always give the same incident, and
an incident that gains a member is a new incident (its review state lives on
its alerts, so nothing is lost).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from alerts.base import AlertStore, AlertStoreError, ReviewConflict, ReviewedAlert, check_transition
from ews.kernel.ids import stable_id
from ews.kernel.schema import Alert
from ews.kernel.series import SeriesKey

EVIDENCE_JACCARD = 0.5


def _key(series: str) -> SeriesKey:
    return SeriesKey.read(series)


def _dimensions(k: SeriesKey) -> set[tuple[str, str]]:
    return {(k.dimension, k.value)} if k.dimension else set()


def refines(specific: str, general: str) -> bool:
    """True when series `specific` counts a subset of what `general` counts (see the module's rule 2)."""
    if specific == general:
        return False
    a, b = _key(specific), _key(general)
    if a.subject_kind == "free" or b.subject_kind == "free":
        # a CSV's own names: only an added part on the same text nests ('x.y|A' in 'x.y')
        return specific.startswith(general + "|")
    if a.corpus != b.corpus or not _dimensions(a) >= _dimensions(b):
        return False
    same_subject = (a.subject_kind, a.subject) == (b.subject_kind, b.subject)
    narrower_subject = a.subject_kind == "tech" and b.subject_kind == "field" and a.field == b.subject
    return same_subject or narrower_subject


def nested(x: str, y: str) -> bool:
    return refines(x, y) or refines(y, x)


def evidence_ids(alert: Alert) -> frozenset[str]:
    """The ids of the documents behind the alert's count: every counted one when the builder kept them
    (`document_ids`), else the listed ones."""
    contributors = (alert.evidence or {}).get("contributors") or {}
    ids = contributors.get("document_ids")
    if ids is None:
        ids = [d.get("id") for d in contributors.get("documents") or [] if isinstance(d, dict)]
    return frozenset(str(i) for i in ids if i)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def share_evidence(x: Alert, y: Alert, threshold: float = EVIDENCE_JACCARD) -> bool:
    ex, ey = evidence_ids(x), evidence_ids(y)
    if not ex and not ey:
        return float(x.observed) == float(y.observed)
    return jaccard(ex, ey) >= threshold


def same_event(x: Alert, y: Alert, threshold: float = EVIDENCE_JACCARD) -> bool:
    """The pairwise rule of the module docstring."""
    return (x.period == y.period and x.direction == y.direction and nested(x.series, y.series)
            and share_evidence(x, y, threshold))


def specificity(alert: Alert) -> tuple:
    """Sort key putting the lead first: most dimensions, technology before field, severity, series."""
    k = _key(alert.series)
    depth = len(_dimensions(k)) if k.subject_kind != "free" else alert.series.count("|")
    return (-depth, 0 if k.subject_kind == "tech" else 1, -alert.severity, alert.series, alert.id)


@dataclass(frozen=True)
class Incident:
    """One event: its lead (the most specific alert) first, then the others, most specific first."""

    id: str
    members: tuple  # Alert or ReviewedAlert, whichever was grouped

    @property
    def lead(self):
        return self.members[0]

    @property
    def others(self) -> tuple:
        return self.members[1:]

    @property
    def alert_ids(self) -> list[str]:
        return [_alert(m).id for m in self.members]

    @property
    def severity(self) -> float:
        return max(_alert(m).severity for m in self.members)

    def public(self) -> dict:
        lead = _alert(self.lead)
        return {"incident": self.id, "lead": lead.id, "series": lead.series, "period": lead.period,
                "direction": lead.direction, "severity": self.severity, "alerts": self.alert_ids,
                "related_series": [_alert(m).series for m in self.others]}


def _alert(item) -> Alert:
    return item.alert if isinstance(item, ReviewedAlert) else item


def incident_id(alert_ids: Iterable[str]) -> str:
    return "inc-" + stable_id("incident", *sorted(alert_ids), length=16)


def group_incidents(items: Sequence, threshold: float = EVIDENCE_JACCARD) -> list[Incident]:
    """Group alerts (or reviewed alerts) into incidents; every alert is in exactly one.

    Pure: the result depends only on the alerts, not on their order. Incidents come highest severity
    first, then by lead series and period, like the alert listings.
    """
    alerts = [_alert(i) for i in items]
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # only alerts of one period and direction can group: compare within those buckets
    buckets: dict[tuple[str, str], list[int]] = {}
    for i, a in enumerate(alerts):
        buckets.setdefault((a.period, a.direction), []).append(i)
    for idx in buckets.values():
        for n, i in enumerate(idx):
            for j in idx[n + 1:]:
                if find(i) != find(j) and same_event(alerts[i], alerts[j], threshold):
                    parent[max(find(i), find(j))] = min(find(i), find(j))
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(find(i), []).append(i)
    incidents = []
    for idx in groups.values():
        idx.sort(key=lambda i: specificity(alerts[i]))
        members = tuple(items[i] for i in idx)
        incidents.append(Incident(id=incident_id(alerts[i].id for i in idx), members=members))
    incidents.sort(key=lambda inc: (-inc.severity, _alert(inc.lead).series, _alert(inc.lead).period, inc.id))
    return incidents


def incident_of(items: Sequence, alert_id: str, threshold: float = EVIDENCE_JACCARD) -> Incident | None:
    """The incident holding `alert_id` among `items` (None when it is not there)."""
    for inc in group_incidents(items, threshold):
        if alert_id in inc.alert_ids:
            return inc
    return None


def review_incident(store: AlertStore, incident: Incident, *, actor: str, versions: dict[str, str] | None = None,
                    status: str | None = None, assignee: str | None = None, note: str = "") -> list[ReviewedAlert]:
    """Apply one review to every alert of an incident.

    Checked for every member before anything is written: each alert still exists, still has the version
    the caller read (when `versions` is given; the lead's version alone is enough for a caller that showed
    only the lead, since members not listed are checked against what the store holds now) and may take
    the status. A member already at the target status gets only the assignee and note. If another review
    lands between the check and the writes, the store's own version check refuses it (ReviewConflict)
    and the members written before it keep their review, recorded in their history.
    """
    current = {}
    for alert_id in incident.alert_ids:
        r = store.get(alert_id)
        if r is None:
            raise AlertStoreError(f"incident {incident.id}: alert {alert_id} no longer exists; reload the incident")
        wanted = (versions or {}).get(alert_id)
        if wanted is not None and wanted != r.version:
            raise ReviewConflict(alert_id, wanted, r.version)
        check_transition(alert_id, r.alert.status, status)
        current[alert_id] = r
    out = []
    for alert_id, r in current.items():
        target = status if status != r.alert.status else None
        new_assignee = assignee if assignee != r.assignee else None
        if target is None and new_assignee is None and not note:
            out.append(r)
            continue
        out.append(store.review(alert_id, actor=actor, version=r.version, status=target,
                                assignee=new_assignee, note=note))
    return out


def incident_counts(incidents: Iterable[Incident]) -> dict[str, int]:
    """Queue counts by incident: incidents per status of their lead."""
    counts: dict[str, int] = {}
    for inc in incidents:
        s = _alert(inc.lead).status
        counts[s] = counts.get(s, 0) + 1
    return counts
