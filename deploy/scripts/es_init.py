"""One-shot Elasticsearch set-up of the compose stack (the `es-init` service), safe to run at every start.

It runs as the bootstrap superuser (`elastic`), which only the set-up services ever hold, and:

1. waits for the cluster;
2. sets `kibana_system`'s password (KIBANA_PASSWORD);
3. puts the role `ews_app` (deploy/elasticsearch/roles/ews_app.json: the project's indices only) and the
   user the app and the DAGs log in as (EWS_ES_USERNAME / EWS_ES_PASSWORD), refusing a built-in user;
4. puts the ILM policies, the snapshot repository and the nightly snapshot policy (deploy/elasticsearch/);
5. creates each index family's current version with the profile's shards, replicas and lifecycle
   (deploy/elasticsearch/indices.json) from the project's own templates, before the app ever does;
6. runs the app's own `setup()` as the app user, which proves the role is enough and performs a pending
   mapping migration (reindex behind the aliases);
7. re-applies the dynamic settings and gives index versions the aliases left behind the retiring policy.

Every step is idempotent; rotating a password is editing `.env` and running this again.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from alerts.elastic import ElasticAlertStore
from alerts.templates import FAMILIES, VERSIONS, IndexNames, index_template

CONFIG_DIR = Path(os.environ.get("EWS_DEPLOY_DIR", Path(__file__).resolve().parents[1])) / "elasticsearch"
# Users the cluster ships with: the app must never log in as one of them.
RESERVED_USERS = {"elastic", "kibana", "kibana_system", "logstash_system", "beats_system", "apm_system",
                  "remote_monitoring_user"}
APP_ROLE = "ews_app"


class SetupError(Exception):
    """A step that cannot succeed as configured; the message says which and why."""


def load(name: str, prefix: str = "") -> dict:
    """A JSON file of deploy/elasticsearch/ with `{prefix}` replaced by the index prefix."""
    path = CONFIG_DIR / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise SetupError(f"{path}: cannot read: {e.strerror}") from None
    try:
        return json.loads(text.replace("{prefix}", prefix))
    except json.JSONDecodeError as e:
        raise SetupError(f"{path}:{e.lineno}: not JSON: {e.msg}") from None


def profile_from(compose_profiles: str) -> str:
    """`scale` when the compose stack runs with the scale profile, else `default`."""
    return "scale" if "scale" in {p.strip() for p in compose_profiles.split(",")} else "default"


def family_settings(indices: dict, family: str, profile: str) -> dict:
    """Index settings for creating a family's index: shards and replicas of the profile, the live lifecycle."""
    try:
        spec = indices["families"][family]
        sizes = spec["profiles"][profile]
        return {"number_of_shards": int(sizes["number_of_shards"]), "number_of_replicas": int(sizes["number_of_replicas"]),
                "index.lifecycle.name": spec["lifecycle"]}
    except (KeyError, TypeError, ValueError) as e:
        raise SetupError(f"{CONFIG_DIR / 'indices.json'}: family {family!r}, profile {profile!r}: missing or bad {e}") from None


def app_credentials(env: dict) -> tuple[str, str]:
    user, password = env.get("EWS_ES_USERNAME", ""), env.get("EWS_ES_PASSWORD", "")
    if not user or not password:
        raise SetupError("EWS_ES_USERNAME and EWS_ES_PASSWORD must both be set (.env)")
    if user in RESERVED_USERS:
        raise SetupError(f"EWS_ES_USERNAME={user!r} is a built-in user; the app needs its own least-privileged user")
    if len(password) < 12:
        raise SetupError("EWS_ES_PASSWORD is shorter than 12 characters")
    return user, password


