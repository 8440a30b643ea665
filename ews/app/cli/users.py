"""`ews user add|token|list|remove`: the accounts of the review app (`ews serve`)."""
from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from ews.app.cli._app import app, fail, settings

user_app = typer.Typer(help="Users of the review app (ews serve).", no_args_is_help=True)
app.add_typer(user_app, name="user")
_fail = fail


def _users():
    from alerts.web.users import UserStore

    return UserStore(settings().home)


def read_password(stream=None) -> str:
    """The password from standard input (first line), never from an argument: arguments show in `ps`."""
    stream = stream or sys.stdin
    if stream.isatty():
        import getpass

        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            _fail("the two passwords differ")
        return first
    line = stream.readline()
    if not line:
        _fail("no password on standard input (pipe it in: printf '%s\\n' \"$PW\" | ews user add NAME --role R)")
    return line.rstrip("\r\n")


@user_app.command("add")
def add(name: Annotated[str, typer.Argument(help="user name (letters, digits, . _ @ -)")],
        role: Annotated[str, typer.Option("--role", help="viewer, analyst or admin")] = "viewer") -> None:
    """Add a user; the password is read from standard input."""
    from alerts.web.users import UserError

    password = read_password()
    try:
        u = _users().add(name, role, password)
    except UserError as e:
        _fail(str(e))
    sys.stdout.write(f"added {u.name} ({u.role})\n")


@user_app.command("token")
def token(name: Annotated[str, typer.Argument(help="an existing user")]) -> None:
    """Print a new API bearer token for the user (shown once; only its digest is stored)."""
    from alerts.web.users import UserError

    try:
        sys.stdout.write(_users().new_token(name) + "\n")
    except UserError as e:
        _fail(str(e))


@user_app.command("list")
def list_users(as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False) -> None:
    """List the users and their roles."""
    users = _users().list()
    if as_json:
        sys.stdout.write(json.dumps([u.model_dump(mode="json") for u in users], indent=1) + "\n")
        return
    for u in users:
        sys.stdout.write(f"{u.name}\t{u.role}\t{u.created_at:%Y-%m-%d %H:%M}\n")


@user_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="an existing user")]) -> None:
    """Remove a user and revoke their tokens."""
    from alerts.web.users import UserError

    try:
        _users().remove(name)
    except UserError as e:
        _fail(str(e))
    sys.stdout.write(f"removed {name}\n")
