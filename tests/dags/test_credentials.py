"""Credentials come from the environment or Airflow connections, never from code, and never reach an alert."""
from __future__ import annotations

import json

import pytest


@pytest.fixture
def clean_env(monkeypatch):
    for var in ("EWS_ES_URL", "EWS_ES_USERNAME", "EWS_ES_PASSWORD", "EWS_ES_CA_CERTS", "PATENTSVIEW_API_KEY"):
        monkeypatch.setenv(var, "x")  # registered with monkeypatch so that whatever the code sets is undone
        monkeypatch.delenv(var)
    return monkeypatch


def test_elasticsearch_and_source_keys_from_airflow_connections(airflow_home, clean_env):
    from ews.app.tasks import credentials_from_airflow

    clean_env.setenv("AIRFLOW_CONN_EWS_ELASTICSEARCH", json.dumps({
        "conn_type": "generic", "host": "es.internal", "schema": "https", "port": 9200, "login": "elastic",
        "password": "pa55-from-conn", "extra": {"ca_certs": "/certs/ca/ca.crt"}}))
    source, var = _keyed_source()
    clean_env.setenv(var, "x")
    clean_env.delenv(var)
    clean_env.setenv(f"AIRFLOW_CONN_{var}", json.dumps({"conn_type": "generic", "password": "k3y-from-conn"}))
    filled = credentials_from_airflow([source])
    import os

    assert os.environ["EWS_ES_URL"] == "https://es.internal:9200"
    assert os.environ["EWS_ES_USERNAME"] == "elastic" and os.environ["EWS_ES_PASSWORD"] == "pa55-from-conn"
    assert os.environ["EWS_ES_CA_CERTS"] == "/certs/ca/ca.crt"
    assert "pa55-from-conn" not in json.dumps(filled)  # names only
    assert os.environ[var] == "k3y-from-conn" and var in filled


def test_the_environment_wins_over_connections(airflow_home, clean_env):
    import os

    from ews.app.tasks import credentials_from_airflow

    clean_env.setenv("EWS_ES_URL", "https://from-env:9200")
    clean_env.setenv("AIRFLOW_CONN_EWS_ELASTICSEARCH", json.dumps({"conn_type": "generic", "host": "https://other"}))
    assert credentials_from_airflow() == []
    assert os.environ["EWS_ES_URL"] == "https://from-env:9200"


def test_failure_alerts_scrub_credentials(clean_env):
    from alerts.build import pipeline_failure_alert

    clean_env.setenv("EWS_ES_PASSWORD", "pa55-word-env-x")
    a = pipeline_failure_alert("ews_monitoring", "index", None, None, "manual__1",
                               "ConnectionError: https://elastic:pa55-word-env-x@es:9200/_bulk refused; "
                               "GET https://api.example/x?api_key=abc123secret&q=1 failed (pa55-word-env-x)")
    body = a.model_dump_json()
    assert "pa55-word-env-x" not in body and "abc123secret" not in body
    assert "https://***@es:9200/_bulk" in a.explanation and "api_key=***" in a.explanation
    again = pipeline_failure_alert("ews_monitoring", "index", None, None, "manual__1", "other message")
    assert again.id == a.id and a.detector == "pipeline" and a.period.count("-") == 1


def _keyed_source() -> tuple[str, str]:
    """A registry source that needs an API key, and the variable it reads it from."""
    from crawlers.registry import load_registry

    return next((s.id, s.settings["api_key_env"]) for s in load_registry() if s.settings.get("api_key_env"))
