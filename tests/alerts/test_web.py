"""The review app's JSON API and HTML pages, on the embedded store, through FastAPI's TestClient."""
from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from alerts.build import alerts_from_detections
from alerts.web import create_app
from ews.kernel.schema import Detection
from ews.kernel.store import Store

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def client(ews_home):
    with Store(ews_home) as store:
        rows = [(s, f"2023-{m:02d}", 10 + m) for s in ("semi.memory", "ai.ml") for m in range(1, 13)]
        store.replace_counts(pd.DataFrame(rows, columns=["series", "period", "count"]))
        ds = [Detection(series="semi.memory", period="2023-07", observed=41, expected=12.5, lower=5, upper=20,
                        alarm=True, direction="surge", score=0.97, method=f"poisson {HOSTILE}"),
              Detection(series="ai.ml", period="2023-03", observed=1, expected=15, lower=7, upper=23,
                        alarm=True, direction="drop", score=0.9, method="poisson")]
        store.upsert_alerts(alerts_from_detections(ds))
    # default factory: the store the settings select (embedded, under EWS_HOME)
    with TestClient(create_app()) as c:
        yield c


def test_list_and_filter_alerts(client):
    body = client.get("/api/alerts").json()
    assert body["count"] == 2 and body["alerts"][0]["severity"] >= body["alerts"][1]["severity"]
    assert [a["series"] for a in client.get("/api/alerts", params={"direction": "drop"}).json()["alerts"]] == ["ai.ml"]
    assert client.get("/api/alerts", params={"technology": "semi.memory"}).json()["count"] == 1
    assert client.get("/api/alerts", params={"q": "surge poisson"}).json()["count"] == 1
    assert client.get("/api/alerts", params={"status": "confirmed"}).json()["count"] == 0
    assert client.get("/api/alerts", params={"min_severity": 2}).status_code == 422


def test_get_review_and_conflict(client):
    a = client.get("/api/alerts", params={"series": "semi.memory"}).json()["alerts"][0]
    one = client.get(f"/api/alerts/{a['id']}").json()
    assert one["history"] == [] and one["status"] == "new"
    r = client.post(f"/api/alerts/{a['id']}/review",
                    json={"actor": "kim", "version": one["version"], "status": "triaged", "note": "looks real"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "triaged" and r.json()["history"][0]["to_status"] == "triaged"
    stale = client.post(f"/api/alerts/{a['id']}/review",
                        json={"actor": "lee", "version": one["version"], "status": "dismissed"})
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]
    bad = client.post(f"/api/alerts/{a['id']}/review", json={"actor": "kim", "version": r.json()["version"], "status": "new"})
    assert bad.status_code == 422
    assert client.get("/api/alerts/nope").status_code == 404


def test_trends_movers_and_silences(client):
    t = client.get("/api/trends", params={"series": "ai.ml"}).json()
    assert len(t["points"]) == 12 and t["points"][0] == {"period": "2023-01", "count": 11}
    assert client.get("/api/movers", params={"n": 2}).json()["movers"][0]["period"] == "2023-12"
    s = client.post("/api/silences", json={"series": "ai.*", "hours": 1, "created_by": "kim", "reason": "known"})
    assert s.status_code == 201
    assert [a["series"] for a in client.get("/api/alerts").json()["alerts"]] == ["semi.memory"]
    assert client.get("/api/alerts", params={"include_silenced": True}).json()["count"] == 2


def test_html_pages_escape_and_review_form(client):
    page = client.get("/")
    assert page.status_code == 200 and "semi.memory" in page.text
    assert HOSTILE not in page.text and "&lt;img src=x" in page.text
    a = client.get("/api/alerts", params={"series": "semi.memory"}).json()["alerts"][0]
    detail = client.get(f"/alerts/{a['id']}")
    assert detail.status_code == 200 and HOSTILE not in detail.text and "2023-07" in detail.text
    r = client.post(f"/alerts/{a['id']}/review", data={"actor": "kim", "version": a["version"], "status": "triaged"},
                    follow_redirects=True)
    assert r.status_code == 200 and "triaged" in r.text
    r = client.post(f"/alerts/{a['id']}/review", data={"actor": "kim", "version": a["version"], "status": "confirmed"},
                    follow_redirects=True)
    assert "changed by someone else" in r.text


def test_silent_source_and_failed_task_alerts_are_listed_and_shown(client, ews_home):
    import datetime as dt

    from alerts.build import alert_from_signal, pipeline_failure_alert
    from ews.kernel.schema import Signal

    silent = alert_from_signal(Signal(kind="source_silent", detector="source_silent", series="source:kr.msit",
                                      period="2024-03", occasion="2024-03-04", direction="silent", observed=0.0,
                                      expected=10.0, score=1.0, method="silent-source(runs>=3)",
                                      facts={"source": "kr.msit", "silent_runs": 3,
                                             "silent_since": "2024-03-04T00:00:00+00:00",
                                             "last_items_at": "2024-03-03T00:00:00+00:00", "errors_while_silent": 0}))
    failed = pipeline_failure_alert("ews_monitoring", "index", None, None, "manual__1", "boom",
                                    now=dt.datetime(2024, 3, 5, tzinfo=dt.UTC))
    with Store(ews_home) as store:
        store.upsert_alerts([silent, failed])
    for direction, a in (("silent", silent), ("failure", failed)):
        got = client.get("/api/alerts", params={"direction": direction}).json()["alerts"]
        assert [x["id"] for x in got] == [a.id] and got[0]["kind"] == a.kind
    page = client.get("/", params={"direction": "failure"})
    assert page.status_code == 200 and "pipeline:ews_monitoring|task:index" in page.text and "—" in page.text
    detail = client.get(f"/alerts/{failed.id}")
    assert detail.status_code == 200 and "pipeline_failure" in detail.text
