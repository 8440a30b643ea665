"""Helpers of the workbench tests that drive the login form (CSRF token included)."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient
from workbench_seed import PASSWORD


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"username": name, "password": password, "csrf_token": csrf_of(page.text),
                                       "next": "/"}, follow_redirects=False)
