"""The one home of secret scrubbing: values that must never reach a log, an alert, a report or an archive."""
from __future__ import annotations

import os
import re

_SECRET_ENV = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEY|_KEY|CREDENTIALS?)$", re.I)
_URL_CREDS = re.compile(r"(://)[^/@\s:]+(?::[^/@\s]*)?@")
_QUERY_SECRET = re.compile(r"((?:api_?key|key|token|secret|password|passwd|access_token|client_secret)=)[^&\s'\"]+", re.I)


_ENV_URL_CREDS = re.compile(r"://([^/@\s:]+):([^/@\s]+)@")
_USERINFO = re.compile(r"(?<![\w/])[^\s/@:'\"]+:[^\s/@'\"]+@(?=[\w.\-\[])")


def secret_values(extra: dict[str, str | None] | None = None) -> list[str]:
    """Values that must never be shown: those of secret-named environment variables (…PASSWORD, …_KEY, …)
    and the user:password parts of URLs held by any environment variable; longest first. `extra` adds
    variables held elsewhere (credentials taken from Airflow connections into the settings)."""
    found = set()
    for name, value in [*os.environ.items(), *(extra or {}).items()]:
        if not value:
            continue
        if _SECRET_ENV.search(name) and len(value) >= 8:  # short values ("True", "1") are settings, not secrets
            found.add(value)
        for user, password in _ENV_URL_CREDS.findall(value):
            found.update({f"{user}:{password}", password} if len(password) >= 4 else {f"{user}:{password}"})
    return sorted(found, key=len, reverse=True)


def scrub(text: str, extra: dict[str, str | None] | None = None) -> str:
    """Remove credentials from a message: known secret values (see `secret_values`), user:password@ in URLs
    (with or without a scheme), key=… query values."""
    for value in secret_values(extra):
        text = text.replace(value, "***")
    text = _URL_CREDS.sub(r"\1***@", text)
    text = _USERINFO.sub("***@", text)
    return _QUERY_SECRET.sub(r"\1***", text)


def redact_url(url: str) -> str:
    """`url` with its user:password part replaced by ***, for messages about the URL itself."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    netloc, slash, path = rest.partition("/")
    if "@" in netloc:
        netloc = "***" + netloc[netloc.rindex("@"):]
    return f"{scheme}{sep}{netloc}{slash}{path}"
