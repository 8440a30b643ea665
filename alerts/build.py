r"""The one alert builder: every signal becomes an alert here, and only here.

Every detector yields the same match type, `ews.kernel.schema.Signal`, with a
`kind`: count deviations (`signal_from_detection`, from the count detectors'
verdicts), an inventor moving abroad (`models.inventors`), a source fallen
silent (`crawlers.health`), a failed pipeline task (`pipeline_failure_signal`),
and the stage-2 signals to come. `alert_from_signal` gives each its
deterministic id (`alert_id(detector, series, occasion or period)`), its
severity and its explanation; `alerts_from_signals` with a store also lists
the documents behind a count and applies the re-alerting window: a signal for
the same detector, series and direction within `window` periods of an open
alert updates that alert instead of raising another one.

Severity, in [0, 1], one rule per kind:

| kind | severity |
|---|---|
| `count_deviation` | (1 − e^(−v/5)) · (0.6 · score + 0.4 · (1 − e^(−m))), m = \|ln((observed+1)/(expected+1))\|, v = max(observed, expected): the detector's confidence and the size of the deviation, damped for counts of a handful |
| `inventor_move` | score · (0.6 + 0.1 · min(foreign filings, 4)): the tie's strength and the history behind it (in `score`), more for more filings abroad |
| `source_silent` | min(1, 0.5 + 0.1 · silent runs): the longer the silence, the likelier data is being missed |
| `pipeline_failure` | 0.5: data of the interval may be missing until the task is re-run |
| `risk_rise` | score (reserved for stage 2) |

Each further period folded into an open alert adds `REPEAT_BONUS` (0.05).

The documents listed behind a count are computed from the same membership
rule the count was computed from (`ews.kernel.series.memberships`), in one pass
over the documents for all alerts: they are exactly the documents counted.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import NamedTuple

from ews.kernel.ids import alert_id, stable_id
from ews.kernel.names import normalise_applicant
from ews.kernel.periods import PeriodError, granularity, to_period
from ews.kernel.schema import Alert, AlertKind, AlertStatus, Detection, Signal
from ews.kernel.secrets import scrub
from ews.kernel.series import SeriesKey, memberships

# Statuses under which an alert is still being worked on; a detection inside the
# window is folded into such an alert. Confirmed and dismissed alerts are closed
# verdicts, so a new event after them deserves a fresh alert.
OPEN_STATUSES: tuple[AlertStatus, ...] = ("new", "triaged", "escalated")
DEFAULT_WINDOW = 3  # periods

# A count of a handful of documents is noisy: severity is damped by
# 1 - exp(-volume / LOW_COUNT_SCALE), where volume is max(observed, expected).
LOW_COUNT_SCALE = 5.0
# Each further period folded into an open alert raises its severity by this much.
REPEAT_BONUS = 0.05
TOP_DOCUMENTS = 5          # documents shown with their titles
MAX_EVIDENCE_IDS = 1000    # ids of the counted documents kept on the alert (all of them up to this many)


# ------------------------------------------------------------------------------------ severity


def _count_severity(s: Signal) -> float:
    obs, exp_ = max(float(s.observed or 0.0), 0.0), max(float(s.expected or 0.0), 0.0)
    magnitude = abs(math.log((obs + 1.0) / (exp_ + 1.0)))  # log ratio, +1 keeps zero counts finite
    magnitude_term = 1.0 - math.exp(-magnitude)
    damping = 1.0 - math.exp(-max(obs, exp_) / LOW_COUNT_SCALE)
    return damping * (0.6 * float(s.score) + 0.4 * magnitude_term)


SEVERITY_RULES: dict[AlertKind, Callable[[Signal], float]] = {
    "count_deviation": _count_severity,
    "inventor_move": lambda s: s.score * (0.6 + 0.1 * min(float(s.observed or 0.0), 4.0)),
    "source_silent": lambda s: 0.5 + 0.1 * int(s.facts.get("silent_runs", 0)),
    "pipeline_failure": lambda s: 0.5,
    "risk_rise": lambda s: s.score,
}


def severity_of(signal: Signal | Detection) -> float:
    """Severity in [0, 1] by the rule of the signal's kind (the table in the module doc)."""
    s = signal if isinstance(signal, Signal) else signal_from_detection(signal)
    return round(min(1.0, max(0.0, SEVERITY_RULES[s.kind](s))), 4)


# ------------------------------------------------------------------------------------ explanation


