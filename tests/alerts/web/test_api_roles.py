"""Every API operation × role: 401 without credentials, 403 below the needed role, success at or above it."""
from __future__ import annotations

import itertools

import pytest
from workbench_client import csrf_of
from workbench_seed import USERS

from alerts.web.users import UserStore

RANK = {"viewer": 0, "analyst": 1, "admin": 2}
_names = itertools.count()


def _version(client, token, alert_id):
    return client.get(f"/api/alerts/{alert_id}", headers={"Authorization": f"Bearer {token}"}).json()["version"]


def operations(seeded, ews_home):
    """(name, needed role, function(client, headers, admin_token) -> response)."""
    aid = seeded["alerts"]["tech:battery.li_ion"]
    admin = seeded["tokens"]["adam"]

    def review(c, h):
        return c.post(f"/api/alerts/{aid}/review", headers=h, json={"version": _version(c, admin, aid), "note": "seen"})

    def bulk(c, h):
        return c.post("/api/alerts/bulk-review", headers=h,
                      json={"alerts": [{"id": aid, "version": _version(c, admin, aid)}], "note": "bulk"})

    def add_user(c, h):
        return c.post("/api/users", headers=h, json={"name": f"new{next(_names)}", "role": "viewer",
                                                     "password": "a long password"})

    def remove_user(c, h):
        name = f"gone{next(_names)}"
        UserStore(ews_home).add(name, "viewer", "a long password")
        return c.delete(f"/api/users/{name}", headers=h)

    return [
        ("me", "viewer", lambda c, h: c.get("/api/me", headers=h)),
        ("list alerts", "viewer", lambda c, h: c.get("/api/alerts", headers=h)),
        ("get alert", "viewer", lambda c, h: c.get(f"/api/alerts/{aid}", headers=h)),
        ("review", "analyst", review),
        ("bulk review", "analyst", bulk),
        ("trend", "viewer", lambda c, h: c.get("/api/trends", params={"series": "tech:semi.memory"}, headers=h)),
        ("compare", "viewer", lambda c, h: c.get("/api/trends/compare", params={"series": ["field:battery"]}, headers=h)),
        ("csv", "viewer", lambda c, h: c.get("/api/trends.csv", params={"series": ["field:battery"]}, headers=h)),
        ("movers", "viewer", lambda c, h: c.get("/api/movers", headers=h)),
        ("silences", "viewer", lambda c, h: c.get("/api/silences", headers=h)),
        ("add silence", "analyst", lambda c, h: c.post("/api/silences", headers=h, json={"series": "tech:battery.*", "hours": 1})),
        ("search documents", "viewer", lambda c, h: c.get("/api/documents", params={"q": "lithium"}, headers=h)),
        ("get document", "viewer", lambda c, h: c.get("/api/documents/doc001", headers=h)),
        ("tag document", "analyst", lambda c, h: c.post("/api/documents/doc001/tags", headers=h,
                                                        json={"technologies": ["battery.li_ion"]})),
        ("export tag feedback", "analyst", lambda c, h: c.get("/api/tag-feedback.jsonl", headers=h)),
        ("list users", "admin", lambda c, h: c.get("/api/users", headers=h)),
        ("add user", "admin", add_user),
        ("remove user", "admin", remove_user),
    ]


def test_every_operation_for_every_role(anon, seeded, ews_home):
    ops = operations(seeded, ews_home)
    assert len(ops) == len([r for r in anon.app.routes if getattr(r, "path", "").startswith("/api/")
                            for _ in getattr(r, "methods", ())]), "an API route has no role test"
    for name, needed, call in ops:
        r = call(anon, {})
        assert r.status_code == 401, (name, r.status_code, r.text)
        assert r.headers.get("www-authenticate") == "Bearer"
        r = call(anon, {"Authorization": "Bearer ews_not-a-token"})
        assert r.status_code == 401, (name, "bad token", r.status_code)
        for user, role in USERS.items():
            r = call(anon, {"Authorization": f"Bearer {seeded['tokens'][user]}"})
            if RANK[role] >= RANK[needed]:
                assert 200 <= r.status_code < 300, (name, role, r.status_code, r.text)
            else:
                assert r.status_code == 403, (name, role, r.status_code, r.text)
                assert "needs" in r.json()["detail"]


