"""Elasticsearch down: searches answer 503 with the reason, pages say so; login, static files, documents and
reviews (kept in the data directory's journal) keep working."""
from __future__ import annotations

from fastapi.testclient import TestClient
from workbench_server import free_port

from alerts.stores import open_alert_store
from alerts.web import create_app
from ews.kernel.config import load_settings


def test_store_down_is_503_with_a_reason(seeded, ews_home):
    port = free_port()  # nothing listens there
    settings = load_settings(home=ews_home, es_url=f"http://127.0.0.1:{port}")
    app = create_app(store_factory=lambda: open_alert_store(settings), settings=settings)
    h = {"Authorization": f"Bearer {seeded['tokens']['ana']}"}
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/alerts", headers=h)
        assert r.status_code == 503 and "Elasticsearch cannot be reached" in r.json()["detail"]
        assert r.headers["retry-after"]
        aid = seeded["alerts"]["tech:semi.memory"]
        r = c.post(f"/api/alerts/{aid}/review", headers=h, json={"version": "0", "note": "n"})
        # reviews live in the data directory's journal: they go on while the cluster is down
        assert r.status_code == 200 and r.json()["history"][-1]["actor"] == "ana"
        page = c.get("/queue?lang=en", headers=h)
        assert page.status_code == 503 and "Elasticsearch cannot be reached" in page.text
        assert "the rest of the app keeps working" in page.text
        assert c.get("/login").status_code == 200 and c.get("/static/app.css").status_code == 200
        assert c.get("/api/me", headers=h).json()["name"] == "ana"
        assert c.get("/api/documents/doc001", headers=h).status_code == 200  # the embedded documents still serve
