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
