"""Users of the review app: roles, argon2 password hashes and hashed API bearer tokens.

The tables live in the embedded store's database file (`EWS_HOME/ews.sqlite`),
beside the review tables, whichever alert store is configured: users are part of
the app, not of the alert data. Every call opens and closes its own connection,
so one `UserStore` may be shared by all request threads.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import sqlite3
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel

from ews.kernel.store import immediate_transaction

Role = Literal["viewer", "analyst", "admin"]
ROLES: tuple[str, ...] = ("viewer", "analyst", "admin")
# each role may do what the roles before it may
ROLE_RANK = {r: i for i, r in enumerate(ROLES)}
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "ews_"

SCHEMA = """
CREATE TABLE IF NOT EXISTS web_users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS web_tokens (
  token_sha256 TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES web_users(name) ON DELETE CASCADE,
  created_at TEXT NOT NULL);
"""


class UserError(ValueError):
    pass


class User(BaseModel):
    name: str
    role: Role
    created_at: dt.datetime

    def may(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


_HASHER = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so timing does not tell names apart."""
    return _HASHER.hash(secrets.token_hex(16))


def _token_digest(token: str) -> str:
    # tokens are 256 random bits: a fast digest is enough (no dictionary to try), and it can be looked up
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore:
    def __init__(self, home: Path | str):
        self.db_path = Path(home) / "ews.sqlite"
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._hasher = _HASHER
        with self._connect() as c:
            c.executescript(SCHEMA)

    @contextmanager
    def _connect(self):
        conn = sqlite3.connect(self.db_path, timeout=60, isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys=ON")
            yield conn
        finally:
            conn.close()

    def add(self, name: str, role: str, password: str) -> User:
        if not NAME_PATTERN.match(name or ""):
            raise UserError(f"bad user name {name!r}: 1-64 letters, digits, '.', '_', '@' or '-', "
                            "starting with a letter or digit")
        if role not in ROLES:
            raise UserError(f"bad role {role!r}: one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
        now = dt.datetime.now(dt.UTC)
        with self._connect() as c, immediate_transaction(c):
            if c.execute("SELECT 1 FROM web_users WHERE name=?", (name,)).fetchone():
                raise UserError(f"user {name!r} exists already")
            c.execute("INSERT INTO web_users VALUES (?,?,?,?)", (name, role, self._hasher.hash(password), now.isoformat()))
        return User(name=name, role=role, created_at=now)

    def get(self, name: str) -> User | None:
        with self._connect() as c:
            row = c.execute("SELECT name, role, created_at FROM web_users WHERE name=?", (name,)).fetchone()
        return User(name=row[0], role=row[1], created_at=row[2]) if row else None

    def list(self) -> list[User]:
        with self._connect() as c:
            rows = c.execute("SELECT name, role, created_at FROM web_users ORDER BY name").fetchall()
        return [User(name=n, role=r, created_at=t) for n, r, t in rows]

    def remove(self, name: str) -> None:
        with self._connect() as c, immediate_transaction(c):
            if c.execute("DELETE FROM web_users WHERE name=?", (name,)).rowcount == 0:
                raise UserError(f"no user {name!r}")
            c.execute("DELETE FROM web_tokens WHERE user=?", (name,))

    def authenticate(self, name: str, password: str) -> User | None:
        with self._connect() as c:
            row = c.execute("SELECT password_hash FROM web_users WHERE name=?", (name,)).fetchone()
        try:
            self._hasher.verify(row[0] if row else _dummy_hash(), password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return self.get(name) if row else None

    def new_token(self, name: str) -> str:
        """A new bearer token for `name`; only its digest is kept, so it is shown once."""
        if self.get(name) is None:
            raise UserError(f"no user {name!r}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._connect() as c:
            c.execute("INSERT INTO web_tokens VALUES (?,?,?)",
                      (_token_digest(token), name, dt.datetime.now(dt.UTC).isoformat()))
        return token

    def user_for_token(self, token: str) -> User | None:
        digest = _token_digest(token)
        with self._connect() as c:
            row = c.execute("SELECT token_sha256, user FROM web_tokens WHERE token_sha256=?", (digest,)).fetchone()
        if row is None or not hmac.compare_digest(row[0], digest):
            return None
        return self.get(row[1])
