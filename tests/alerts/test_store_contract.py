"""One contract, two stores: the embedded (SQLite) store and the Elasticsearch store behave alike."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from alerts.base import AlertNotFound, AlertQuery, InvalidTransition, ReviewConflict, Silence
from alerts.build import alerts_from_detections
from alerts.embedded import EmbeddedAlertStore
from ews.kernel.schema import Detection, SourceHealth


@pytest.fixture(params=["embedded", pytest.param("elastic", marks=pytest.mark.integration)])
def alert_store(request, tmp_path):
    if request.param == "embedded":
        s = EmbeddedAlertStore(tmp_path / "home")
        yield s
        s.close()
    else:
        yield request.getfixturevalue("es_store")


def det(series="semi.memory", period="2023-07", observed=41.0, expected=12.5, direction="surge", score=0.97,
        method="negative binomial baseline"):
    return Detection(series=series, period=period, observed=observed, expected=expected, lower=5, upper=20,
                     alarm=True, direction=direction, score=score, method=method)


def sample():
    return alerts_from_detections([
        det(),
        det(series="battery.li_ion", period="2023-03", observed=1, expected=30, direction="drop", score=0.9,
            method="poisson baseline"),
        det(series="ai.ml|KR", period="2023-05", observed=9, expected=4, score=0.6),
    ])


def test_upsert_get_count_and_idempotent_rerun(alert_store):
    first = alert_store.upsert_alerts(sample())
    assert first == {"inserted": 3, "updated": 0}
    assert alert_store.count_alerts() == 3
    again = alert_store.upsert_alerts(sample())
    assert again == {"inserted": 0, "updated": 3}
    assert alert_store.count_alerts() == 3
    a = sample()[0]
    got = alert_store.get(a.id)
    assert got.alert.id == a.id and got.alert.status == "new" and got.assignee is None
    assert got.alert.series == "semi.memory" and got.alert.evidence["technology"] == "semi.memory"
    assert alert_store.get("no-such-alert") is None


def test_realert_window_updates_the_open_alert_instead_of_duplicating(alert_store):
    alert_store.upsert_alerts(alerts_from_detections([det(period="2023-07")]))
    res = alert_store.upsert_alerts(alerts_from_detections([det(period="2023-08", observed=60)]))
    assert res == {"inserted": 0, "updated": 1}
    assert alert_store.count_alerts() == 1
    (only,) = alert_store.search()
    assert sorted(only.alert.evidence["occurrences"]) == ["2023-07", "2023-08"]
    assert only.alert.period == "2023-07"
    # outside the window: a new alert
    alert_store.upsert_alerts(alerts_from_detections([det(period="2024-03")]))
    assert alert_store.count_alerts() == 2


def test_lifecycle_with_append_only_history(alert_store):
    alert_store.upsert_alerts(sample())
    aid = sample()[0].id
    r = alert_store.get(aid)
    r = alert_store.review(aid, actor="kim", version=r.version, status="triaged", note="plausible")
    r = alert_store.review(aid, actor="kim", version=r.version, assignee="park")
    r = alert_store.review(aid, actor="park", version=r.version, status="escalated", note="needs the field lead")
    r = alert_store.review(aid, actor="lee", version=r.version, note="asked the patent office")
    r = alert_store.review(aid, actor="lee", version=r.version, status="confirmed", note="verified")
    assert r.alert.status == "confirmed" and r.assignee == "park"
    h = alert_store.history(aid)
    assert [(e.actor, e.action, e.to_status) for e in h] == [
        ("kim", "status", "triaged"), ("kim", "assign", None), ("park", "status", "escalated"),
        ("lee", "note", None), ("lee", "status", "confirmed")]
    assert h[0].from_status == "new" and h[0].note == "plausible" and h[1].assignee == "park"
    assert all(e.at.tzinfo is not None for e in h)
    with pytest.raises(InvalidTransition, match="cannot go from confirmed to triaged"):
        alert_store.review(aid, actor="kim", version=r.version, status="triaged")
    with pytest.raises(AlertNotFound):
        alert_store.review("nope", actor="kim", version="0", status="triaged")
    # re-detection updates the numbers but keeps status, assignee and history
    alert_store.upsert_alerts(alerts_from_detections([det(observed=55)]))
    again = alert_store.get(aid)
    assert again.alert.status == "confirmed" and again.assignee == "park" and again.alert.observed == 55
    assert len(alert_store.history(aid)) == 5


def test_concurrent_reviews_conflict_clearly(alert_store):
    alert_store.upsert_alerts(sample())
    aid = sample()[1].id
    seen_by_kim = alert_store.get(aid)
    seen_by_lee = alert_store.get(aid)
    alert_store.review(aid, actor="kim", version=seen_by_kim.version, status="triaged")
    with pytest.raises(ReviewConflict) as err:
        alert_store.review(aid, actor="lee", version=seen_by_lee.version, status="dismissed")
    assert "changed by someone else" in str(err.value) and aid in str(err.value)
    now = alert_store.get(aid)
    assert now.alert.status == "triaged" and len(alert_store.history(aid)) == 1
    # reloading and retrying works
    alert_store.review(aid, actor="lee", version=now.version, status="dismissed", note="duplicate filing")
    assert alert_store.get(aid).alert.status == "dismissed"


def test_search_filters_and_free_text(alert_store):
    alert_store.upsert_alerts(sample())
    s = alert_store.search
    assert [r.alert.series for r in s()] == sorted([r.alert.series for r in s()],
                                                   key=lambda x: -next(r.alert.severity for r in s() if r.alert.series == x))
    assert [r.alert.series for r in s(AlertQuery(direction="drop"))] == ["battery.li_ion"]
    assert [r.alert.series for r in s(AlertQuery(technology="ai.ml"))] == ["ai.ml|KR"]
    assert [r.alert.series for r in s(AlertQuery(series="semi.memory"))] == ["semi.memory"]
    assert {r.alert.series for r in s(AlertQuery(period_from="2023-04", period_to="2023-06"))} == {"ai.ml|KR"}
    assert all(r.alert.severity >= 0.5 for r in s(AlertQuery(min_severity=0.5)))
    assert [r.alert.series for r in s(AlertQuery(text="poisson"))] == ["battery.li_ion"]
    assert {r.alert.series for r in s(AlertQuery(text="surge -poisson"))} == {"semi.memory", "ai.ml|KR"}
    assert s(AlertQuery(text="drop surge")) == []
    assert len(s(AlertQuery(size=1))) == 1 and len(s(AlertQuery(size=2, offset=2))) == 1
    # user syntax never breaks the query (and no raw query_string is ever built from it)
    for hostile in ['title:(x OR', '"unbalanced', '*:*', 'a AND OR NOT', '\\', '/regex.*/', '<script>']:
        s(AlertQuery(text=hostile))
    aid = sample()[0].id
    r = alert_store.get(aid)
    alert_store.review(aid, actor="kim", version=r.version, status="triaged", assignee="park")
    assert [x.alert.id for x in s(AlertQuery(status=["triaged"]))] == [aid]
    assert [x.alert.id for x in s(AlertQuery(assignee="park"))] == [aid]
    assert len(s(AlertQuery(status=["new", "triaged"]))) == 3


def test_silences_hide_matching_alerts_while_active(alert_store):
    alert_store.upsert_alerts(sample())
    now = dt.datetime.now(dt.UTC)
    alert_store.add_silence(Silence(series="semi.*", starts=now - dt.timedelta(hours=1),
                                    ends=now + dt.timedelta(days=7), reason="known fab build-out", created_by="kim"))
    alert_store.add_silence(Silence(series="battery.*", starts=now - dt.timedelta(days=9),
                                    ends=now - dt.timedelta(days=2), reason="expired", created_by="kim"))
    alert_store.add_silence(Silence(series="ai.*", direction="drop", starts=now - dt.timedelta(hours=1),
                                    ends=now + dt.timedelta(days=1), created_by="kim"))
    assert len(alert_store.silences()) == 3 and len(alert_store.silences(now)) == 2
    visible = {r.alert.series for r in alert_store.search()}
    assert visible == {"battery.li_ion", "ai.ml|KR"}
    every = {r.alert.series: r.silenced for r in alert_store.search(AlertQuery(include_silenced=True))}
    assert every == {"semi.memory": True, "battery.li_ion": False, "ai.ml|KR": False}
    assert alert_store.get(sample()[0].id).silenced


def test_trends_and_top_movers(alert_store):
    rows = [("semi.memory", f"2023-{m:02d}", 10 + m) for m in range(1, 13)]
    rows += [("ai.ml", f"2023-{m:02d}", 5 if m < 12 else 30) for m in range(1, 13)]
    rows += [("ai.ml|KR", f"2023-{m:02d}", 2) for m in range(1, 13)]
    counts = pd.DataFrame(rows, columns=["series", "period", "count"])
    assert alert_store.index_trends(counts) == len(rows)
    t = alert_store.trend("semi.memory")
    assert [p.period for p in t] == [f"2023-{m:02d}" for m in range(1, 13)] and t[0].count == 11
    assert [p.count for p in alert_store.trend("ai.ml", "2023-11", "2023-12")] == [5, 30]
    movers = alert_store.top_movers(5)
    assert [(m.series, m.change, m.previous_period) for m in movers] == [("ai.ml", 25, "2023-11"), ("semi.memory", 1, "2023-11")]
    assert alert_store.top_movers(5, period="2023-06")[0].period == "2023-06"
    # a fresh aggregation replaces the old one
    alert_store.index_trends(counts[counts["series"] != "ai.ml"])
    assert alert_store.trend("ai.ml") == []
    assert len(alert_store.trend("semi.memory")) == 12


def _core(alert_store):
    """The data directory's store under the alert store (the embedded one, or the Elasticsearch store's journal)."""
    return getattr(alert_store, "core", None) or alert_store.journal.core


def test_top_movers_default_skips_zero_padding_and_the_incomplete_period(alert_store):
    # the count stage zero-fills every series up to the cut-off's period: 2024-01..03 are padding, 2024-03
    # also only partly observed (one early document in it)
    rows = [("semi.memory", f"2023-{m:02d}", 10 + m) for m in range(1, 13)]
    rows += [("ai.ml", f"2023-{m:02d}", 5 if m < 12 else 30) for m in range(1, 13)]
    rows += [(s, f"2024-{m:02d}", 0) for s in ("semi.memory", "ai.ml") for m in (1, 2)]
    rows += [("semi.memory", "2024-03", 1), ("ai.ml", "2024-03", 0)]
    alert_store.index_trends(pd.DataFrame(rows, columns=["series", "period", "count"]))
    assert alert_store.data_cutoff() is None
    # without a cut-off the newest period with data is the partial one; never the all-zero 2024-02
    assert {m.period for m in alert_store.top_movers(5)} == {"2024-03"}
    now = dt.datetime(2024, 3, 15, tzinfo=dt.UTC)
    _core(alert_store).record_health(SourceHealth(source="s", started_at=now, finished_at=now,
                                                  window_start=dt.date(2024, 3, 8), window_end=dt.date(2024, 3, 15)))
    assert alert_store.data_cutoff() == dt.date(2024, 3, 14)
    movers = alert_store.top_movers(5)
    assert [(m.series, m.period, m.previous_period, m.change) for m in movers] == [
        ("ai.ml", "2023-12", "2023-11", 25), ("semi.memory", "2023-12", "2023-11", 1)]
    # a period asked for is answered as asked, padding or not
    assert {m.period for m in alert_store.top_movers(5, period="2024-02")} == {"2024-02"}


def test_series_exists_by_counts_or_alerts_key_or_glob(alert_store):
    alert_store.upsert_alerts(sample())  # semi.memory, battery.li_ion, ai.ml|KR
    alert_store.index_trends(pd.DataFrame([("quantum.computing", "2023-01", 0)], columns=["series", "period", "count"]))
    for known in ("semi.memory", "battery.*", "ai.ml|KR", "ai.ml|*", "quantum.computing", "quantum.*", "*"):
        assert alert_store.series_exists(known), known
    for unknown in ("semi.memroy", "ai.ml", "tech:semi.*", "semi.memory|*", "zzz*"):
        assert not alert_store.series_exists(unknown), unknown


def test_search_page_counts_every_match_and_filters_kind_and_country(alert_store):
    alerts = alerts_from_detections([det(), det(series="tech:battery.li_ion|country:KR", period="2023-03"),
                                     det(series="tech:battery.li_ion|jurisdiction:US", period="2023-04"),
                                     det(series="tech:ai.ml", period="2023-05")])
    alert_store.upsert_alerts(alerts)
    if hasattr(alert_store, "refresh"):
        alert_store.refresh()
    page, total = alert_store.search_page(AlertQuery(size=1))
    assert len(page) == 1 and total == 4
    page, total = alert_store.search_page(AlertQuery(size=2, offset=3))
    assert len(page) == 1 and total == 4
    assert alert_store.search_page(AlertQuery(country="KR"))[1] == 1
    assert alert_store.search_page(AlertQuery(country="US"))[1] == 1
    assert alert_store.search_page(AlertQuery(kind="count_deviation"))[1] == 4
    assert alert_store.search_page(AlertQuery(kind="source_silent"))[1] == 0
