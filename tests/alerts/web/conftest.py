"""Fixtures of the workbench tests: a seeded data directory, its users, clients logged in per role."""
from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient
from workbench_client import login
from workbench_seed import PASSWORD, USERS, seed

from alerts.web import create_app
from alerts.web.users import UserStore


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """Seeded once (argon2 hashing is slow by design); each test gets a copy."""
    home = tmp_path_factory.mktemp("workbench") / "home"
    info = seed(home)
    users = UserStore(home)
    for name, role in USERS.items():
        users.add(name, role, PASSWORD)
    info["tokens"] = {name: users.new_token(name) for name in USERS}
    return home, info


@pytest.fixture
def seeded(ews_home, seeded_template):
    home, info = seeded_template
    shutil.copytree(home, ews_home)
    return {**info, "tokens": dict(info["tokens"])}


@pytest.fixture
def app(seeded):
    return create_app()


@pytest.fixture
def anon(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture
def session_for(app):
    """A TestClient logged in (by the login form) as the named user."""
    clients = []

    def make(name: str) -> TestClient:
        c = TestClient(app)
        c.__enter__()
        clients.append(c)
        r = login(c, name)
        assert r.status_code == 303, r.text
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)