def _fmt(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:g}" if float(x).is_integer() else f"{x:.1f}"


def _explain_count(s: Signal) -> str:
    obs, exp_ = float(s.observed or 0.0), float(s.expected or 0.0)
    word = "Surge" if s.direction == "surge" else "Drop"
    diff = obs - exp_
    ratio = f"{obs / exp_:.1f}× expected" if exp_ > 0 else "nothing expected"
    if s.facts.get("note"):
        # the detector's own terms (a shift: run length, level before and after; a share: the usual share)
        return f"{word} in {s.series} for {s.period}: {s.facts['note']}. Method: {s.method}; detector score {s.score:.2f}."
    parts = [f"{word} in {s.series} for {s.period}: {_fmt(obs)} observed vs {_fmt(exp_)} expected "
             f"({'+' if diff >= 0 else ''}{_fmt(diff)}, {ratio})."]
    if s.direction == "surge" and s.upper is not None:
        parts.append(f"Above the upper bound {_fmt(s.upper)}")
    elif s.direction == "drop" and s.lower is not None:
        parts.append(f"Below the lower bound {_fmt(s.lower)}")
    if len(parts) == 2:
        parts[1] += (f" of the expected range [{_fmt(s.lower)}, {_fmt(s.upper)}]."
                     if s.lower is not None and s.upper is not None else ".")
    parts.append(f"Baseline and method: {s.method}; detector score {s.score:.2f}.")
    return " ".join(parts)


def _explain_move(s: Signal) -> str:
    f = s.facts
    return (f"Inventor {f['name']} ({f['inventor']}) filed {f['home_filings']} patents with Korean applicants or a "
            f"Korean address ({', '.join(f['home_applicants'])}; {f['home_from']} to {f['home_to']}), then from "
            f"{f['first_foreign_filing']} {f['foreign_filings']} in {', '.join(f['technologies'])} for "
            f"{', '.join(f['foreign_applicants'])}. Tie: {f['tie']}.")


def _explain_silent(s: Signal) -> str:
    f = s.facts
    kind = "with errors" if f.get("errors_while_silent") else "without errors"
    since = dt.datetime.fromisoformat(f["silent_since"])
    last = dt.datetime.fromisoformat(f["last_items_at"])
    return (f"source {f['source']} returned no items in its last {f['silent_runs']} runs ({kind}) since "
            f"{since:%Y-%m-%d %H:%M}; it used to return {float(s.expected or 0):.1f} items per run, "
            f"last on {last:%Y-%m-%d}")


def _explain_failure(s: Signal) -> str:
    f = s.facts
    what = f"source {f['source']}" if f.get("source") else f"stage {f['task_id']}"
    tries = f" after {f['try_number']} tries" if f.get("try_number") else ""
    return (f"The pipeline itself failed: {what} (DAG {f['dag_id']}, task {f['task_id']}) for the data interval "
            f"{f.get('interval_start') or '—'} – {f.get('interval_end') or '—'}{tries}: "
            f"{f['error_type']}: {f['error']}. Data of this interval may be missing until the task is re-run.")


def _explain_risk(s: Signal) -> str:
    return str(s.facts.get("text") or f"Risk rose in {s.series} for {s.period} ({s.method}).")


EXPLANATIONS: dict[AlertKind, Callable[[Signal], str]] = {
    "count_deviation": _explain_count, "inventor_move": _explain_move, "source_silent": _explain_silent,
    "pipeline_failure": _explain_failure, "risk_rise": _explain_risk,
}


# ------------------------------------------------------------------------------------ signals → alerts


def signal_from_detection(d: Detection, detector: str = "count") -> Signal:
    """An alarmed count verdict as a `count_deviation` signal."""
    if not d.alarm or d.direction is None:
        raise ValueError(f"detection {d.series} {d.period} is not an alarm with a direction")
    return Signal(kind="count_deviation", detector=detector, series=d.series, period=d.period,
                  direction=d.direction, observed=float(d.observed), expected=float(d.expected),
                  lower=d.lower, upper=d.upper, score=float(d.score), method=d.method,
                  facts={"note": d.note} if d.note else {})


def _series_facets(series: str) -> dict:
    key = SeriesKey.read(series)
    return {"technology": key.technology, "field": key.field, "facet": key.facet}


