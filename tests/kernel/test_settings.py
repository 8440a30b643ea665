"""Settings are built once at an entry point and passed down; nothing writes to the environment."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ews.kernel.config import SettingsError, load_settings
from ews.kernel.secrets import redact_url, scrub

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ews", "crawlers", "models", "alerts", "analysis", "dags")
# where settings may be built: the entry points (the ews command, the Airflow jobs, the web app factory,
# the crawler process, whose Settings are Scrapy's)
ENTRY_POINTS = {"ews/kernel/config.py", "ews/app/cli/_app.py", "ews/app/tasks.py", "alerts/web/app.py", "crawlers/run.py"}
ENV_WRITE = re.compile(r"os\.environ\s*\[[^\]]+\]\s*=|os\.environ\.(update|setdefault|pop)\(|os\.putenv\(|os\.unsetenv\(")


def project_modules():
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


# a third-party library's switch that it reads when imported (numba's cache for statsforecast), not
# configuration of this project; to be moved to the entry points
ENV_WRITE_ALLOWED = {"analysis/forecast.py"}


def test_no_module_writes_to_the_environment():
    offenders = [rel for rel, text in project_modules() if ENV_WRITE.search(text) and rel not in ENV_WRITE_ALLOWED]
    assert offenders == []


def test_only_entry_points_build_settings():
    offenders = [rel for rel, text in project_modules()
                 if re.search(r"\b(load_settings|get_settings|Settings)\(", text) and rel not in ENTRY_POINTS]
    assert offenders == []


def test_a_bad_value_names_the_variable_and_never_echoes_a_password(monkeypatch):
    monkeypatch.setenv("EWS_ES_URL", "https://elastic:hunter2-secret@es.internal:9x")
    with pytest.raises(SettingsError) as e:
        load_settings()
    assert "EWS_ES_URL" in str(e.value) and "hunter2-secret" not in str(e.value)
    assert "https://***@es.internal:9x" in str(e.value)


def test_settings_hide_their_secrets_from_repr(monkeypatch):
    monkeypatch.setenv("EWS_ES_URL", "https://elastic:hunter2-secret@es.internal:9200")
    monkeypatch.setenv("EWS_ES_PASSWORD", "hunter2-other")
    s = load_settings(source_credentials={"PATENTSVIEW_API_KEY": "k3y-value-1"})
    assert not {"hunter2-secret", "hunter2-other", "k3y-value-1"} & set(re.split(r"[\s'=:@/,()]", repr(s)))
    assert "k3y-value-1" not in scrub("GET /x?q=k3y-value-1 failed", s.secret_variables())


def test_an_ews_home_that_is_a_file_is_refused(monkeypatch, tmp_path):
    f = tmp_path / "home"
    f.write_text("x")
    monkeypatch.setenv("EWS_HOME", str(f))
    with pytest.raises(SettingsError, match="EWS_HOME: .* is a file, not a directory"):
        load_settings()


@pytest.mark.parametrize("url, shown", [
    ("https://u:p@h:9200/x@y", "https://***@h:9200/x@y"),
    ("u:p@h", "***@h"),
    ("https://:p@h", "https://***@h"),
    ("https://h:9200", "https://h:9200"),
])
def test_redact_url(url, shown):
    assert redact_url(url) == shown
