"""A small threaded HTTP server on 127.0.0.1 for the demo and the crawler tests.

`LocalSite` serves whatever a route function returns; `DemoSite` adds the three demo sources.
This is a real server on a real socket: the crawler talks HTTP to it exactly as to a remote site.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


Route = Callable[[Request], "Reply | None"]

ROBOTS_ALLOW_ALL = b"User-agent: *\nAllow: /\n"


class LocalSite:
    """Threaded HTTP server on 127.0.0.1 and a free port; a context manager; `.url` is the base URL.

    Routes map a path (exact) or a compiled regex to a function of the request returning a Reply,
    or None for 404. `hits` counts requests per path, so tests can check what was fetched.
    """

    def __init__(self, routes: dict | None = None):
        self.routes: dict = {"/robots.txt": lambda req: Reply(200, ROBOTS_ALLOW_ALL, {"Content-Type": "text/plain"})}
        self.routes.update(routes or {})
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the site is not running; use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def _find(self, path: str) -> Route | None:
        if path in self.routes:
            return self.routes[path]
        for key, fn in self.routes.items():
            if isinstance(key, re.Pattern) and key.fullmatch(path):
                return fn
        return None

    def handle(self, req: Request) -> Reply:
        with self._lock:
            self.hits[req.path] = self.hits.get(req.path, 0) + 1
        fn = self._find(req.path)
        reply = fn(req) if fn else None
        return reply if reply is not None else Reply(404, b"not found", {"Content-Type": "text/plain"})

    def start(self) -> LocalSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(method, parts.path, parse_qs(parts.query, keep_blank_values=True),
                              {k.lower(): v for k, v in self.headers.items()}, body)
                try:
                    reply = site.handle(req)
                except Exception as e:  # a bug in a route must show up as a 500, not a hung socket
                    reply = Reply(500, f"server error: {e}".encode(), {"Content-Type": "text/plain"})
                etag = reply.headers.get("ETag")
                if reply.status == 200 and etag and req.headers.get("if-none-match") == etag:
                    reply = Reply(304, b"", {"ETag": etag})
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if method != "HEAD":
                    try:
                        self.wfile.write(reply.body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the client hung up (a crawler cutting an oversize response): its business, not an error here

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_HEAD(self):
                self._serve("HEAD")

            def log_message(self, *args):  # keep test and demo output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def json_reply(obj, status: int = 200) -> Reply:
    return Reply(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"),
                 {"Content-Type": "application/json; charset=utf-8"})