def alert_from_signal(s: Signal, now: dt.datetime | None = None) -> Alert:
    """The alert of one signal: deterministic id, severity and explanation by the rules of its kind."""
    now = now or dt.datetime.now(dt.UTC)
    severity = severity_of(s)
    occurrence = {"observed": s.observed, "expected": s.expected, "lower": s.lower, "upper": s.upper,
                  "score": float(s.score), "severity": severity}
    evidence: dict = {"detector": s.detector, **_series_facets(s.series),
                      "observed": s.observed, "expected": s.expected, "lower": s.lower, "upper": s.upper,
                      "score": float(s.score), "method": s.method}
    if s.kind == "count_deviation":
        obs, exp_ = float(s.observed or 0.0), float(s.expected or 0.0)
        evidence.update({"difference": obs - exp_, "ratio": (obs / exp_) if exp_ > 0 else None})
    evidence.update(s.evidence)
    evidence.update({"occurrences": {s.period: occurrence}, "last_period": s.period})
    return Alert(
        id=alert_id(s.detector, s.series, s.occasion or s.period), kind=s.kind, detector=s.detector,
        series=s.series, period=s.period, direction=s.direction, observed=s.observed, expected=s.expected,
        score=float(s.score), severity=severity, method=s.method, explanation=EXPLANATIONS[s.kind](s),
        evidence=evidence, first_seen=now, last_seen=now)


def alert_from_detection(d: Detection, detector: str = "count", now: dt.datetime | None = None) -> Alert:
    return alert_from_signal(signal_from_detection(d, detector), now)


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


# ------------------------------------------------------------------------------------ evidence


def _granularity(period: str) -> str | None:
    try:
        return granularity(period)
    except PeriodError:
        return None


class CountedDocument(NamedTuple):
    """What the evidence keeps of one counted document (not the document: its text can be long)."""

    id: str
    title: str
    url: str | None
    kind: str
    score: float                 # the classifier's score for the series' technology (0 for field series)
    applicants: frozenset[str]   # normalised applicant names


def _applicant_names(d) -> frozenset[str]:
    return frozenset(normalise_applicant(p.name) or p.name for p in d.patent.applicants) if d.patent else frozenset()


def counted_documents(documents: Iterable, tagged: Iterable, wanted: Iterable[tuple[str, str]],
                      as_of: dt.date | None = None) -> dict[tuple[str, str], list[CountedDocument]]:
    """Per wanted (series key, period): the documents counted there.

    One pass over the documents, whatever the number of wanted pairs: each
    document's series keys are computed once (`ews.kernel.series.memberships`,
    the rule the counts come from) and looked up in the wanted set.
    """
    by_gran: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for key, period in wanted:
        g = _granularity(period)
        if g is not None:
            by_gran[g].add((key, period))
    out: dict[tuple[str, str], list[CountedDocument]] = defaultdict(list)
    if not by_gran:
        return out
    grans = sorted(by_gran)
    for m in memberships(documents, tagged, grans[0], as_of):
        for g in grans:
            period = m.period if g == grans[0] else m.period_at(g)
            names = None
            for key in m.keys:
                if (key.text, period) not in by_gran[g]:
                    continue
                if names is None:  # once per document, only for a document some alert lists
                    names = _applicant_names(m.document)
                d = m.document
                score = max((t.score for t in m.tagged.tagging.technologies if t.id == key.technology), default=0.0)
                out[(key.text, period)].append(CountedDocument(d.id, d.title[:200], d.url, d.kind, score, names))
    return out


def _contributors(counted: list[CountedDocument], top: int = TOP_DOCUMENTS) -> dict:
    """The evidence entry for one count: every counted document (ids), the leading ones, their applicants."""
    ranked = sorted(counted, key=lambda c: (-c.score, c.id))
    applicants: Counter[str] = Counter()
    for c in ranked:
        applicants.update(c.applicants)
    return {
        "documents": [{"id": c.id, "title": c.title, "url": c.url, "kind": c.kind} for c in ranked[:top]],
        "documents_total": len(ranked),
        "document_ids": sorted(c.id for c in ranked)[:MAX_EVIDENCE_IDS],
        "top_applicants": [{"name": n, "documents": k} for n, k in applicants.most_common(top)],
    }


