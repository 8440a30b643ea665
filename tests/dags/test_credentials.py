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
    import os

    from ews.app.tasks import settings_from_airflow

    clean_env.setenv("AIRFLOW_CONN_EWS_ELASTICSEARCH", json.dumps({
        "conn_type": "generic", "host": "es.internal", "schema": "https", "port": 9200, "login": "elastic",
        "password": "pa55-from-conn", "extra": {"ca_certs": "/certs/ca/ca.crt"}}))
    source, var = _keyed_source()
    clean_env.setenv(var, "x")
    clean_env.delenv(var)
    clean_env.setenv(f"AIRFLOW_CONN_{var}", json.dumps({"conn_type": "generic", "password": "k3y-from-conn"}))
    before = dict(os.environ)
    settings = settings_from_airflow([source])
    assert dict(os.environ) == before  # nothing written into the environment
    assert settings.es_url == "https://es.internal:9200"
    assert settings.es_username == "elastic" and settings.es_password == "pa55-from-conn"
    assert str(settings.es_ca_certs) == "/certs/ca/ca.crt"
    assert settings.source_credentials == {var: "k3y-from-conn"}
    assert "pa55-from-conn" not in repr(settings) and "k3y-from-conn" not in repr(settings)


def test_the_environment_wins_over_connections(airflow_home, clean_env):
    from ews.app.tasks import settings_from_airflow

    clean_env.setenv("EWS_ES_URL", "https://from-env:9200")
    clean_env.setenv("AIRFLOW_CONN_EWS_ELASTICSEARCH", json.dumps({"conn_type": "generic", "host": "https://other"}))
    settings = settings_from_airflow()
    assert settings.es_url == "https://from-env:9200" and settings.source_credentials == {}


def test_connection_credentials_reach_the_crawler_process_only(tmp_path, clean_env):
    """A key from a connection is in the crawler's environment (where the spider reads it), not in ours."""
    import datetime as dt
    import os

    from crawlers.crawl import crawl_sources
    from crawlers.registry import load_registry

    source = next(s for s in load_registry() if s.settings.get("api_key_env"))
    var = source.settings["api_key_env"]
    clean_env.delenv(var, raising=False)
    # a source on a closed local port: the crawl fails, but its error names a missing credential only
    # when the crawler process lacks the variable
    local = source.model_copy(update={"endpoint": "http://127.0.0.1:9/"})
    (without,) = crawl_sources([local], dt.date(2024, 1, 1), dt.date(2024, 1, 8), tmp_path / "h1", timeout=120)
    (with_key,) = crawl_sources([local], dt.date(2024, 1, 1), dt.date(2024, 1, 8), tmp_path / "h2", timeout=120,
                                credentials={var: "k3y-handed-down"})
    assert any(var in m for m in without.error_messages), without.error_messages
    assert not any(var in m for m in with_key.error_messages), with_key.error_messages
    assert var not in os.environ


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
