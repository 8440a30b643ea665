"""Shared fixtures: every test gets its own data directory, never the user's."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def ews_home(tmp_path, monkeypatch):
    home = tmp_path / "ews-home"
    monkeypatch.setenv("EWS_HOME", str(home))
    monkeypatch.delenv("EWS_ES_URL", raising=False)
    monkeypatch.delenv("EWS_TAXONOMY_VERSION", raising=False)
    return home