def stored_counted_documents(store, wanted: Iterable[tuple[str, str]],
                             as_of: dt.date | None = None) -> dict[tuple[str, str], list[CountedDocument]]:
    """`counted_documents` read from the store's membership table (`ews.kernel.members`, the rows the counts
    are aggregated from): per wanted pair one indexed lookup, then only the documents listed are read."""
    from ews.kernel.periods import period_end

    members: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for key, period in wanted:
        if _granularity(period) is None:
            continue
        first, last = to_period(period).start_time.date(), period_end(period)
        if as_of is not None:
            last = min(last, as_of)
        members[(key, period)] = store.members_of(key, first, last)
    docs = store.documents_by_id(sorted({i for rows in members.values() for i, _ in rows}))
    out: dict[tuple[str, str], list[CountedDocument]] = defaultdict(list)
    for pair, rows in members.items():
        for doc_id, score in rows:
            d = docs.get(doc_id)
            if d is not None:
                out[pair].append(CountedDocument(d.id, d.title[:200], d.url, d.kind, score, _applicant_names(d)))
    return out


def add_stored_contributors(alerts: list[Alert], store, as_of: dt.date | None = None) -> None:
    """Put the documents behind each count-deviation alert into its evidence (`contributors`), from the
    store's membership table."""
    counts = [a for a in alerts if a.kind == "count_deviation"]
    if not counts:
        return
    try:
        counted = stored_counted_documents(store, {(a.series, a.period) for a in counts}, as_of)
    except Exception as e:  # evidence is a nicety: never lose an alert because it could not be enriched
        for a in counts:
            a.evidence["contributors_error"] = f"{type(e).__name__}: {e}"
        return
    for a in counts:
        a.evidence["contributors"] = _contributors(counted.get((a.series, a.period), []))


# ------------------------------------------------------------------------------------ entry points


def alerts_from_signals(signals: Iterable[Signal], store=None, window: int = DEFAULT_WINDOW,
                        as_of: dt.date | None = None) -> list[Alert]:
    """Every signal as an alert. With a store (the embedded `ews.kernel.store.Store`), the evidence names the
    documents behind each count, and the re-alerting window folds repeated signals into the open alert they
    continue."""
    now = dt.datetime.now(dt.UTC)
    fresh = [alert_from_signal(s, now) for s in signals]
    if store is None:
        return fresh
    add_stored_contributors(fresh, store, as_of)
    return apply_realert_window(fresh, store.list_alerts(), window)


def alerts_from_detections(detections: list[Detection], store=None, detector: str = "count",
                           window: int = DEFAULT_WINDOW, as_of: dt.date | None = None) -> list[Alert]:
    """Alarmed detections with a direction become alerts with deterministic ids (see `alerts_from_signals`)."""
    signals = [signal_from_detection(d, detector) for d in detections if d.alarm and d.direction is not None]
    return alerts_from_signals(signals, store=store, window=window, as_of=as_of)


def pipeline_failure_signal(dag_id: str, task_id: str, interval_start: str | None, interval_end: str | None,
                            run_id: str, error: str, error_type: str = "Exception", try_number: int | None = None,
                            source: str | None = None, now: dt.datetime | None = None) -> Signal:
    """A failed pipeline task; one id per DAG, task and data interval (or run, without one)."""
    now = now or dt.datetime.now(dt.UTC)
    series = SeriesKey.of_pipeline(dag_id, task_id).text
    interval = f"{interval_start}/{interval_end}" if interval_start and interval_end else f"run:{run_id}"
    when = (interval_start or now.isoformat())[:7]
    period = when if re.fullmatch(r"\d{4}-\d{2}", when) else now.strftime("%Y-%m")
    message = scrub(" ".join(str(error).split()))[:1000]
    facts = {"dag_id": dag_id, "task_id": task_id, "run_id": run_id, "interval_start": interval_start,
             "interval_end": interval_end, "try_number": try_number, "source": source, "error_type": error_type,
             "error": message}
    return Signal(kind="pipeline_failure", detector="pipeline", series=series, period=period, occasion=interval,
                  direction="failure", score=1.0, method=f"airflow task failure ({error_type})", facts=facts,
                  evidence={**facts, "key": stable_id(dag_id, task_id, interval)})


def pipeline_failure_alert(dag_id: str, task_id: str, interval_start: str | None, interval_end: str | None,
                           run_id: str, error: str, error_type: str = "Exception", try_number: int | None = None,
                           source: str | None = None, now: dt.datetime | None = None) -> Alert:
    return alert_from_signal(pipeline_failure_signal(dag_id, task_id, interval_start, interval_end, run_id, error,
                                                     error_type, try_number, source, now), now)
