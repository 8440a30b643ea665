"""The source registry: one entry per source, kept as data in `crawlers/sources/*.yaml`.

An entry says what a source is (kind, country, language), where it lives
(endpoint), when to fetch it (schedule), which spider type fetches it and which
parser reads it, plus that spider's and parser's settings (selectors, query
parameters, the *name* of the environment variable holding an API key — never
the key itself).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crawlers.spider_table import SPIDER_TABLE
from ews.kernel.yamldata import yaml_mapping

SOURCES_DIR = Path(__file__).parent / "sources"
REGISTRY_FILE = SOURCES_DIR / "registry.yaml"
DEMO_FILE = SOURCES_DIR / "demo.yaml"

SPIDER_TYPES = set(SPIDER_TABLE)
PARSERS = {p for row in SPIDER_TABLE.values() for p in row.parsers}

_SCHEDULE_RE = re.compile(r"^(@(hourly|daily|weekly|monthly|yearly)|(\S+\s+){4}\S+)$")


class RegistryError(ValueError):
    """A registry file that cannot be read or has an invalid entry; the message names file and entry."""


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="stable source id, used in document ids")
    name: str = ""
    kind: Literal["patent", "policy", "paper"]
    country: str = Field(description="ISO 3166 alpha-2, 'EU' or 'INT'")
    language: str = Field(pattern=r"^[a-z]{2}$", description="ISO 639-1 of the source's main language")
    schedule: str = "@daily"
    endpoint: str = Field(min_length=1)
    spider: str
    parser: str
    settings: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    notes: str = ""
    # Links to loopback and private addresses allowed: only for sources of a registry file that says
    # `private_network: true` at its top (the demo and the tests, whose sites run on 127.0.0.1).
    private_network: bool = False

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}|EU|INT", v):
            raise ValueError(f"country must be an ISO alpha-2 code, 'EU' or 'INT', got {v!r}")
        return v

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        if not _SCHEDULE_RE.match(v.strip()):
            raise ValueError(f"schedule must be a 5-field cron expression or @daily/@weekly/…, got {v!r}")
        return v.strip()

    @field_validator("spider")
    @classmethod
    def _spider(cls, v: str) -> str:
        if v not in SPIDER_TYPES:
            raise ValueError(f"unknown spider type {v!r} (known: {', '.join(sorted(SPIDER_TYPES))})")
        return v

    @field_validator("parser")
    @classmethod
    def _parser(cls, v: str) -> str:
        if v not in PARSERS:
            raise ValueError(f"unknown parser {v!r} (known: {', '.join(sorted(PARSERS))})")
        return v

    @model_validator(mode="after")
    def _settings_of_the_type(self) -> Source:
        row = SPIDER_TABLE[self.spider]
        if self.parser not in row.parsers:
            raise ValueError(f"parser {self.parser!r} is not one the {self.spider} spider speaks "
                             f"({', '.join(sorted(row.parsers))})")
        try:
            row.settings.model_validate(self.settings)
        except ValidationError as e:
            problems = "; ".join(f"settings.{'.'.join(str(p) for p in x['loc'])}: {x['msg']}" for x in e.errors()[:5])
            raise ValueError(problems) from None
        return self

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"endpoint must be an http(s) URL, got {v!r}")
        return v

    def credential_variables(self) -> list[str]:
        """The environment variables this source reads its keys from (settings ending in `_env`)."""
        return sorted(v for k, v in self.settings.items() if k.endswith("_env") and isinstance(v, str))

    def public(self) -> dict:
        """The fields `ews sources --json` shows."""
        return {"id": self.id, "kind": self.kind, "country": self.country, "language": self.language,
                "schedule": self.schedule, "endpoint": self.endpoint}


def _format_error(path: Path, where: str, err: ValidationError) -> str:
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in err.errors())
    return f"{path}: {where}: {problems}"


def load_registry_file(path: Path | str, base_url: str | None = None) -> list[Source]:
    """Read and validate one registry file; `{base_url}` in any string is replaced when base_url is given."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise RegistryError(f"{path}: cannot read the source registry: {e.strerror or e}") from e
    data = yaml_mapping(text, str(path), RegistryError)
    if not isinstance(data.get("sources"), list):
        raise RegistryError(f"{path}: expected a mapping with a 'sources' list")
    private = data.get("private_network", False)
    if not isinstance(private, bool):
        raise RegistryError(f"{path}: private_network must be true or false")
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(data["sources"]):
        where = f"entry {i + 1}" + (f" ({entry.get('id')!r})" if isinstance(entry, dict) and entry.get("id") else "")
        if not isinstance(entry, dict):
            raise RegistryError(f"{path}: {where}: expected a mapping, got {type(entry).__name__}")
        if "private_network" in entry:
            raise RegistryError(f"{path}: {where}: private_network is a setting of the whole registry file, "
                                "never of one entry")
        entry = {**entry, "private_network": private}
        if base_url is not None:
            entry = _substitute(entry, {"base_url": base_url.rstrip("/")})
        elif "{base_url}" in yaml.safe_dump(entry):
            raise RegistryError(f"{path}: {where}: endpoint is templated with {{base_url}} but no base_url was given")
        try:
            src = Source.model_validate(entry)
        except ValidationError as e:
            raise RegistryError(_format_error(path, where, e)) from None
        if src.id in seen:
            raise RegistryError(f"{path}: {where}: duplicate source id {src.id!r} (first at entry {seen[src.id]})")
        seen[src.id] = i + 1
        sources.append(src)
    return sources


def _substitute(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for k, v in names.items():
            value = value.replace("{" + k + "}", v)
        return value
    if isinstance(value, dict):
        return {k: _substitute(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, names) for v in value]
    return value


def load_registry(demo: bool = False, base_url: str | None = None, path: Path | str | None = None) -> list[Source]:
    """The enabled sources of the real registry, or of the demo registry (served at base_url).

    Without a base_url the demo entries keep a placeholder endpoint so they can still be listed.
    """
    if path is None:
        path = DEMO_FILE if demo else REGISTRY_FILE
    if demo and base_url is None:
        base_url = "http://127.0.0.1:0"
    return [s for s in load_registry_file(path, base_url=base_url) if s.enabled]
