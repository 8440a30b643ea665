"""Settings from `EWS_*` environment variables and an optional config file.

With nothing set, everything stays under one local data directory (`EWS_HOME`).
"""
from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "ews"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EWS_", env_file=os.environ.get("EWS_CONFIG"), extra="ignore")

    home: Path = Field(default_factory=_default_home, description="local data directory")
    es_url: str | None = Field(default=None, description="Elasticsearch URL; unset keeps the embedded store")
    es_username: str | None = None
    es_password: str | None = None
    es_ca_certs: Path | None = None
    es_index_prefix: str = "ews"
    taxonomy_version: str | None = Field(default=None, description="taxonomy version; unset uses the active one")
    user_agent: str = "tech-security-ews/0.1 (+https://example.invalid/ews; early-warning research crawler)"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"


def get_settings() -> Settings:
    return Settings()
