"""`ews run` tells the truth in its exit code, and bad configuration is a clear message, never a secret."""
from __future__ import annotations

import socket

import pytest

from ews.kernel.store import Store
from tests.app.cli import ews

SECRET = "pa55w0rd-never-shown"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("url, problem", [
    (f"http://elastic:{SECRET}@127.0.0.1:92x0", "is not a URL"),
    (f"elastic:{SECRET}@127.0.0.1:9200", "is not an http(s)://host[:port] URL"),
    (f"http://elastic:{SECRET}@[::1", "is not a URL"),
])
def test_an_unparsable_es_url_is_named_before_any_stage_runs_and_its_password_never_shown(
        monkeypatch, ews_home, url, problem):
    monkeypatch.setenv("EWS_ES_URL", url)
    r = ews("run", "--demo")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "EWS_ES_URL" in r.stderr and problem in r.stderr and "Traceback" not in r.stderr
    assert SECRET not in r.stdout + r.stderr
    assert not ews_home.exists()  # nothing ran


def test_a_data_directory_that_is_a_file_is_a_clear_error(monkeypatch, tmp_path):
    home = tmp_path / "home"
    home.write_text("a file")
    monkeypatch.setenv("EWS_HOME", str(home))
    for args in (["run", "--demo"], ["sources"], ["reparse"]):
        r = ews(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "EWS_HOME" in r.stderr and "is a file, not a directory" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.integration
def test_run_exits_3_when_indexing_failed_and_says_what_waits_in_the_outbox(monkeypatch, ews_home):
    monkeypatch.setenv("EWS_ES_URL", f"http://elastic:{SECRET}@127.0.0.1:{closed_port()}")
    r = ews("run", "--demo")
    assert r.returncode == 3, (r.stdout[-2000:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr and SECRET not in r.stdout + r.stderr
    with Store(ews_home) as store:
        waiting = len(store.pending_alerts())
        never = store.pending_documents()
        assert waiting == store.stats()["alerts"] > 0 and never == store.stats()["documents"] > 0
    out = " ".join(r.stdout.split())
    assert "indexing into Elasticsearch incomplete" in out
    assert f"{waiting} alerts, {never} documents never indexed" in out
    assert "exit code 3" in out
