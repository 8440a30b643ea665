"""Who is asking: a bearer token or a signed session cookie, and what their role allows.

API routes answer 401 without credentials and 403 for a role that may not act;
pages send an anonymous visitor to the login form instead. A state-changing
request authenticated by the session cookie (which the browser sends on its own)
must also carry the session's CSRF token; a bearer token is never sent
implicitly, so it needs none.
"""
from __future__ import annotations

from fastapi import HTTPException, Request

from alerts.web.security import CSRF_FORM_FIELD, CSRF_HEADER, csrf_ok
from alerts.web.users import User

SESSION_USER = "user"


class LoginRequired(Exception):
    """Raised by page routes; the app turns it into a redirect to the login form."""


def _user_of(request: Request) -> User | None:
    if hasattr(request.state, "user"):
        return request.state.user
    users = request.app.state.users
    user, how = None, None
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        user, how = users.user_for_token(token.strip()), "token"
        if user is None:  # a wrong token is an error even if a session cookie came along
            raise HTTPException(401, "invalid or revoked bearer token", headers={"WWW-Authenticate": "Bearer"})
    elif name := request.session.get(SESSION_USER):
        user, how = users.get(name), "session"  # re-read: a removed user's cookie stops working
        if user is None:
            request.session.clear()
    request.state.user, request.state.auth = user, how
    return user


def api_user(request: Request) -> User:
    user = _user_of(request)
    if user is None:
        raise HTTPException(401, "authentication required: send 'Authorization: Bearer <token>' or log in",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


def page_user(request: Request) -> User:
    user = _user_of(request)
    if user is None:
        raise LoginRequired()
    return user


async def check_csrf(request: Request) -> None:
    if getattr(request.state, "auth", None) != "session":
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get(CSRF_FORM_FIELD)
    if not csrf_ok(request, sent):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and submit the form again")


def require(role: str, *, page: bool = False):
    """A dependency: the authenticated user, if their role is at least `role` (and, for writes, the CSRF check)."""

    async def dependency(request: Request) -> User:
        user = page_user(request) if page else api_user(request)
        if not user.may(role):
            raise HTTPException(403, f"your role ({user.role}) may not do this; it needs {role} or above")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await check_csrf(request)
        return user

    dependency.__name__ = f"require_{role}"
    return dependency
