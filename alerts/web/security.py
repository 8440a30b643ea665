"""Security plumbing of the review app: response headers, CSRF tokens, login rate limiting, the session key."""
from __future__ import annotations

import os
import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request

# No inline script anywhere (every script is a file under /static); styles may be set by the chart
# library at run time, hence 'unsafe-inline' for styles only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
CSRF_SESSION_KEY = "csrf"
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if request.url.path.startswith(("/api/", "/login", "/alerts/", "/documents/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use); every state-changing form carries it back."""
    tok = request.session.get(CSRF_SESSION_KEY)
    if not tok:
        tok = secrets.token_urlsafe(32)
        request.session[CSRF_SESSION_KEY] = tok
    return tok


def csrf_ok(request: Request, sent: str | None) -> bool:
    expected = request.session.get(CSRF_SESSION_KEY)
    return bool(expected and sent and secrets.compare_digest(str(expected), str(sent)))


class LoginRateLimiter:
    """At most `attempts` failed logins per client address and per user name within `window` seconds.

    Kept in memory: `ews serve` is one process. Both keys count, so neither
    spreading guesses over names nor over addresses gets more tries.
    """

    def __init__(self, attempts: int = 5, window: float = 300.0, clock=time.monotonic):
        self.attempts, self.window, self.clock = attempts, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, address: str, name: str) -> int:
        """Seconds to wait before the next attempt is allowed (0: allowed now)."""
        now = self.clock()
        with self._lock:
            waits = [q[0] + self.window - now for key in (f"a:{address}", f"u:{name.lower()}")
                     if len(q := self._recent(key, now)) >= self.attempts]
        return int(max(waits)) + 1 if waits else 0

    def failed(self, address: str, name: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (f"a:{address}", f"u:{name.lower()}"):
                self._recent(key, now).append(now)

    def succeeded(self, address: str, name: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{name.lower()}", None)


def session_secret(home: Path) -> str:
    """The key that signs session cookies: `EWS_WEB_SECRET`, else one generated once into the data directory."""
    if os.environ.get("EWS_WEB_SECRET"):
        return os.environ["EWS_WEB_SECRET"]
    path = Path(home) / "web-session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_urlsafe(48).encode())
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    return path.read_text().strip()
