"""The routing of notifications, configured as data: `notify.yaml` in the data directory.

    channels:
      battery-committee:            # a name routes refer to
        type: email
        to: [battery@example.org]
      ops-chat:
        type: webhook
        url_env: EWS_WEBHOOK_OPS    # the environment variable holding the URL (webhook URLs are secrets)
        format: slack               # slack | mattermost | teams
    routes:
      - name: battery, severe, at once
        fields: [battery]           # taxonomy field ids; omitted: every alert, those without a field too
        min_severity: 0.7
        send: immediate             # immediate | daily | weekly (a digest)
        channels: [battery-committee, ops-chat]

A mistake is reported as `notify.yaml:LINE: problem`, the line of the value at fault.
The SMTP server and its credentials come from the settings (`EWS_SMTP_*`, see `SmtpSettings`), never
from this file; links in messages point at `app_url` here, else the settings' `EWS_APP_URL`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CONFIG_NAME = "notify.yaml"


class NotifyConfigError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server, from the settings (`EWS_SMTP_HOST`, `EWS_SMTP_PORT`, `EWS_SMTP_USERNAME`,
    `EWS_SMTP_PASSWORD`, `EWS_SMTP_SENDER`, `EWS_SMTP_STARTTLS`, `EWS_SMTP_SSL`)."""

    host: str = "127.0.0.1"
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "ews@localhost"
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings) -> SmtpSettings:
        return cls(host=settings.smtp_host, port=settings.smtp_port, username=settings.smtp_username,
                   password=settings.smtp_password, sender=settings.smtp_sender, starttls=settings.smtp_starttls,
                   ssl=settings.smtp_ssl)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmailChannel(_Strict):
    type: Literal["email"]
    to: list[Annotated[str, Field(pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+$")]] = Field(min_length=1)


class WebhookChannel(_Strict):
    type: Literal["webhook"]
    url: str | None = Field(default=None, pattern=r"^https?://")
    url_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    format: Literal["slack", "mattermost", "teams"] = "slack"

    @model_validator(mode="after")
    def _one_url(self):
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url and url_env")
        return self

    def resolved_url(self) -> str:
        if self.url:
            return self.url
        value = os.environ.get(self.url_env or "", "")
        if not value.startswith(("http://", "https://")):
            raise NotifyConfigError(f"environment variable {self.url_env} does not hold an http(s) URL")
        return value


class Route(_Strict):
    name: str = ""
    fields: list[str] | None = None
    min_severity: float = Field(default=0.0, ge=0.0, le=1.0)
    send: Literal["immediate", "daily", "weekly"] = "immediate"
    channels: list[str] = Field(min_length=1)

    def matches(self, field: str | None, severity: float) -> bool:
        return severity >= self.min_severity and (self.fields is None or field in self.fields)


class NotifyConfig(_Strict):
    channels: dict[str, Annotated[EmailChannel | WebhookChannel, Field(discriminator="type")]] = Field(min_length=1)
    routes: list[Route] = Field(min_length=1)
    app_url: str | None = Field(default=None, pattern=r"^https?://",
                                description="the review app's address, for links in messages")


def _plain(node, path: tuple, lines: dict):
    """A YAML node as Python values, recording the line of every value by its path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = {}
        for k, v in node.value:
            key = k.value
            lines[(*path, key)] = k.start_mark.line + 1
            out[key] = _plain(v, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, (*path, i), lines) for i, v in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _line_of(loc: tuple, lines: dict) -> int:
    loc = tuple(p for p in loc if not (isinstance(p, str) and p in ("email", "webhook")))  # union tags
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 1)


def parse_config(text: str, where: str = CONFIG_NAME, field_ids: list[str] | None = None) -> NotifyConfig:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise NotifyConfigError(f"{where}:{mark.line + 1 if mark else 1}: not valid YAML "
                                f"({getattr(e, 'problem', None) or e})") from None
    if node is None:
        raise NotifyConfigError(f"{where}:1: empty; it needs channels and routes")
    lines: dict = {}
    data = _plain(node, (), lines)
    if not isinstance(data, dict):
        raise NotifyConfigError(f"{where}:1: expected a mapping with channels and routes")
    try:
        cfg = NotifyConfig.model_validate(data)
    except ValidationError as e:
        problems = [f"{where}:{_line_of(tuple(err['loc']), lines)}: "
                    f"{'.'.join(str(p) for p in err['loc']) or 'top level'}: {err['msg']}" for err in e.errors()]
        raise NotifyConfigError("\n".join(problems)) from None
    problems = []
    for i, route in enumerate(cfg.routes):
        for j, ch in enumerate(route.channels):
            if ch not in cfg.channels:
                problems.append(f"{where}:{_line_of(('routes', i, 'channels', j), lines)}: routes.{i}.channels: "
                                f"no channel named {ch!r} (channels: {', '.join(cfg.channels)})")
        for j, f in enumerate(route.fields or []):
            if field_ids is not None and f not in field_ids:
                problems.append(f"{where}:{_line_of(('routes', i, 'fields', j), lines)}: routes.{i}.fields: "
                                f"unknown field {f!r} (fields: {', '.join(field_ids)})")
    if problems:
        raise NotifyConfigError("\n".join(problems))
    return cfg


def load_config(path: Path, taxonomy_version: str | None = None) -> NotifyConfig | None:
    """The routing in `path`, or None when there is no such file (notifications are off)."""
    from ews.kernel.taxonomy import load_taxonomy

    path = Path(path)
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise NotifyConfigError(f"{path}:1: not UTF-8 text ({e.reason} at byte {e.start})") from None
    return parse_config(text, str(path), [f.id for f in load_taxonomy(taxonomy_version).fields])
