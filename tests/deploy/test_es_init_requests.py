"""The requests es-init sends, recorded by an HTTP server on 127.0.0.1.

No secured Elasticsearch can run here (see test_elasticsearch_setup.py), so this checks the other half:
that es_init.py turns the data files into the documented API calls, with the index prefix substituted,
through the real Elasticsearch client. The server acknowledges every call and answers nothing else.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from elasticsearch import Elasticsearch

from tests.deploy.conftest import load_script


class Recorder(ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.calls: list[tuple[str, str, dict | None]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.calls.append((self.command, self.path.split("?")[0], body))
        payload = b'{"acknowledged": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")  # the client refuses a server without it
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def es_init():
    return load_script("es_init")


def calls_by_path(recorder) -> dict[str, tuple[str, dict | None]]:
    return {path: (method, body) for method, path, body in recorder.calls}


def test_security_requests_limit_the_app_to_its_prefix(es_init, recorder):
    es = Elasticsearch(recorder.url)
    env = {"EWS_ES_USERNAME": "ews_app_user", "EWS_ES_PASSWORD": "p" * 16, "KIBANA_PASSWORD": "k" * 16}
    assert es_init.put_security(es, "acme", env) == "ews_app_user"
    calls = calls_by_path(recorder)
    method, body = calls["/_security/user/kibana_system/_password"]
    assert method in ("PUT", "POST") and body == {"password": "k" * 16}  # the API takes either
    method, role = calls["/_security/role/ews_app"]
    assert method == "PUT" and role["indices"][0]["names"] == ["acme-*"]
    assert set(role["cluster"]) == {"monitor", "manage_index_templates"}
    method, user = calls["/_security/user/ews_app_user"]
    assert method == "PUT" and user["roles"] == ["ews_app"] and user["password"] == "p" * 16


def test_lifecycle_requests_put_every_policy_and_the_nightly_snapshot(es_init, recorder):
    es = Elasticsearch(recorder.url)
    names = es_init.put_lifecycle(es, "acme")
    assert set(names) == {"ews-documents", "ews-trends", "ews-alerts", "ews-retired"}
    calls = calls_by_path(recorder)
    for name in names:
        method, body = calls[f"/_ilm/policy/{name}"]
        assert method == "PUT" and "phases" in body["policy"], name
    method, repo = calls["/_snapshot/ews-snapshots"]
    assert method == "PUT" and repo == {"type": "fs", "settings": {"location": "/usr/share/elasticsearch/snapshots",
                                                                   "compress": True}}
    method, slm = calls["/_slm/policy/ews-nightly"]
    assert method == "PUT" and slm["config"]["indices"] == ["acme-*"] and slm["repository"] == "ews-snapshots"
