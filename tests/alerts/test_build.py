"""Alert building: identity, severity, explanation, evidence and the re-alerting window."""
from __future__ import annotations

import pytest

from alerts.build import alerts_from_detections, apply_realert_window, severity_of
from ews.kernel.ids import alert_id
from ews.kernel.schema import Detection
from ews.kernel.store import Store


def det(series="semi.memory", period="2023-07", observed=41, expected=12.5, direction="surge", alarm=True,
        score=0.97, lower=5.0, upper=20.1, method="negative binomial, 24-month baseline"):
    return Detection(series=series, period=period, observed=observed, expected=expected, lower=lower, upper=upper,
                     alarm=alarm, direction=direction, score=score, method=method)


def test_only_alarms_with_direction_become_alerts():
    ds = [det(), det(period="2023-08", alarm=False, direction=None, score=0.1),
          det(period="2023-09", alarm=True, direction=None)]
    alerts = alerts_from_detections(ds)
    assert [(a.series, a.period) for a in alerts] == [("semi.memory", "2023-07")]


def test_ids_are_deterministic_and_depend_on_detector_series_period():
    a1 = alerts_from_detections([det()])[0]
    a2 = alerts_from_detections([det(observed=50)])[0]
    assert a1.id == a2.id == alert_id("count", "semi.memory", "2023-07")
    assert alerts_from_detections([det()], detector="other")[0].id != a1.id
    assert alerts_from_detections([det(period="2023-08")])[0].id != a1.id


@pytest.mark.parametrize("obs,exp_,score", [(0, 0, 0), (0, 1000, 1), (10**6, 0, 1), (3, 1, 0.5), (1, 1, 1)])
def test_severity_stays_in_bounds(obs, exp_, score):
    s = severity_of(det(observed=obs, expected=exp_, score=score))
    assert 0.0 <= s <= 1.0


def test_severity_grows_with_magnitude_and_is_damped_for_low_counts():
    small = severity_of(det(observed=3, expected=0.5, score=0.97))
    large = severity_of(det(observed=300, expected=50, score=0.97))
    mild = severity_of(det(observed=60, expected=50, score=0.97))
    assert small < large
    assert mild < large


def test_explanation_names_observed_expected_bounds_and_method_for_surge_and_drop():
    surge = alerts_from_detections([det()])[0]
    assert surge.direction == "surge"
    for part in ("Surge", "41 observed", "12.5 expected", "upper bound 20.1", "negative binomial"):
        assert part in surge.explanation
    drop = alerts_from_detections([det(observed=1, expected=30, direction="drop", lower=14, upper=46)])[0]
    assert drop.direction == "drop"
    for part in ("Drop", "1 observed", "30 expected", "lower bound 14"):
        assert part in drop.explanation
    assert drop.evidence["difference"] == -29
    assert surge.evidence["technology"] == "semi.memory"
    assert surge.public()["direction"] == "surge"


def test_timestamps_are_utc():
    a = alerts_from_detections([det()])[0]
    assert a.first_seen.utcoffset().total_seconds() == 0 and a.first_seen == a.last_seen


def test_realert_window_folds_repeats_into_the_open_alert_idempotently(tmp_path):
    store = Store(tmp_path)
    ds = [det(period="2023-07"), det(period="2023-08", observed=45), det(period="2023-12", observed=44)]
    first = alerts_from_detections(ds, store=store)
    # 07 and 08 are one event; 12 is more than 3 periods after 08, a new alert
    assert sorted(a.period for a in first) == ["2023-07", "2023-12"]
    merged = next(a for a in first if a.period == "2023-07")
    assert sorted(merged.evidence["occurrences"]) == ["2023-07", "2023-08"]
    assert merged.severity >= severity_of(ds[1])
    store.upsert_alerts(first)
    again = alerts_from_detections(ds, store=store)
    assert {a.id: a.evidence["occurrences"] for a in again} == {a.id: a.evidence["occurrences"] for a in first}
    store.upsert_alerts(again)
    assert store.stats()["alerts"] == 2


