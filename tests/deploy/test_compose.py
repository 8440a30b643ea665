"""docker-compose.yml describes a production stack a deployer can run: validated without a Docker engine."""
from __future__ import annotations

import ast
import re

import pytest
import yaml

from tests.deploy.conftest import COMPOSE, DEPLOY, ENV_EXAMPLE, ROOT, compose

BASE = {"es-certs", "elasticsearch", "es-init", "kibana", "kibana-init", "review-app", "postgres", "airflow-init",
        "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
SCALE = {"es02", "es03", "redis", "airflow-worker", "airflow-worker-patent", "airflow-worker-policy", "airflow-worker-paper"}
DEMO = {"ews-demo"}
ONE_SHOT = {"es-certs", "es-init", "kibana-init", "airflow-init", "ews-demo"}
# the only services that may hold the bootstrap superuser's password
SUPERUSER_SERVICES = {"elasticsearch", "es02", "es03", "es-init", "kibana-init"}
VAR = re.compile(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(?::?[-?][^}]*)?\}")
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$", re.M)


def env_example() -> dict[str, str]:
    return dict(ASSIGNMENT.findall(ENV_EXAMPLE.read_text(encoding="utf-8")))


def compose_vars() -> set[str]:
    text = "\n".join(line for line in COMPOSE.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#"))
    return set(VAR.findall(text))


@pytest.mark.parametrize("profiles", ["", "scale", "demo", "scale,demo"])
def test_compose_itself_accepts_the_file_for_every_profile(env_file, profiles):
    r = compose("config", "--quiet", env_file=env_file, profiles=profiles)
    assert r.returncode == 0, r.stderr


def test_an_empty_secret_stops_the_stack_naming_the_variable():
    r = compose("config", "--quiet", env_file=ENV_EXAMPLE)
    assert r.returncode != 0
    required = {v for v, rest in re.findall(r"\$\{([A-Z_][A-Z0-9_]*)(:\?[^}]*)\}", COMPOSE.read_text())}
    assert required >= {"ELASTIC_PASSWORD", "KIBANA_PASSWORD", "EWS_ES_PASSWORD", "AIRFLOW_FERNET_KEY",
                        "AIRFLOW_ADMIN_PASSWORD", "POSTGRES_PASSWORD"}
    for var in required - {"EWS_ES_USERNAME"}:  # the example sets the user name; every secret is empty
        assert f"required variable {var} is missing a value" in r.stderr, var


def test_services_per_profile(resolved):
    assert set(resolved("")["services"]) == BASE
    assert set(resolved("scale")["services"]) == BASE | SCALE
    assert set(resolved("demo")["services"]) == BASE | DEMO


def test_every_service_has_a_health_check_limits_and_rotated_logs(raw):
    for name, svc in raw["services"].items():
        check = svc.get("healthcheck")
        assert check and not check.get("disable") and check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert check.get("retries", 0) >= 3, name
        limits = svc.get("deploy", {}).get("resources", {}).get("limits", {})
        assert limits.get("cpus") and limits.get("memory"), f"{name}: no cpu or memory limit"
        logging = svc.get("logging", {})
        assert logging.get("driver") == "json-file", name
        assert logging["options"]["max-size"] and int(logging["options"]["max-file"]) >= 2, name
        expected_restart = "no" if name in ONE_SHOT else "unless-stopped"
        assert svc.get("restart") == expected_restart, name


def test_the_resolved_stack_keeps_limits_and_health_checks(resolved):
    """Anchors and merges can drop keys silently: check what Compose actually runs."""
    for name, svc in resolved("scale,demo")["services"].items():
        assert svc["healthcheck"]["test"], name
        assert int(svc["deploy"]["resources"]["limits"]["memory"]) > 0, name
        assert svc["logging"]["options"]["max-file"], name


def test_images_are_pinned_to_exact_versions(resolved):
    lock = (ROOT / "requirements.lock").read_text()
    client_major, client_minor = map(int, re.search(r"^elasticsearch==(\d+)\.(\d+)", lock, re.M).groups())
    for name, svc in resolved("scale,demo")["services"].items():
        image = svc["image"]
        repo, _, tag = image.partition("@")[0].rpartition(":")
        assert repo and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest" and re.fullmatch(r"\d+\.\d+(\.\d+)?(-[a-z0-9]+)?", tag), f"{name}: {image} is not an exact version"
    services = resolved("")["services"]
    es_tag = services["elasticsearch"]["image"].rsplit(":", 1)[1]
    assert services["kibana"]["image"].rsplit(":", 1)[1] == es_tag  # Kibana and Elasticsearch move together
    major, minor, _ = map(int, es_tag.split("."))
    assert major == client_major and minor >= client_minor  # the client is forward compatible only
    es_dockerfile = (DEPLOY / "elasticsearch" / "Dockerfile").read_text()
    assert re.search(r"^ARG ES_VERSION=(\S+)$", es_dockerfile, re.M).group(1) == es_tag == env_example()["ES_VERSION"]
    # production runs the release the tests' real node runs (tools/es_node.py)
    tested = re.search(r'^VERSION = "(\S+)"$', (ROOT / "tools" / "es_node.py").read_text(), re.M).group(1)
    assert es_tag == tested


def test_every_variable_is_in_env_example_and_in_the_header():
    example = env_example()
    used = compose_vars()
    assert used - set(example) == set(), "variables missing from .env.example"
    assert set(example) - used - {"COMPOSE_PROFILES"} == set(), ".env.example names variables the stack never reads"
    header = "\n".join(line for line in COMPOSE.read_text().splitlines() if line.startswith("#"))
    assert {v for v in used if v not in header} == set(), "variables the header does not list"


def test_the_app_and_the_dags_use_their_own_elasticsearch_user(raw, resolved):
    example = env_example()
    assert example["EWS_ES_USERNAME"] and example["EWS_ES_USERNAME"] != "elastic"
    assert raw["x-ews-env"]["EWS_ES_USERNAME"].startswith("${EWS_ES_USERNAME:?")
    for name, svc in resolved("scale,demo")["services"].items():
        env = svc.get("environment") or {}
        if "EWS_ES_URL" in env and name not in ("es-init",):
            assert env["EWS_ES_USERNAME"] == example["EWS_ES_USERNAME"], name
        if "ELASTIC_PASSWORD" in env:
            assert name in SUPERUSER_SERVICES, f"{name} holds the superuser's password"
        assert "elastic:" not in " ".join(str(v) for v in env.values() if "://" in str(v)), name


def test_no_admin_password_on_a_volume(resolved):
    services = resolved("scale,demo")["services"]
    api = services["airflow-apiserver"]
    passwords_file = api["environment"]["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    tmpfs = [t.split(":")[0] for t in api.get("tmpfs", [])]
    assert any(passwords_file.startswith(t + "/") for t in tmpfs), "the passwords file must be on a tmpfs"
    for name, svc in services.items():
        for mount in svc.get("volumes", []):
            assert not passwords_file.startswith(mount["target"].rstrip("/") + "/"), f"{name}: {mount}"
        if name != "airflow-apiserver":
            assert "AIRFLOW_ADMIN_PASSWORD" not in (svc.get("environment") or {}), name
    script = (DEPLOY / "airflow" / "api-server.sh").read_text()
    assert "umask 077" in script and "unset AIRFLOW_ADMIN_PASSWORD" in script


def test_airflow_encrypts_connections_and_signs_tokens(raw):
    env = raw["x-airflow-env"]
    assert env["AIRFLOW__CORE__FERNET_KEY"] == "${AIRFLOW_FERNET_KEY:?set AIRFLOW_FERNET_KEY}"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${AIRFLOW_JWT_SECRET:?")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")


def test_state_lives_on_named_volumes(resolved):
    cfg = resolved("scale")
    mounts = {name: {m["target"]: m["source"] for m in svc.get("volumes", []) if m["type"] == "volume"}
              for name, svc in cfg["services"].items()}
    assert mounts["elasticsearch"]["/usr/share/elasticsearch/data"] == "es-data"
    assert mounts["es02"]["/usr/share/elasticsearch/data"] == "es02-data"
    assert mounts["postgres"]["/var/lib/postgresql/data"] == "postgres-data"
    assert mounts["redis"]["/data"] == "redis-data"
    # one snapshot repository seen by every node (path.repo), one data directory for every worker
    snapshots = {name for name, m in mounts.items() if m.get("/usr/share/elasticsearch/snapshots") == "es-snapshots"}
    assert snapshots == {"elasticsearch", "es02", "es03"}
    for name in ("review-app", "airflow-scheduler", "airflow-worker", "airflow-worker-patent"):
        assert mounts[name]["/data/ews"] == "ews-data", name
    declared = set(cfg["volumes"])
    used = {src for m in mounts.values() for src in m.values()}
    assert used <= declared and {"es-data", "ews-data", "postgres-data", "es-snapshots", "certs"} <= used


def test_nori_is_baked_into_the_elasticsearch_image(raw):
    dockerfile = (DEPLOY / "elasticsearch" / "Dockerfile").read_text()
    assert re.search(r"^RUN bin/elasticsearch-plugin install --batch analysis-nori", dockerfile, re.M)
    for name in ("elasticsearch", "es02", "es03"):
        svc = raw["services"][name]
        assert svc["build"]["context"] == "deploy/elasticsearch", name
        start = yaml.safe_dump({k: svc.get(k) for k in ("entrypoint", "command")})
        assert "plugin" not in start, f"{name} must not install plugins at start"


def crawl_kinds() -> set[str]:
    """The source kinds the crawl DAG file schedules (read from its source: importing it builds DAGs)."""
    tree = ast.parse((ROOT / "dags" / "ews_crawl.py").read_text())
    (value,) = [n.value for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "SCHEDULES"]
    return set(ast.literal_eval(value))


def test_scale_profile_partitions_crawls_by_queue(resolved):
    cfg = resolved("scale")
    services = cfg["services"]
    queues = {}
    for name, svc in services.items():
        cmd = svc.get("command") or []
        if cmd[:3] == ["airflow", "celery", "worker"]:
            queues[name] = set(cmd[cmd.index("--queues") + 1].split(","))
            assert svc["deploy"]["replicas"] >= 1, name
            assert "redis" in svc["depends_on"], name
    served = set().union(*queues.values())
    assert served == {"default"} | {f"crawl-{kind}" for kind in crawl_kinds()}
    assert all(len(q) == 1 for q in queues.values())  # one pool per queue: a slow source kind holds up no other
    env = services["airflow-scheduler"]["environment"]
    assert env["EWS_CRAWL_QUEUES"] == "kind"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:") and "@redis:6379" in env["AIRFLOW__CELERY__BROKER_URL"]
    # a 3-node cluster: the extra nodes join the first, which bootstraps alone
    assert services["elasticsearch"]["environment"]["cluster.initial_master_nodes"] == "elasticsearch"
    for node in ("es02", "es03"):
        assert "cluster.initial_master_nodes" not in services[node]["environment"]


def worker_queues(services: dict) -> dict[str, set[str]]:
    queues = {}
    for name, svc in services.items():
        cmd = svc.get("command") or []
        if cmd[:3] == ["airflow", "celery", "worker"]:
            queues[name] = set(cmd[cmd.index("--queues") + 1].split(","))
    return queues


def test_per_source_pools_listen_to_every_source_of_the_registry(env_file, tmp_path):
    import json

    from crawlers.registry import load_registry

    per_source_env = tmp_path / ".env"
    per_source_env.write_text(env_file.read_text().replace("EWS_CRAWL_QUEUES=kind", "EWS_CRAWL_QUEUES=source"))
    r = compose("config", "--format", "json", env_file=per_source_env, profiles="scale",
                files=(DEPLOY / "compose.per-source.yml",))
    assert r.returncode == 0, r.stderr
    services = json.loads(r.stdout)["services"]
    queues = worker_queues(services)
    served = [q for qs in queues.values() for q in qs]
    assert len(served) == len(set(served))  # a queue has one pool
    assert set(served) == {"default"} | {f"crawl-{s.id}" for s in load_registry()}
    for name in queues:
        svc = services[name]
        assert svc["environment"]["EWS_CRAWL_QUEUES"] == "source", name
        assert svc["healthcheck"]["test"] and svc["deploy"]["resources"]["limits"]["memory"], name
        assert svc["logging"]["options"]["max-file"] and svc["profiles"] == ["scale"], name


def test_airflow_init_refuses_an_executor_that_does_not_match_the_profile(tmp_path):
    """The check in deploy/airflow/init.sh runs before `airflow db migrate`; run it with a stand-in PATH."""
    import os
    import subprocess

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "airflow").write_text("#!/bin/sh\necho migrated\n")
    (bin_dir / "airflow").chmod(0o755)
    script = str(DEPLOY / "airflow" / "init.sh")

    def run(**env):
        return subprocess.run(["sh", script], capture_output=True, text=True, timeout=30,
                              env={"PATH": f"{bin_dir}:{os.environ['PATH']}", **env})

    bad = run(COMPOSE_PROFILES="scale", AIRFLOW__CORE__EXECUTOR="LocalExecutor")
    assert bad.returncode == 1 and "AIRFLOW_EXECUTOR=CeleryExecutor" in bad.stderr
    bad = run(COMPOSE_PROFILES="demo", AIRFLOW__CORE__EXECUTOR="CeleryExecutor")
    assert bad.returncode == 1 and "COMPOSE_PROFILES=scale" in bad.stderr
    bad = run(COMPOSE_PROFILES="", AIRFLOW__CORE__EXECUTOR="LocalExecutor", EWS_CRAWL_QUEUES="by-moon")
    assert bad.returncode == 1 and "EWS_CRAWL_QUEUES=by-moon" in bad.stderr
    marker = tmp_path / "done"
    ok = run(COMPOSE_PROFILES="demo,scale", AIRFLOW__CORE__EXECUTOR="CeleryExecutor", EWS_CRAWL_QUEUES="kind",
             EWS_INIT_MARKER=str(marker))
    assert ok.returncode == 0 and "migrated" in ok.stdout and marker.exists()


def test_services_reach_each_other_only_inside_the_stack(resolved):
    """Published ports bind to the loopback interface; put a TLS proxy in front for remote users."""
    for name, svc in resolved("scale,demo")["services"].items():
        for port in svc.get("ports", []):
            assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"


def test_make_env_fills_every_secret_with_a_usable_value(env_file):
    from cryptography.fernet import Fernet

    values = dict(ASSIGNMENT.findall(env_file.read_text()))
    example = env_example()
    assert set(values) == set(example)
    for name, value in example.items():
        if name.endswith(("_PASSWORD", "_KEY", "_SECRET")):
            assert value == "" and len(values[name]) >= 32, name
        else:
            assert values[name] == value, name
    Fernet(values["AIRFLOW_FERNET_KEY"].encode())  # a valid Fernet key, or this raises
    assert len(values["KIBANA_ENCRYPTION_KEY"]) >= 32


def test_start_order_creates_users_and_schemas_before_their_users(resolved):
    """The app user must exist before anything logs in with it, the Airflow schema before any Airflow process."""
    for name, svc in resolved("scale,demo")["services"].items():
        deps = svc.get("depends_on", {})
        env = svc.get("environment") or {}
        if "EWS_ES_USERNAME" in env and name not in ("es-init", "airflow-init"):  # airflow-init only migrates its database
            assert deps.get("es-init", {}).get("condition") == "service_completed_successfully", name
        if "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in env:
            assert deps["postgres"]["condition"] == "service_healthy", name
            if name != "airflow-init":
                assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
    services = resolved("")["services"]
    assert services["kibana"]["depends_on"]["es-init"]["condition"] == "service_completed_successfully"  # kibana_system's password
    assert services["kibana-init"]["depends_on"]["kibana"]["condition"] == "service_healthy"
