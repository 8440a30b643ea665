"""Every page in both languages, the queue's filters and bulk actions, review and tag forms, offline API docs."""
from __future__ import annotations

import re

import pytest
from workbench_client import csrf_of

from alerts.web.feedback import training_records
from alerts.web.i18n import catalogue


def _pages(seeded):
    aid = seeded["alerts"]["tech:battery.li_ion"]
    return ["/admin/users", "/", "/fields/battery", "/fields/semi", "/queue", "/queue?field=battery&direction=drop&status=new",
            f"/alerts/{aid}", "/trends", "/trends?series=tech:battery.li_ion&series=field:battery",
            "/search", "/search?q=lithium&kind=patent", "/documents/doc001", "/documents/doc004"]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_page_renders_in_both_languages(session_for, seeded, lang):
    c = session_for("adam")
    for path in _pages(seeded):
        sep = "&" if "?" in path else "?"
        r = c.get(f"{path}{sep}lang={lang}")
        assert r.status_code == 200, (path, r.text[:500])
        assert f'<html lang="{lang}">' in r.text
    landing = c.get("/").text
    if lang == "ko":
        assert "반도체·디스플레이" in landing and "미결 경보" in landing
    else:
        assert "Semiconductors &amp; Displays" in landing and "open alerts" in landing


def test_every_label_has_both_languages_and_every_used_label_exists():
    labels = catalogue()
    from pathlib import Path

    import alerts.web as web

    root = Path(web.__file__).parent
    used = set()
    for f in list((root / "templates").glob("*.html")) + list(root.glob("*.py")):
        used |= set(re.findall(r"""\bt\(\s*['"]([a-z_]+(?:\.[a-z_]+)+|[a-z_]+)['"]""", f.read_text()))
    missing = sorted(k for k in used if k not in labels)
    assert not missing, missing


def test_landing_lists_the_12_fields_with_open_alerts(session_for):
    html = session_for("vera").get("/?lang=en").text
    assert len(re.findall(r'class="card field-card"', html)) == 12
    battery = html[html.index('data-field="battery"'):]
    assert "3 open alerts" in battery[:800]


def test_field_dashboard(session_for):
    html = session_for("vera").get("/fields/battery?lang=en").text
    assert "Open alerts (3)" in html and 'id="sparks-data"' in html
    assert "배터리 산업 육성 전략" in html  # the newest policy document tagged with the field
    assert "Top movers" in html


def test_queue_filters_sorting_paging(session_for, seeded):
    c = session_for("vera")
    html = c.get("/queue?lang=en").text
    rows = re.findall(r'<tr data-alert="([^"]+)"', html)
    assert len(rows) == 4
    sev = [float(x) for x in re.findall(r'class="sev sev-\w+" title="([0-9.]+)"', html)]
    assert sev == sorted(sev, reverse=True)
    only = re.findall(r'<tr data-alert="([^"]+)"', c.get("/queue?technology=semi.memory").text)
    assert only == [seeded["alerts"]["tech:semi.memory"]]
    assert len(re.findall(r'<tr data-alert=', c.get("/queue?country=US").text)) == 1
    assert len(re.findall(r'<tr data-alert=', c.get("/queue?period_from=2023-05").text)) == 3
    assert len(re.findall(r'<tr data-alert=', c.get("/queue?min_severity=0.99").text)) == 0


def test_bulk_assign_and_status(session_for, seeded):
    c = session_for("ana")
    html = c.get("/queue?field=battery").text
    picks = re.findall(r'name="alert" value="([^"]+)"', html)
    assert len(picks) == 3
    r = c.post("/queue/bulk", data={"csrf_token": csrf_of(html), "alert": picks, "status": "triaged",
                                    "assignee": "anton", "back": "/queue?field=battery"})
    assert r.status_code == 200 and "3" in r.text
    body = c.get("/api/alerts", params={"field": "battery", "assignee": "anton", "status": "triaged"}).json()
    assert body["count"] == 3
    assert {e["actor"] for a in body["alerts"] for e in c.get(f"/api/alerts/{a['id']}").json()["history"]} == {"ana"}


def test_review_form_and_concurrent_edit_message(session_for, seeded):
    aid = seeded["alerts"]["tech:semi.memory"]
    ana, anton = session_for("ana"), session_for("anton")
    page_a = ana.get(f"/alerts/{aid}?lang=en").text
    page_b = anton.get(f"/alerts/{aid}?lang=en").text
    version = re.search(r'name="version" value="([^"]+)"', page_a).group(1)
    r = ana.post(f"/alerts/{aid}/review", data={"csrf_token": csrf_of(page_a), "version": version,
                                                "status": "triaged", "note": "looks real"})
    assert r.status_code == 200 and "Review saved." in r.text and "looks real" in r.text
    r = anton.post(f"/alerts/{aid}/review", data={"csrf_token": csrf_of(page_b), "version": version,
                                                  "status": "dismissed"})
    assert "Someone else changed this alert" in r.text
    assert ana.get(f"/api/alerts/{aid}").json()["status"] == "triaged"


