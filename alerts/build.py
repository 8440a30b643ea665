"""From detector verdicts to alerts: identity, severity, explanation, evidence, re-alerting.

`alerts_from_detections` is pure logic on its inputs. Without a store it maps
each alarmed (series, period) to one alert, which is what `ews detect` prints.
With a store it also (a) adds the documents and applicants behind the count to
the evidence and (b) applies the re-alerting window: a detection for the same
detector, series and direction within `window` periods of an open alert
updates that alert instead of raising another one.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from ews.kernel.ids import alert_id, stable_id
from ews.kernel.periods import PeriodError, granularity, period_of, to_period
from ews.kernel.schema import Alert, Detection
from ews.kernel.secrets import scrub

# Statuses under which an alert is still being worked on; a detection inside the
# window is folded into such an alert. Confirmed and dismissed alerts are closed
# verdicts, so a new event after them deserves a fresh alert.
OPEN_STATUSES = ("new", "triaged", "escalated")
DEFAULT_WINDOW = 3  # periods
SERIES_SEP = "|"

# A count of a handful of documents is noisy: severity is damped by
# 1 - exp(-volume / LOW_COUNT_SCALE), where volume is max(observed, expected).
LOW_COUNT_SCALE = 5.0
# Each further period folded into an open alert raises its severity by this much.
REPEAT_BONUS = 0.05


class SeriesParts(NamedTuple):
    subject: str            # the first dimension: 'tech:semi.memory', 'field:semi', or a bare key
    technology: str | None  # 'semi.memory'
    field: str | None       # 'semi'
    facet: str | None       # the rest: 'country:KR', 'applicant:SAMSUNG ELECTRONICS', 'policy:KR', …


def series_parts(series: str) -> SeriesParts:
    """Read a series key: 'tech:semi.memory|country:KR' (the aggregator's keys) or a bare 'semi.memory|X'.

    `ews detect` accepts any string as a series, so a key without 'tech:' or
    'field:' is read as a technology id when it looks like one ('field.tech').
    """
    subject, _, rest = series.partition(SERIES_SEP)
    name, sep, value = subject.partition(":")
    technology = field = None
    if sep and name == "tech":
        technology = value
    elif sep and name == "field":
        field = value
    elif not sep and "." in subject and " " not in subject:
        technology = subject
    if technology and "." in technology:
        field = technology.split(".", 1)[0]
    return SeriesParts(subject, technology, field, rest or None)


def severity_of(d: Detection) -> float:
    """Severity in [0, 1]: the detector's confidence and the size of the deviation, damped for low counts."""
    obs, exp_ = max(float(d.observed), 0.0), max(float(d.expected), 0.0)
    magnitude = abs(math.log((obs + 1.0) / (exp_ + 1.0)))  # log ratio, +1 keeps zero counts finite
    magnitude_term = 1.0 - math.exp(-magnitude)
    damping = 1.0 - math.exp(-max(obs, exp_) / LOW_COUNT_SCALE)
    sev = damping * (0.6 * float(d.score) + 0.4 * magnitude_term)
    return round(min(1.0, max(0.0, sev)), 4)


def _fmt(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:g}" if float(x).is_integer() else f"{x:.1f}"


def explanation_of(d: Detection) -> str:
    obs, exp_ = float(d.observed), float(d.expected)
    word = "Surge" if d.direction == "surge" else "Drop"
    diff = obs - exp_
    ratio = f"{obs / exp_:.1f}× expected" if exp_ > 0 else "nothing expected"
    parts = [f"{word} in {d.series} for {d.period}: {_fmt(obs)} observed vs {_fmt(exp_)} expected "
             f"({'+' if diff >= 0 else ''}{_fmt(diff)}, {ratio})."]
    if d.direction == "surge" and d.upper is not None:
        parts.append(f"Above the upper bound {_fmt(d.upper)}")
    elif d.direction == "drop" and d.lower is not None:
        parts.append(f"Below the lower bound {_fmt(d.lower)}")
    if len(parts) == 2:
        parts[1] += (f" of the expected range [{_fmt(d.lower)}, {_fmt(d.upper)}]."
                     if d.lower is not None and d.upper is not None else ".")
    parts.append(f"Baseline and method: {d.method}; detector score {d.score:.2f}.")
    return " ".join(parts)


def _evidence_of(d: Detection, detector: str) -> dict:
    parts = series_parts(d.series)
    obs, exp_ = float(d.observed), float(d.expected)
    occurrence = {"observed": obs, "expected": exp_, "lower": d.lower, "upper": d.upper,
                  "score": float(d.score), "severity": severity_of(d)}
    return {
        "detector": detector, "technology": parts.technology, "field": parts.field, "facet": parts.facet,
        "observed": obs, "expected": exp_, "lower": d.lower, "upper": d.upper,
        "difference": obs - exp_, "ratio": (obs / exp_) if exp_ > 0 else None,
        "score": float(d.score), "method": d.method,
        "occurrences": {d.period: occurrence},
        "last_period": d.period,
    }


def alert_from_detection(d: Detection, detector: str = "count", now: dt.datetime | None = None) -> Alert:
    if not d.alarm or d.direction is None:
        raise ValueError(f"detection {d.series} {d.period} is not an alarm with a direction")
    now = now or dt.datetime.now(dt.UTC)
    return Alert(
        id=alert_id(detector, d.series, d.period), detector=detector, series=d.series, period=d.period,
        direction=d.direction, observed=float(d.observed), expected=float(d.expected), score=float(d.score),
        severity=severity_of(d), method=d.method, explanation=explanation_of(d),
        evidence=_evidence_of(d, detector), first_seen=now, last_seen=now,
    )


def periods_apart(a: str, b: str) -> int | None:
    """How many periods from a to b (b later is positive); None across granularities or for bad keys."""
    try:
        if granularity(a) != granularity(b):
            return None
        return (to_period(b) - to_period(a)).n
    except PeriodError:
        return None


def merge_occurrence(open_alert: Alert, new: Alert) -> Alert:
    """Fold `new` (same detector, series, direction) into `open_alert`.

    The result depends only on the union of the two alerts' per-period
    occurrences, so folding the same detection twice, or in another order,
    gives the same alert: re-runs stay idempotent. When `new` is the same
    alert re-detected (same id), its fresh detection fields win.
    """
    base = new if new.id == open_alert.id else open_alert
    occ = dict(open_alert.evidence.get("occurrences") or {})
    occ.update(new.evidence.get("occurrences") or {})
    last = max(occ, key=lambda p: to_period(p).start_time)
    base_sev = max(o["severity"] for o in occ.values())
    severity = round(min(1.0, base_sev + REPEAT_BONUS * (len(occ) - 1)), 4)
    evidence = dict(base.evidence)
    evidence.update({"occurrences": dict(sorted(occ.items())), "last_period": last, "count": len(occ)})
    explanation = base.explanation.split(" Repeated:")[0]
    if len(occ) > 1:
        listing = ", ".join(f"{p} ({_fmt(o['observed'])} vs {_fmt(o['expected'])})" for p, o in sorted(occ.items()))
        explanation += f" Repeated: {len(occ)} periods in the re-alerting window: {listing}."
    return base.model_copy(update={
        "severity": severity, "score": max(open_alert.score, new.score),
        "explanation": explanation, "evidence": evidence,
        "first_seen": min(open_alert.first_seen, new.first_seen),
        "last_seen": max(open_alert.last_seen, new.last_seen),
        "status": open_alert.status,
    })


def apply_realert_window(new_alerts: Iterable[Alert], existing: Iterable[Alert],
                         window: int = DEFAULT_WINDOW) -> list[Alert]:
    """Return the alerts to write: new ones, and open existing ones updated with new occurrences.

    An incoming alert whose id already exists updates that alert (same period
    re-detected). Otherwise, if an open alert with the same detector, series and
    direction has an occurrence at most `window` periods before it, the incoming
    one is folded into that alert. Incoming alerts are processed in period order.
    """
    by_id: dict[str, Alert] = {a.id: a for a in existing}
    by_key: dict[tuple, list[str]] = defaultdict(list)
    for a in by_id.values():
        by_key[(a.detector, a.series, a.direction)].append(a.id)
    touched: dict[str, Alert] = {}

    def _key(a: Alert):
        try:
            return (a.series, to_period(a.period).start_time, a.id)
        except PeriodError:
            return (a.series, dt.datetime.min, a.id)

    for a in sorted(new_alerts, key=_key):
        if a.id in by_id:
            merged = merge_occurrence(by_id[a.id], a)
        else:
            cands = [by_id[i] for i in by_key[(a.detector, a.series, a.direction)]]
            # a period already folded into an alert stays there, whatever that alert's status now
            target = next((c for c in cands if a.period in (c.evidence.get("occurrences") or {})), None)
            if target is None:
                for cand in cands:
                    if cand.status not in OPEN_STATUSES:
                        continue
                    gaps = [periods_apart(p, a.period) for p in (cand.evidence.get("occurrences") or {cand.period: 0})]
                    if any(g is not None and 0 <= g <= window for g in gaps):
                        target = cand
                        break
            if target is None:
                merged = a
                by_key[(a.detector, a.series, a.direction)].append(a.id)
            else:
                merged = merge_occurrence(target, a)
        by_id[merged.id] = merged
        touched[merged.id] = merged
    return list(touched.values())


def _doc_date(doc) -> dt.date | None:
    """The date the aggregator counts a document under: a patent's filing date, else publication."""
    if doc.patent and doc.patent.application_date:
        return doc.patent.application_date
    return doc.published


def _doc_matches(doc, tagging, parts: SeriesParts) -> bool:
    """Whether a document is one of those counted in a series (mirrors the aggregator's key table)."""
    techs = {t.id for t in tagging.technologies}
    if parts.technology:
        if parts.technology not in techs:
            return False
    elif parts.field:
        if parts.field not in tagging.fields and not any(t.startswith(parts.field + ".") for t in techs):
            return False
    else:
        return False
    facets = dict(p.partition(":")[::2] for p in (parts.facet or "").split(SERIES_SEP) if p)
    if "policy" in facets:
        return doc.kind == "policy" and (doc.jurisdiction or "").upper() == facets["policy"].upper()
    if "paper" in facets:
        return doc.kind == "paper"
    if doc.kind != "patent":
        return False  # keys without policy: or paper: count patents
    parties = doc.patent.applicants if doc.patent else []
    for name, value in facets.items():
        v = value.upper()
        if name == "country" and not any(p.country == v for p in parties):
            return False
        if name == "jurisdiction" and (doc.jurisdiction or "").upper() != v:
            return False
        if name == "applicant" and not any(v in " ".join(p.name.upper().replace(",", " ").split()) for p in parties):
            return False
    return True


def _contributors(store, alerts: list[Alert], top: int = 5) -> dict[str, dict]:
    """Per alert id: the documents counted in its series and period, and their leading applicants."""
    if not alerts:
        return {}
    grans = {}
    for a in alerts:
        try:
            grans[a.id] = granularity(a.period)
        except PeriodError:
            pass
    tagging = {t.doc_id: t.tagging for t in store.iter_tagged()}
    by_alert: dict[str, list[tuple[float, object]]] = defaultdict(list)
    parts = {a.id: series_parts(a.series) for a in alerts}
    for doc in store.iter_documents():
        when = _doc_date(doc)
        tg = tagging.get(doc.id)
        if when is None or tg is None:
            continue
        for a in alerts:
            if a.id not in grans or period_of(when, grans[a.id]) != a.period:
                continue
            if _doc_matches(doc, tg, parts[a.id]):
                score = max((t.score for t in tg.technologies if t.id == parts[a.id].technology), default=0.0)
                by_alert[a.id].append((score, doc))
    out = {}
    for a in alerts:
        matched = sorted(by_alert.get(a.id, []), key=lambda sd: (-sd[0], sd[1].id))
        applicants = Counter(p.name for _, d in matched if d.patent for p in d.patent.applicants)
        out[a.id] = {
            "documents": [{"id": d.id, "title": d.title[:200], "url": d.url, "kind": d.kind} for _, d in matched[:top]],
            "documents_total": len(matched),
            "top_applicants": [{"name": n, "documents": c} for n, c in applicants.most_common(top)],
        }
    return out


def alerts_from_detections(detections: list[Detection], store=None, detector: str = "count",
                           window: int = DEFAULT_WINDOW) -> list[Alert]:
    """Alarmed detections with a direction become alerts with deterministic ids.

    With a store (the embedded `ews.kernel.store.Store`), the evidence names the
    documents and applicants behind each count, and the re-alerting window folds
    repeated detections into the open alert they continue.
    """
    now = dt.datetime.now(dt.UTC)
    fresh = [alert_from_detection(d, detector, now) for d in detections if d.alarm and d.direction is not None]
    if store is None:
        return fresh
    try:
        contrib = _contributors(store, fresh)
    except Exception as e:  # evidence is a nicety: never lose an alert because it could not be enriched
        contrib = {}
        for a in fresh:
            a.evidence["contributors_error"] = f"{type(e).__name__}: {e}"
    for a in fresh:
        if a.id in contrib:
            a.evidence["contributors"] = contrib[a.id]
    return apply_realert_window(fresh, store.list_alerts(), window)


def alert_from_silent_source(silent, now: dt.datetime | None = None) -> Alert:
    """A source that fell silent (crawlers.health.SilentSource) as an alert of its own.

    Keyed by the source and the day its silence began, so the same silence re-checked
    on later runs updates one alert instead of raising another.
    """
    now = now or dt.datetime.now(dt.UTC)
    series = f"source:{silent.source}"
    since = silent.silent_since.date().isoformat()
    expected = float(silent.usual_items)
    return Alert(
        id=alert_id("source_silent", series, since), detector="source_silent", series=series,
        period=period_of(silent.silent_since.date(), "month"), direction="drop", observed=0.0,
        expected=expected, score=1.0, severity=round(min(1.0, 0.5 + 0.1 * silent.silent_runs), 4),
        method=f"silent-source(runs>={silent.silent_runs})", explanation=silent.message(),
        evidence={"source": silent.source, "silent_runs": silent.silent_runs, "silent_since": since,
                  "last_items_at": silent.last_items_at.isoformat(), "usual_items": expected,
                  "errors_while_silent": silent.errors_while_silent},
        first_seen=now, last_seen=now)


def pipeline_failure_alert(dag_id: str, task_id: str, interval_start: str | None, interval_end: str | None,
                           run_id: str, error: str, error_type: str = "Exception", try_number: int | None = None,
                           source: str | None = None, now: dt.datetime | None = None) -> Alert:
    """An alert about a failed pipeline task; one id per DAG, task and data interval (or run, without one)."""
    now = now or dt.datetime.now(dt.UTC)
    series = f"pipeline:{dag_id}|task:{task_id}"
    interval = f"{interval_start}/{interval_end}" if interval_start and interval_end else f"run:{run_id}"
    when = (interval_start or now.isoformat())[:7]
    period = when if re.fullmatch(r"\d{4}-\d{2}", when) else now.strftime("%Y-%m")
    what = f"source {source}" if source else f"stage {task_id}"
    message = scrub(" ".join(str(error).split()))[:1000]
    return Alert(
        id=alert_id("pipeline", series, interval), detector="pipeline", series=series, period=period,
        direction="drop", observed=0.0, expected=1.0, score=1.0, severity=0.5, method=f"airflow task failure ({error_type})",
        explanation=(f"The pipeline itself failed: {what} (DAG {dag_id}, task {task_id}) for the data interval "
                     f"{interval_start or '—'} – {interval_end or '—'}"
                     f"{f' after {try_number} tries' if try_number else ''}: {error_type}: {message}. "
                     "Data of this interval may be missing until the task is re-run."),
        evidence={"detector": "pipeline", "dag_id": dag_id, "task_id": task_id, "run_id": run_id,
                  "interval_start": interval_start, "interval_end": interval_end, "try_number": try_number,
                  "source": source, "error_type": error_type, "error": message,
                  "key": stable_id(dag_id, task_id, interval)},
        first_seen=now, last_seen=now)