def test_closed_alert_is_not_reopened_but_keeps_its_periods():
    a7, a8, a9 = alerts_from_detections([det(period="2023-07"), det(period="2023-08"), det(period="2023-09")])
    merged = apply_realert_window([a7, a8], [])
    assert len(merged) == 1
    dismissed = merged[0].model_copy(update={"status": "dismissed"})
    out = apply_realert_window([a8, a9], [dismissed])
    by_id = {a.id: a for a in out}
    assert by_id[a7.id].status == "dismissed"  # 08 stays where it was folded
    assert a9.id in by_id  # 09 after a dismissal is a new alert


def test_store_evidence_lists_contributing_documents(tmp_path):
    import datetime as dt

    from ews.kernel.schema import Document, TaggedDocument, Tagging, TechnologyScore

    store = Store(tmp_path)
    docs = [Document.build(source="s", source_key=str(i), kind="patent", title=f"Memory plan {i}",
                           published=dt.date(2023, 7, 3), fetched_at=dt.datetime.now(dt.UTC))
            for i in range(3)]
    store.upsert_documents(docs)
    store.upsert_tagged(TaggedDocument(doc_id=d.id, model_version="t", taxonomy_version="t",
                                       tagging=Tagging(id=d.id, technologies=[TechnologyScore(id="semi.memory", score=0.9)]))
                        for d in docs)
    a = alerts_from_detections([det(series="tech:semi.memory")], store=store)[0]
    assert a.evidence["contributors"]["documents_total"] == 3
    assert a.evidence["contributors"]["documents"][0]["title"].startswith("Memory plan")


def test_contributors_follow_the_aggregator_keys(tmp_path):
    import datetime as dt

    from ews.kernel.schema import Document, Party, PatentInfo, TaggedDocument, Tagging, TechnologyScore

    store = Store(tmp_path)
    now = dt.datetime.now(dt.UTC)
    docs = [Document.build(source="p", source_key=str(i), kind="patent", title=f"DRAM cell {i}", fetched_at=now,
                           patent=PatentInfo(application_date=dt.date(2023, 7, 10),
                                             applicants=[Party(name="SAMSUNG ELECTRONICS CO., LTD.", country="KR" if i else "US")]))
            for i in range(3)]
    docs.append(Document.build(source="k", source_key="x", kind="policy", title="반도체 메모리 전략", jurisdiction="KR",
                               published=dt.date(2023, 7, 1), fetched_at=now))
    store.upsert_documents(docs)
    store.upsert_tagged(TaggedDocument(doc_id=d.id, model_version="t", taxonomy_version="t",
                                       tagging=Tagging(id=d.id, fields=["semi"],
                                                       technologies=[TechnologyScore(id="semi.memory", score=0.9)]))
                        for d in docs)
    got = {s: alerts_from_detections([det(series=s)], store=store)[0].evidence["contributors"]
           for s in ("tech:semi.memory", "tech:semi.memory|country:KR", "field:semi|policy:KR",
                     "tech:semi.memory|applicant:SAMSUNG ELECTRONICS")}
    assert got["tech:semi.memory"]["documents_total"] == 3  # patents only
    assert got["tech:semi.memory|country:KR"]["documents_total"] == 2
    assert got["field:semi|policy:KR"]["documents_total"] == 1
    assert got["tech:semi.memory|applicant:SAMSUNG ELECTRONICS"]["top_applicants"][0]["documents"] == 3


def test_silent_source_becomes_one_alert_per_silence(tmp_path):
    import datetime as dt

    from alerts.build import alert_from_signal
    from crawlers.health import silent_sources
    from ews.kernel.schema import SourceHealth
    from ews.kernel.store import Store

    with Store(tmp_path) as store:
        day = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
        for i, items in enumerate([12, 9, 11, 0, 0, 0]):
            t = day + dt.timedelta(days=i)
            store.record_health(SourceHealth(source="kr.msit", started_at=t, finished_at=t, items=items))
        (silent,) = silent_sources(store)
        a = alert_from_signal(silent.signal())
        assert a.series == "source:kr.msit" and a.kind == "source_silent" and a.direction == "silent"
        assert a.observed == 0 and a.expected == pytest.approx(32 / 3) and a.period == "2024-03"
        assert "kr.msit returned no items in its last 3 runs (without errors)" in a.explanation
        assert a.severity == 0.8  # 0.5 + 0.1 per silent run
        assert a.id == alert_id("source_silent", "source:kr.msit", "2024-03-04")  # the id scheme of stored alerts
        # one more silent run: the same silence, the same alert id
        t = day + dt.timedelta(days=7)
        store.record_health(SourceHealth(source="kr.msit", started_at=t, finished_at=t, items=0))
        (again,) = silent_sources(store)
        assert alert_from_signal(again.signal()).id == a.id


