"""`ews user add|token|list|remove` as the installed process: the password from standard input, never an argument."""
from __future__ import annotations

import json
import subprocess
import sys

from alerts.web.users import UserStore


def ews_in(stdin: str, *args):
    """In-process (the installed process is slow to start; one test runs it)."""
    from typer.testing import CliRunner

    from ews.app.cli import app

    r = CliRunner().invoke(app, list(args), input=stdin)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return subprocess.CompletedProcess(args, r.exit_code, r.stdout, r.stderr)


def test_user_lifecycle(ews_home):
    r = subprocess.run([sys.executable, "-m", "ews.app.cli", "user", "add", "kim", "--role", "analyst"],
                       input="a good password\n", capture_output=True, text=True)
    assert r.returncode == 0 and "added kim (analyst)" in r.stdout, r.stderr
    users = UserStore(ews_home)
    assert users.authenticate("kim", "a good password").role == "analyst"
    assert users.authenticate("kim", "a good password\n") is None

    token = ews_in("", "user", "token", "kim").stdout.strip()
    assert token.startswith("ews_") and users.user_for_token(token).name == "kim"
    listed = json.loads(ews_in("", "user", "list", "--json").stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("kim", "analyst")]
    assert token not in (ews_home / "ews.sqlite").read_bytes().decode("latin-1")  # only its digest is kept

    assert ews_in("", "user", "remove", "kim").returncode == 0
    assert users.user_for_token(token) is None and users.list() == []


def test_user_errors_are_clear(ews_home):
    r = ews_in("pw\n", "user", "add", "kim", "--role", "boss")
    assert r.returncode == 2 and "bad role 'boss'" in r.stderr and "Traceback" not in r.stderr
    r = ews_in("short\n", "user", "add", "kim", "--role", "viewer")
    assert r.returncode == 2 and "at least 8 characters" in r.stderr
    r = ews_in("", "user", "add", "kim", "--role", "viewer")
    assert r.returncode == 2 and "no password on standard input" in r.stderr
    r = ews_in("a good password\n", "user", "add", "<b>x", "--role", "viewer")
    assert r.returncode == 2 and "bad user name" in r.stderr
    assert ews_in("", "user", "token", "nobody").returncode == 2
    r = ews_in("", "user", "remove", "nobody")
    assert r.returncode == 2 and "no user 'nobody'" in r.stderr
