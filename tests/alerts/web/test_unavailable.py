"""Elasticsearch down: the API answers 503 with the reason, pages say so, login and static files keep working."""
from __future__ import annotations

from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from workbench_server import free_port

from alerts.elastic import ElasticAlertStore
from alerts.web import create_app


def test_store_down_is_503_with_a_reason(seeded):
    port = free_port()  # nothing listens there
    app = create_app(store_factory=lambda: ElasticAlertStore(
        Elasticsearch(f"http://127.0.0.1:{port}", max_retries=0, request_timeout=2)))
    h = {"Authorization": f"Bearer {seeded['tokens']['ana']}"}
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/alerts", headers=h)
        assert r.status_code == 503 and "Elasticsearch cannot be reached" in r.json()["detail"]
        assert r.headers["retry-after"]
        assert c.post("/api/alerts/x/review", headers=h, json={"version": "1", "note": "n"}).status_code == 503
        page = c.get("/queue?lang=en", headers=h)
        assert page.status_code == 503 and "Elasticsearch cannot be reached" in page.text
        assert "the rest of the app keeps working" in page.text
        assert c.get("/login").status_code == 200 and c.get("/static/app.css").status_code == 200
        assert c.get("/api/me", headers=h).json()["name"] == "ana"
        assert c.get("/api/documents/doc001", headers=h).status_code == 200  # the embedded documents still serve