def wait_for_cluster(es: Elasticsearch, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        try:
            es.cluster.health(wait_for_status="yellow", timeout="10s")
            return
        except (TransportError, ApiError) as e:
            last = f"{type(e).__name__}: {e}"
            time.sleep(3)
    raise SetupError(f"the cluster did not become available within {timeout_s:.0f} s ({last})")


def put_security(es: Elasticsearch, prefix: str, env: dict) -> str:
    user, password = app_credentials(env)
    if env.get("KIBANA_PASSWORD"):
        es.security.change_password(username="kibana_system", password=env["KIBANA_PASSWORD"])
    es.security.put_role(name=APP_ROLE, **load("roles/ews_app.json", prefix))
    es.security.put_user(username=user, password=password, roles=[APP_ROLE],
                         full_name="tech-security-ews app and DAGs", metadata={"managed_by": "tech-security-ews"})
    return user


def put_lifecycle(es: Elasticsearch, prefix: str) -> list[str]:
    names = []
    for path in sorted((CONFIG_DIR / "ilm").glob("*.json")):
        es.ilm.put_lifecycle(name=path.stem, **load(f"ilm/{path.name}", prefix))
        names.append(path.stem)
    repo = load("snapshot-repository.json", prefix)
    es.snapshot.create_repository(name=repo["name"], repository={"type": repo["type"], "settings": repo["settings"]})
    es.slm.put_lifecycle(policy_id="ews-nightly", **load("slm/ews-nightly.json", prefix))
    return names


def create_indices(es: Elasticsearch, prefix: str, profile: str, indices: dict) -> list[str]:
    """Each family's current index version, created with the deployment's settings from the project's template.

    When the aliases still point at an older version (a mapping change), the new index is created without
    aliases: the app's setup() then reindexes into it and swaps both aliases in one request.
    """
    probe = ElasticAlertStore(es, prefix=prefix)
    analysis = probe.detect_text_analysis()
    if analysis != "nori":
        raise SetupError(f"the cluster has no analysis-nori (found {analysis!r}): build the image of deploy/elasticsearch")
    created = []
    for family in FAMILIES:
        names = IndexNames(prefix, family, VERSIONS[family])
        es.indices.put_index_template(name=names.template, **index_template(names, analysis))
        if es.indices.exists(index=names.index):
            continue
        aliased = es.indices.exists_alias(name=names.write)
        aliases = {} if aliased else {names.read: {}, names.write: {"is_write_index": True}}
        es.indices.create(index=names.index, settings=family_settings(indices, family, profile), aliases=aliases)
        created.append(names.index)
    return created


def check_as_app(url: str, user: str, password: str, ca_certs: str | None, prefix: str) -> None:
    """The app's own start-up, as the app user: a missing privilege fails here, not in the first DAG run."""
    opts: dict = {"basic_auth": (user, password), "request_timeout": 120}
    if ca_certs:
        opts["ca_certs"] = ca_certs
    app = Elasticsearch(url, **opts)
    try:
        store = ElasticAlertStore(app, prefix=prefix)
        store.setup()
        store.refresh()
        if store.text_analysis != "nori":
            print(f"es-init: warning: as {user!r} the app's analyzer probe finds {store.text_analysis!r}, not 'nori': "
                  "the probe analyzes without an index, which needs the cluster privilege 'manage'; the indices "
                  "es-init created keep nori, and es-init puts the nori template back after the app's setup", file=sys.stderr)
    finally:
        app.close()


def settle_indices(es: Elasticsearch, prefix: str, profile: str, indices: dict) -> list[str]:
    """Re-apply replicas and lifecycle to the live versions; retire the versions the aliases left."""
    retired = []
    analysis = ElasticAlertStore(es, prefix=prefix).detect_text_analysis()
    for family in FAMILIES:
        names = IndexNames(prefix, family, VERSIONS[family])
        es.indices.put_index_template(name=names.template, **index_template(names, analysis))
        wanted = family_settings(indices, family, profile)
        live = set(es.indices.get_alias(name=names.read).body)
        for index in sorted(live):
            es.indices.put_settings(index=index, settings={"number_of_replicas": wanted["number_of_replicas"],
                                                           "index.lifecycle.name": wanted["index.lifecycle.name"]})
        try:
            versions = es.indices.get(index=names.pattern).body
        except NotFoundError:
            versions = {}
        for index, body in sorted(versions.items()):
            lifecycle = body["settings"]["index"].get("lifecycle", {}).get("name")
            if index in live or lifecycle == indices["retired_lifecycle"]:
                continue
            es.indices.put_settings(index=index, settings={
                "index.lifecycle.name": indices["retired_lifecycle"],
                "index.lifecycle.origination_date": int(time.time() * 1000)})
            retired.append(index)
    return retired


def main(env: dict | None = None) -> int:
    env = dict(os.environ if env is None else env)
    url = env.get("EWS_ES_URL", "https://elasticsearch:9200")
    prefix = env.get("EWS_ES_INDEX_PREFIX", "ews")
    ca_certs = env.get("EWS_ES_CA_CERTS") or None
    profile = profile_from(env.get("COMPOSE_PROFILES", ""))
    if not env.get("ELASTIC_PASSWORD"):
        print("es-init: ELASTIC_PASSWORD is not set (.env)", file=sys.stderr)
        return 2
    opts: dict = {"basic_auth": ("elastic", env["ELASTIC_PASSWORD"]), "request_timeout": 120}
    if ca_certs:
        opts["ca_certs"] = ca_certs
    es = Elasticsearch(url, **opts)
    step = "waiting for the cluster"
    try:
        wait_for_cluster(es, float(env.get("EWS_ES_INIT_TIMEOUT", "300")))
        indices = load("indices.json")
        step = "security"
        user = put_security(es, prefix, env)
        step = "lifecycle and snapshot policies"
        policies = put_lifecycle(es, prefix)
        step = "indices"
        created = create_indices(es, prefix, profile, indices)
        step = f"the app's set-up as {user!r}"
        check_as_app(url, user, env["EWS_ES_PASSWORD"], ca_certs, prefix)
        step = "index settings"
        retired = settle_indices(es, prefix, profile, indices)
    except SetupError as e:
        print(f"es-init: {step}: {e}", file=sys.stderr)
        return 1
    except (ApiError, TransportError) as e:
        print(f"es-init: {step}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        es.close()
    print(f"es-init: profile {profile}; user {user!r} with role {APP_ROLE}; policies {', '.join(policies)}; "
          f"created {', '.join(created) or 'no index'}; retired {', '.join(retired) or 'no index'}")
    marker = env.get("EWS_INIT_MARKER")
    if marker:
        Path(marker).write_text("ok\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
