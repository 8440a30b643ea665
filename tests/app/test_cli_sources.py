import json

from typer.testing import CliRunner

from ews.app.cli import app


def test_sources_json_contract():
    r = CliRunner().invoke(app, ["sources", "--json"])
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) >= 20 and len({s["id"] for s in rows}) == len(rows)
    for s in rows:
        assert {"id", "kind", "country", "language", "schedule", "endpoint", "last_run"} <= set(s)
        assert s["kind"] in ("patent", "policy", "paper")
        assert s["country"] in ("EU", "INT") or (len(s["country"]) == 2 and s["country"].isupper())
        assert s["last_run"] is None  # a fresh data directory: nothing has run
    assert {s["country"] for s in rows} >= {"US", "EU", "CN", "JP", "KR"}
    assert {s["kind"] for s in rows} == {"patent", "policy", "paper"}


def test_sources_say_whether_each_key_is_set_never_its_value(monkeypatch):
    monkeypatch.setenv("PATENTSVIEW_API_KEY", "pv-secret-value-123")
    monkeypatch.delenv("KIPRIS_PLUS_KEY", raising=False)
    r = CliRunner().invoke(app, ["sources", "--json"])
    assert r.exit_code == 0, r.stderr
    assert "pv-secret-value-123" not in r.stdout
    by_var = {v: ok for s in json.loads(r.stdout) for v, ok in s["credentials"].items()}
    assert by_var["PATENTSVIEW_API_KEY"] is True and by_var["KIPRIS_PLUS_KEY"] is False
    table = CliRunner().invoke(app, ["sources"], env={"COLUMNS": "250"}).stdout
    assert "KIPRIS_PLUS_KEY missing" in table and "pv-secret-value-123" not in table


def test_demo_sources_do_not_show_port_zero():
    table = CliRunner().invoke(app, ["sources", "--demo"], env={"COLUMNS": "250"}).stdout
    assert "127.0.0.1:0/" not in table and "127.0.0.1:<port>/" in table and "free port" in table
