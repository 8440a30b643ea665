"""`ews alerts` on the demo's alerts: the planted lithium-ion drop is one incident; bad filters are named."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.app.cli import ews

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo") / "ews-home"
    env = {**os.environ, "EWS_HOME": str(home)}
    env.pop("EWS_ES_URL", None)
    r = subprocess.run([sys.executable, "-m", "ews.app.cli", "run", "--demo"], capture_output=True, text=True,
                       env=env, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    return home


def test_planted_drop_is_one_incident(demo_home, monkeypatch):
    monkeypatch.setenv("EWS_HOME", str(demo_home))
    r = ews("alerts", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["count"] == sum(len(i["alerts"]) for i in doc["incidents"]) > doc["incidents_count"]
    drop = [i for i in doc["incidents"] if "field:battery" in [m["series"] for m in i["members"]]
            and i["direction"] == "drop"]
    assert len(drop) == 1
    (inc,) = drop
    assert inc["series"] == "tech:battery.li_ion|jurisdiction:US"
    assert set(inc["related_series"]) >= {"tech:battery.li_ion", "field:battery"}
    assert len({m["period"] for m in inc["members"]}) == 1
    # every alert is listed once, in exactly one incident
    ids = [a for i in doc["incidents"] for a in i["alerts"]]
    assert len(ids) == len(set(ids))

    table = ews("alerts", "--field", "battery")
    assert table.returncode == 0, table.stderr
    assert "↳ field:battery" in table.stdout and "semi" not in table.stdout


def test_filters_and_bad_values(demo_home, monkeypatch):
    monkeypatch.setenv("EWS_HOME", str(demo_home))
    doc = json.loads(ews("alerts", "--json", "--status", "triaged").stdout)
    assert doc["count"] == 0 and doc["incidents"] == []
    bad = ews("alerts", "--status", "open")
    assert bad.returncode == 2 and "unknown status 'open'" in bad.stderr and "triaged" in bad.stderr
    bad = ews("alerts", "--field", "semiconductor")
    assert bad.returncode == 2 and "unknown field 'semiconductor'" in bad.stderr and "battery" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_unreachable_elasticsearch_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("EWS_ES_URL", "http://ews:s3cretpass@127.0.0.1:9")
    r = ews("alerts")
    assert r.returncode == 2 and "cannot read the alert store" in r.stderr
    assert "s3cretpass" not in r.stderr and "Traceback" not in r.stderr
