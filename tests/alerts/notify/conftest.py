"""A real SMTP server (aiosmtpd) and a real webhook receiver (http.server), both on 127.0.0.1."""
from __future__ import annotations

import email
import email.policy
import http.server
import json
import socket
import threading

import pytest
from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server():
    box = Mailbox()
    with socket.socket() as s:  # aiosmtpd checks readiness by connecting, so it needs a known port
        s.bind(("127.0.0.1", 0))
        box.port = s.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


class Receiver:
    def __init__(self):
        self.bodies, self.fail_next, self.status = [], 0, 200


@pytest.fixture
def webhook():
    rec = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's handler name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if rec.fail_next > 0:
                rec.fail_next -= 1
                self.send_response(500)
                self.end_headers()
                return
            rec.bodies.append(json.loads(body))
            self.send_response(rec.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/secret-token"
    yield rec
    server.shutdown()
    server.server_close()