def _korean_case():
    import datetime as dt

    from ews.kernel.schema import Document, Party, PatentInfo, TaggedDocument, Tagging, TechnologyScore

    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

    def patent(key, applicant, country="KR", filed=None, published=None):
        return Document.build(source="kipris", source_key=key, kind="patent", title=f"DRAM {key}", fetched_at=now,
                              jurisdiction="KR",
                              patent=PatentInfo(application_date=filed, publication_date=published,
                                                applicants=[Party(name=applicant, country=country)]))

    docs = [patent("ko-name", "삼성전자 주식회사", filed=dt.date(2023, 9, 4)),               # Korean spelling
            patent("pub-only", "Samsung Electronics Co., Ltd.", published=dt.date(2023, 9, 20)),  # no filing date
            patent("en-name", "SAMSUNG ELECTRONICS CO LTD", filed=dt.date(2023, 9, 11)),
            patent("other", "SK hynix Inc.", filed=dt.date(2023, 9, 12)),
            patent("later", "삼성전자 주식회사", filed=dt.date(2023, 10, 2))]
    tags = [TaggedDocument(doc_id=d.id, model_version="t", taxonomy_version="t",
                           tagging=Tagging(id=d.id, fields=["semi"],
                                           technologies=[TechnologyScore(id="semi.memory", score=0.9)]))
            for d in docs]
    return docs, tags


def test_evidence_is_exactly_the_counted_documents_korean_name_and_publication_date_only(tmp_path):
    from models.aggregate import build_counts

    docs, tags = _korean_case()
    counts = build_counts(docs, tags)
    key = "tech:semi.memory|applicant:SAMSUNG ELECTRONICS"
    n = int(counts[(counts.series == key) & (counts.period == "2023-09")]["count"].iloc[0])
    assert n == 3
    with Store(tmp_path) as store:
        store.upsert_documents(docs)
        store.upsert_tagged(tags)
        a = alerts_from_detections([det(series=key, period="2023-09", observed=n, expected=0.5)], store=store)[0]
    c = a.evidence["contributors"]
    want = {d.id for d in docs if d.source_key in ("ko-name", "pub-only", "en-name")}
    assert set(c["document_ids"]) == want and c["documents_total"] == n == a.observed
    assert {d["id"] for d in c["documents"]} == want
    assert c["top_applicants"] == [{"name": "SAMSUNG ELECTRONICS", "documents": 3}]


def test_an_alert_whose_evidence_cannot_be_read_is_kept_and_says_why(tmp_path, monkeypatch):
    with Store(tmp_path) as store:
        def broken(*args, **kwargs):
            raise OSError("disk I/O error")
        monkeypatch.setattr(store, "members_of", broken)
        key = "tech:semi.memory|applicant:SAMSUNG ELECTRONICS"
        alerts = alerts_from_detections([det(series=key, period="2023-09", observed=3, expected=0.5)], store=store)
    assert len(alerts) == 1
    assert alerts[0].evidence["contributors_error"] == "OSError: disk I/O error"
    assert "contributors" not in alerts[0].evidence


def test_every_count_of_the_aggregator_is_matched_by_its_evidence():
    from alerts.build import counted_documents
    from models.aggregate import build_counts

    docs, tags = _korean_case()
    counts = build_counts(docs, tags)
    pairs = {(s, p) for s, p in counts[["series", "period"]].itertuples(index=False)}
    counted = counted_documents(docs, tags, pairs)
    for s, p, n in counts.itertuples(index=False):
        assert len(counted.get((s, p), [])) == n, (s, p)


def test_evidence_computes_no_document_keys_whatever_the_number_of_alerts(tmp_path, monkeypatch):
    import ews.kernel.series as series_module
    from models.aggregate import build_counts

    docs, tags = _korean_case()
    calls = []
    real = series_module.document_series
    monkeypatch.setattr(series_module, "document_series", lambda d, t: calls.append(d.id) or real(d, t))
    counts = build_counts(docs, tags)
    with Store(tmp_path) as store:
        store.upsert_documents(docs)
        store.upsert_tagged(tags)
        calls.clear()
        ds = [det(series=s, period=p, observed=n) for s, p, n in counts.itertuples(index=False) if n]
        alerts = alerts_from_detections(ds, store=store)
    assert len(ds) > 10 and len(alerts) >= 1
    # the keys were computed once, when each document was tagged (the membership table); the evidence reads them
    assert calls == []
    assert sum(a.evidence["contributors"]["documents_total"] for a in alerts) > 0


