"""Print a `.env` for docker-compose.yml: `.env.example` with every empty secret filled with a fresh random value.

    python3 deploy/scripts/make_env.py > .env && chmod 600 .env

Standard library only, so it runs on the host before anything is installed. Values already set in
`.env.example` are kept; a secret the example leaves empty gets the kind of value its consumer expects
(a Fernet key for Airflow, a long hexadecimal key for Kibana, a url-safe password otherwise).
"""
from __future__ import annotations

import base64
import os
import re
import secrets
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
ASSIGNMENT = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def secret_for(name: str) -> str:
    if name == "AIRFLOW_FERNET_KEY":
        return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
    if name == "KIBANA_ENCRYPTION_KEY":
        return secrets.token_hex(32)
    return secrets.token_urlsafe(24)


def render(example_text: str) -> str:
    lines = []
    for line in example_text.splitlines():
        m = ASSIGNMENT.match(line)
        if m and m["value"] == "" and name_is_secret(m["name"]):
            line = f"{m['name']}={secret_for(m['name'])}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def name_is_secret(name: str) -> bool:
    return name.endswith(("_PASSWORD", "_KEY", "_SECRET"))


def main() -> int:
    try:
        text = EXAMPLE.read_text(encoding="utf-8")
    except OSError as e:
        print(f"make_env: {EXAMPLE}: cannot read: {e.strerror}", file=sys.stderr)
        return 1
    sys.stdout.write(render(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
