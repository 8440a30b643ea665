"""One-shot Kibana set-up of the compose stack (the `kibana-init` service): import the saved objects.

deploy/kibana/saved_objects.ndjson holds the data views of the documents, trends and alerts indices (their
read aliases) and the trends dashboard. Imported with overwrite, so a new version of the file replaces the
old objects and running this again changes nothing. Data views name the `ews-` prefix; another
EWS_ES_INDEX_PREFIX is substituted before the import.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import httpx

SAVED_OBJECTS = Path(os.environ.get("EWS_DEPLOY_DIR", Path(__file__).resolve().parents[1])) / "kibana" / "saved_objects.ndjson"
SHIPPED_PREFIX = "ews-"


class SavedObjectsError(Exception):
    """The import failed; the message names the object and Kibana's reason."""


def read_objects(path: Path = SAVED_OBJECTS) -> list[dict]:
    objects = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise SavedObjectsError(f"{path}:{lineno}: not JSON: {e.msg}") from None
        if not isinstance(obj, dict) or not {"type", "id", "attributes"} <= obj.keys():
            raise SavedObjectsError(f"{path}:{lineno}: a saved object needs type, id and attributes")
        objects.append(obj)
    return objects


def with_prefix(objects: list[dict], prefix: str) -> list[dict]:
    """Point the data views at `{prefix}-…` instead of the shipped `ews-…`."""
    out = []
    for obj in objects:
        if obj["type"] == "index-pattern" and prefix != SHIPPED_PREFIX.rstrip("-"):
            title = obj["attributes"]["title"]
            if title.startswith(SHIPPED_PREFIX):
                obj = {**obj, "attributes": {**obj["attributes"], "title": f"{prefix}-{title[len(SHIPPED_PREFIX):]}"}}
        out.append(obj)
    return out


def wait_for_kibana(client: httpx.Client, timeout_s: float) -> None:
    deadline, last = time.monotonic() + timeout_s, ""
    while time.monotonic() < deadline:
        try:
            r = client.get("/api/status")
            if r.status_code == 200 and r.json().get("status", {}).get("overall", {}).get("level") == "available":
                return
            last = f"HTTP {r.status_code}"
        except (httpx.HTTPError, ValueError) as e:
            last = f"{type(e).__name__}: {e}"
        time.sleep(5)
    raise SavedObjectsError(f"Kibana was not available within {timeout_s:.0f} s ({last})")


def import_objects(client: httpx.Client, objects: list[dict]) -> int:
    body = "\n".join(json.dumps(o, ensure_ascii=False) for o in objects) + "\n"
    r = client.post("/api/saved_objects/_import", params={"overwrite": "true"},
                    files={"file": ("saved_objects.ndjson", body.encode("utf-8"), "application/ndjson")})
    if r.status_code != 200:
        raise SavedObjectsError(f"HTTP {r.status_code}: {r.text[:500]}")
    res = r.json()
    if not res.get("success"):
        errors = [f"{e.get('type')}/{e.get('id')}: {e.get('error')}" for e in res.get("errors", [])]
        raise SavedObjectsError("; ".join(errors[:10]) or "Kibana reported failure without errors")
    return int(res.get("successCount", 0))


def main(env: dict | None = None) -> int:
    env = dict(os.environ if env is None else env)
    if not env.get("ELASTIC_PASSWORD"):
        print("kibana-init: ELASTIC_PASSWORD is not set (.env)", file=sys.stderr)
        return 2
    url = env.get("KIBANA_URL", "http://kibana:5601")
    try:
        objects = with_prefix(read_objects(), env.get("EWS_ES_INDEX_PREFIX", "ews"))
        with httpx.Client(base_url=url, auth=("elastic", env["ELASTIC_PASSWORD"]), timeout=60,
                          headers={"kbn-xsrf": "tech-security-ews"}) as client:
            wait_for_kibana(client, float(env.get("EWS_KIBANA_INIT_TIMEOUT", "300")))
            count = import_objects(client, objects)
    except SavedObjectsError as e:
        print(f"kibana-init: {e}", file=sys.stderr)
        return 1
    print(f"kibana-init: imported {count} saved objects from {SAVED_OBJECTS.name}")
    if env.get("EWS_INIT_MARKER"):
        Path(env["EWS_INIT_MARKER"]).write_text("ok\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
