"""Settings from `EWS_*` environment variables and an optional config file (`EWS_CONFIG`).

With nothing set, everything stays under one local data directory (`EWS_HOME`).
Settings are built once, at an entry point (an `ews` command, an Airflow job, a
test), with `load_settings()`, and passed down; nothing below the entry points
reads the environment for configuration, and nothing writes to it.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ews.kernel.secrets import redact_url

# Series with fewer documents than this in their whole history (up to the cut-off) are counted but not judged
# by the detectors (`ews.app.pipeline.detect_and_alert`): a surge alarm needs at least 5 documents in one
# period (the detectors' low-count guard) and a drop an expected count of at least 5, which a series that
# never held 5 documents in all cannot reach. Policy series use at most 3, the count a policy burst needs.
DETECT_MIN_DOCUMENTS = 5
DEFAULT_USER_AGENT = "tech-security-ews/0.1 (+https://example.invalid/ews; early-warning research crawler)"


def _default_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "ews"


class SettingsError(Exception):
    """The configuration cannot be used; the message names the variable and never shows a secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EWS_", env_file=os.environ.get("EWS_CONFIG"), extra="ignore",
                                      frozen=True)

    home: Path = Field(default_factory=_default_home, description="local data directory")
    es_url: str | None = Field(default=None, repr=False,  # it may carry user:password
                               description="Elasticsearch URL; unset keeps the embedded store")
    es_username: str | None = None
    es_password: str | None = Field(default=None, repr=False)
    es_ca_certs: Path | None = None
    es_index_prefix: str = "ews"
    taxonomy_version: str | None = Field(default=None, description="taxonomy version; unset uses the active one")
    user_agent: str = DEFAULT_USER_AGENT
    detect_min_documents: int = Field(
        default=DETECT_MIN_DOCUMENTS, ge=0,
        description="series with fewer documents in all are counted but not judged by the detectors (0: judge all)")
    demo_base_url: str | None = Field(default=None, description="serve the demo registry from this base URL")
    app_url: str = Field(default="http://127.0.0.1:8080",
                         description="the review app's address (`ews serve`), for the links in reports")
    # notifications by e-mail (alerts.notify): the mail server and its credentials
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_sender: str = "ews@localhost"
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    source_credentials: dict[str, str] = Field(
        default_factory=dict, repr=False,
        description="credential variables for the crawler (PATENTSVIEW_API_KEY, …) that the environment lacks; "
                    "filled from Airflow connections, handed to the crawler process, never written to os.environ")

    @field_validator("home")
    @classmethod
    def _home_is_a_directory(cls, v: Path) -> Path:
        if v.exists() and not v.is_dir():
            raise ValueError(f"{v} is a file, not a directory")
        return v

    @field_validator("es_url")
    @classmethod
    def _es_url_parses(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip()
        shown = redact_url(v)
        try:
            parts = urlsplit(v)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
        except ValueError as e:
            raise ValueError(f"{shown!r} is not a URL ({e})") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{shown!r} is not an http(s)://host[:port] URL")
        return v

    def secret_variables(self) -> dict[str, str | None]:
        """Variables of these settings that hold secrets, for `ews.kernel.secrets.scrub(…, extra=…)`."""
        return {"EWS_ES_PASSWORD": self.es_password, "EWS_ES_URL": self.es_url,
                "EWS_SMTP_PASSWORD": self.smtp_password, **self.source_credentials}

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"


def load_settings(**overrides) -> Settings:
    """The settings of this process (environment, config file, then `overrides`); a bad value raises
    SettingsError naming the variable, without echoing the value (it may hold a password)."""
    try:
        return Settings(**overrides)
    except ValidationError as e:
        problems = []
        for err in e.errors(include_input=False, include_url=False):
            name = "EWS_" + "_".join(str(p) for p in err["loc"]).upper()
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {msg}")
        raise SettingsError("bad configuration: " + "; ".join(problems)) from None


def get_settings() -> Settings:
    """The same as `load_settings()`, kept for entry points written before it; call it only at an entry point."""
    return load_settings()