def test_alert_detail_shows_evidence_chart_and_history(session_for, seeded):
    aid = seeded["alerts"]["tech:battery.li_ion"]
    html = session_for("vera").get(f"/alerts/{aid}?lang=en").text
    assert 'id="alert-chart"' in html and '"flagged": [{"direction": "drop", "period": "2023-07"' in html
    assert 'href="/documents/doc001/archived"' in html and 'href="https://example.org/d/1"' in html
    assert "SAMSUNG SDI" in html and "H01M10" in html


def test_tag_feedback_is_stored_and_exported_for_training(session_for, seeded, ews_home):
    c = session_for("ana")
    html = c.get("/documents/doc005").text
    r = c.post("/documents/doc005/tags", data={"csrf_token": csrf_of(html),
                                               "technology": ["semi.memory", "semi.ai_chip"]})
    assert r.status_code == 200
    r = c.post("/documents/doc003/tags", data={"csrf_token": csrf_of(html), "technology": ["semi.memory"]})
    records = {x["id"]: x for x in training_records(ews_home)}
    assert records["doc005"]["labels"] == ["semi.ai_chip", "semi.memory"] and records["doc005"]["labelled_by"] == "ana"
    assert records["doc003"]["labels"] == ["semi.memory"]
    fb = c.get("/api/documents/doc005").json()["feedback"]
    assert fb[-1]["action"] == "correct" and fb[-1]["previous"] == ["semi.memory"]
    assert c.get("/api/documents/doc003").json()["feedback"][-1]["action"] == "confirm"
    lines = c.get("/api/tag-feedback.jsonl").text.splitlines()
    assert len(lines) == 2
    bad = c.post("/api/documents/doc005/tags", json={"technologies": ["semi.nonsense"]},
                 headers={"X-CSRF-Token": csrf_of(html)})
    assert bad.status_code == 422 and "semi.nonsense" in bad.json()["detail"]


def test_trend_explorer_compare_and_csv(session_for):
    c = session_for("vera")
    html = c.get("/trends?series=tech:battery.li_ion&series=field:battery&period_from=2023-06").text
    assert 'id="trend-chart-data"' in html and "trends.csv?series=tech%3Abattery.li_ion" in html
    csv = c.get("/api/trends.csv", params={"series": ["tech:battery.li_ion", "field:battery"],
                                           "period_from": "2023-06"}).text.splitlines()
    assert csv[0] == "series,period,count" and len(csv) == 1 + 2 * 7 and "tech:battery.li_ion,2023-07,3" in csv
    six = c.get("/api/trends/compare", params={"series": [f"s{i}" for i in range(6)]})
    assert six.status_code == 422 and "at most 5" in six.json()["detail"]


def test_search_filters_and_highlights(session_for):
    c = session_for("vera")
    body = c.get("/api/documents", params={"q": "리튬이온"}).json()
    assert {d["id"] for d in body["documents"]} == {"doc001", "doc004"}
    assert c.get("/api/documents", params={"q": "리튬이온", "kind": "policy"}).json()["count"] == 1
    assert c.get("/api/documents", params={"country": "KR", "kind": "patent"}).json()["count"] == 2
    assert c.get("/api/documents", params={"technology": "semi.memory"}).json()["count"] == 2
    assert c.get("/api/documents", params={"date_from": "2023-08-01"}).json()["count"] == 2
    html = c.get("/search?q=cathode").text
    assert "<mark>Cathode</mark>" in html


def test_api_docs_work_offline(anon):
    html = anon.get("/docs").text
    assert not re.search(r"(src|href)=\"https?://", html)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert anon.get(asset).status_code == 200, asset
    spec = anon.get("/openapi.json").json()
    assert {"bearer", "session"} <= set(spec["components"]["securitySchemes"])
    review = spec["paths"]["/api/alerts/{alert_id}/review"]["post"]
    assert {"401", "403", "409", "422"} <= set(review["responses"])
    assert "Authorization: Bearer" in spec["info"]["description"]


def test_admin_manages_users_and_others_may_not(session_for):
    adam = session_for("adam")
    html = adam.get("/admin/users?lang=en").text
    assert "Users of the workbench" in html and "vera" in html
    r = adam.post("/admin/users", data={"csrf_token": csrf_of(html), "name": "newbie", "role": "viewer",
                                         "password": "long enough pw"})
    assert "User newbie added." in r.text
    r = adam.post("/admin/users/newbie/remove", data={"csrf_token": csrf_of(html)})
    assert "User newbie removed" in r.text and "newbie</td>" not in r.text
    assert adam.post("/admin/users", data={"name": "x", "role": "viewer", "password": "long enough pw"}).status_code == 403
    ana = session_for("ana")
    assert ana.get("/admin/users").status_code == 403 and 'href="/admin/users"' not in ana.get("/").text
    assert ana.post("/admin/users", data={"csrf_token": csrf_of(ana.get("/").text), "name": "x", "role": "admin",
                                          "password": "long enough pw"}).status_code == 403