def test_actor_is_the_authenticated_user_never_the_client_name(anon, seeded):
    aid = seeded["alerts"]["tech:semi.memory"]
    h = {"Authorization": f"Bearer {seeded['tokens']['ana']}"}
    v = anon.get(f"/api/alerts/{aid}", headers=h).json()["version"]
    r = anon.post(f"/api/alerts/{aid}/review", headers=h,
                  json={"version": v, "status": "triaged", "note": "n", "actor": "mallory", "created_by": "mallory"})
    assert r.status_code == 200, r.text
    assert [e["actor"] for e in r.json()["history"]] == ["ana"]
    s = anon.post("/api/silences", headers=h, json={"series": "tech:battery.*", "hours": 1, "created_by": "mallory"})
    assert s.json()["created_by"] == "ana"
    t = anon.post("/api/documents/doc002/tags", headers=h, json={"technologies": [], "actor": "mallory"})
    assert t.json()["actor"] == "ana" and t.json()["action"] == "correct"


def test_stale_version_is_409_and_only_one_wins(anon, seeded):
    aid = seeded["alerts"]["tech:semi.memory"]
    ana, anton = ({"Authorization": f"Bearer {seeded['tokens'][n]}"} for n in ("ana", "anton"))
    v = anon.get(f"/api/alerts/{aid}", headers=ana).json()["version"]
    first = anon.post(f"/api/alerts/{aid}/review", headers=ana, json={"version": v, "status": "triaged"})
    second = anon.post(f"/api/alerts/{aid}/review", headers=anton, json={"version": v, "status": "dismissed"})
    assert first.status_code == 200 and second.status_code == 409
    assert "changed by someone else" in second.json()["detail"]
    assert anon.get(f"/api/alerts/{aid}", headers=ana).json()["status"] == "triaged"
    bulk = anon.post("/api/alerts/bulk-review", headers=anton,
                     json={"alerts": [{"id": aid, "version": v}], "status": "dismissed"}).json()
    assert bulk["failed"] == 1 and bulk["results"][0]["status_code"] == 409


def test_bad_status_is_a_clear_422(anon, seeded):
    aid = seeded["alerts"]["tech:semi.memory"]
    h = {"Authorization": f"Bearer {seeded['tokens']['ana']}"}
    v = anon.get(f"/api/alerts/{aid}", headers=h).json()["version"]
    r = anon.post(f"/api/alerts/{aid}/review", headers=h, json={"version": v, "status": "closed"})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail.startswith("invalid request: status:") and "'closed'" in detail
    assert "triaged" in detail
    r = anon.get("/api/alerts", headers=h, params={"status": "bogus"})
    assert r.status_code == 422 and "status" in r.json()["detail"]
    r = anon.post(f"/api/alerts/{aid}/review", headers=h, json={"version": v, "status": "confirmed"})
    assert r.status_code == 422 and "cannot go from new to confirmed" in r.json()["detail"]
    assert anon.get("/api/alerts/nope", headers=h).status_code == 404


def test_count_is_the_total_not_the_page(anon, seeded):
    h = {"Authorization": f"Bearer {seeded['tokens']['vera']}"}
    body = anon.get("/api/alerts", headers=h, params={"size": 1}).json()
    assert len(body["alerts"]) == 1 and body["count"] == 4
    assert anon.get("/api/alerts", headers=h, params={"size": 2, "offset": 3}).json()["count"] == 4
    assert anon.get("/api/alerts", headers=h, params={"country": "us"}).json()["count"] == 1
    assert anon.get("/api/alerts", headers=h, params={"field": "battery"}).json()["count"] == 3
    assert anon.get("/api/alerts", headers=h, params={"kind": "source_silent"}).json()["count"] == 0


def test_session_writes_need_the_csrf_token(session_for, seeded):
    aid = seeded["alerts"]["tech:semi.memory"]
    c = session_for("ana")
    v = c.get(f"/api/alerts/{aid}").json()["version"]
    r = c.post(f"/api/alerts/{aid}/review", json={"version": v, "note": "no token"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    token = csrf_of(c.get("/queue").text)
    r = c.post(f"/api/alerts/{aid}/review", json={"version": v, "note": "token"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["history"][-1]["actor"] == "ana"
    # the page form: without the token refused and nothing recorded
    r = c.post(f"/alerts/{aid}/review", data={"version": r.json()["version"], "status": "triaged"})
    assert r.status_code == 403
    assert c.get(f"/api/alerts/{aid}").json()["status"] == "new"


@pytest.mark.parametrize("user", ["ana", "adam"])
def test_token_of_a_removed_user_stops_working(anon, seeded, ews_home, user):
    h = {"Authorization": f"Bearer {seeded['tokens'][user]}"}
    assert anon.get("/api/me", headers=h).json()["name"] == user
    UserStore(ews_home).remove(user)
    assert anon.get("/api/me", headers=h).status_code == 401