def test_every_kind_has_a_severity_rule_and_an_explanation():
    from alerts.build import EXPLANATIONS, SEVERITY_RULES
    from ews.kernel.schema import ALERT_KINDS

    assert set(SEVERITY_RULES) == set(EXPLANATIONS) == set(ALERT_KINDS)


def test_the_review_workflow_covers_the_declared_statuses():
    from alerts.base import TRANSITIONS
    from alerts.build import OPEN_STATUSES
    from ews.kernel.schema import ALERT_STATUSES

    assert set(TRANSITIONS) == set(ALERT_STATUSES) and set(OPEN_STATUSES) <= set(ALERT_STATUSES)
    assert all(targets <= set(ALERT_STATUSES) for targets in TRANSITIONS.values())


def test_pipeline_failure_has_its_own_kind_and_direction_and_keeps_its_id():
    from alerts.build import pipeline_failure_alert

    a = pipeline_failure_alert("ews_monitoring", "index", "2024-03-01T00:00:00", "2024-04-01T00:00:00", "r1",
                               "connection refused", error_type="ConnectionError", try_number=2)
    assert (a.kind, a.direction, a.observed, a.expected, a.severity) == ("pipeline_failure", "failure", None, None, 0.5)
    assert a.id == alert_id("pipeline", "pipeline:ews_monitoring|task:index", "2024-03-01T00:00:00/2024-04-01T00:00:00")
    assert "after 2 tries: ConnectionError: connection refused" in a.explanation and a.period == "2024-03"


def test_alerts_stored_before_kinds_are_read_with_their_kind_and_direction():
    from ews.kernel.schema import Alert

    now = "2024-03-01T00:00:00+00:00"
    base = {"score": 1.0, "severity": 0.5, "method": "m", "first_seen": now, "last_seen": now, "period": "2024-03"}
    silent = Alert.model_validate({**base, "id": "a1", "detector": "source_silent", "series": "source:x",
                                   "direction": "drop", "observed": 0.0, "expected": 4.0})
    assert (silent.kind, silent.direction, silent.observed, silent.expected) == ("source_silent", "silent", 0.0, 4.0)
    failed = Alert.model_validate({**base, "id": "a2", "detector": "pipeline", "series": "pipeline:d|task:t",
                                   "direction": "drop", "observed": 0.0, "expected": 1.0})
    assert (failed.kind, failed.direction, failed.observed, failed.expected) == ("pipeline_failure", "failure", None, None)
    moved = Alert.model_validate({**base, "id": "a3", "detector": "inventor_abroad", "series": "inventor:K",
                                  "direction": "move", "observed": 2.0, "expected": 0.0})
    count = Alert.model_validate({**base, "id": "a4", "detector": "count", "series": "tech:x", "direction": "surge",
                                  "observed": 9.0, "expected": 2.0})
    assert (moved.kind, count.kind) == ("inventor_move", "count_deviation")
    assert Alert.model_validate_json(silent.model_dump_json()) == silent


def test_a_shift_detector_drop_explains_itself_in_its_own_terms():
    import pandas as pd

    from alerts.build import alert_from_signal, signal_from_detection
    from models.detect import GLRShiftDetector

    y = [3.0, 4, 2, 3, 3, 4, 2, 3, 3, 4, 3, 2, 3, 3, 0, 0, 0, 0, 0, 0]
    s = pd.Series(y, index=[f"2021-{m:02d}" for m in range(1, 13)] + [f"2022-{m:02d}" for m in range(1, 9)],
                  name="tech:battery.li_ion")
    det = GLRShiftDetector(max_run=6, window=12, alpha=0.001, min_history=12, guard_on_run=True, directions=("drop",))
    d = [x for x in det.detect(s) if x.alarm][0]
    text = alert_from_signal(signal_from_detection(d)).explanation
    assert "level fell from" in text and "over the last" in text and "lower bound" not in text
    assert "0 where" in text
