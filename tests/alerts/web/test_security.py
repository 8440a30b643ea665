"""Login, sessions, CSRF, rate limiting, security headers and escaping of hostile crawled text."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from workbench_client import csrf_of, login
from workbench_seed import ATTR_BREAK, HOSTILE_APPLICANT, PASSWORD, SCRIPT_TITLE

from alerts.web import create_app
from alerts.web.security import LoginRateLimiter


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_pages_send_anonymous_visitors_to_login(anon):
    r = anon.get("/queue?field=battery", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fqueue%3Ffield%3Dbattery"
    assert anon.get("/login").status_code == 200


def test_login_and_logout(anon):
    assert login(anon, "ana", "wrong password").status_code == 401
    r = login(anon, "ana")
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "ews_session" in r.headers["set-cookie"] and "samesite=strict" in r.headers["set-cookie"].lower()
    assert "httponly" in r.headers["set-cookie"].lower()
    assert anon.get("/api/me").json()["name"] == "ana"
    token = csrf_of(anon.get("/").text)
    assert anon.post("/logout", data={}).status_code == 403  # no CSRF token: refused
    assert anon.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert anon.get("/api/me").status_code == 401


def test_login_needs_the_forms_csrf_token(anon):
    anon.get("/login")
    r = anon.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403 and anon.get("/api/me").status_code == 401


def test_login_redirect_stays_on_this_site(anon):
    page = anon.get("/login")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = anon.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": csrf_of(page.text),
                                      "next": target}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/", target
        page = anon.get("/login")


def test_failed_logins_are_rate_limited(seeded):
    clock = FakeClock()
    with TestClient(create_app(limiter=LoginRateLimiter(attempts=5, window=300, clock=clock))) as c:
        for _ in range(5):
            assert login(c, "ana", "guess").status_code == 401
        r = login(c, "ana")  # even the right password waits
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert "300" in r.text or "seconds" in r.text or "초" in r.text
        r = login(c, "vera")  # same address, other name: the address is limited too
        assert r.status_code == 429
        clock.now += 301
        assert login(c, "ana").status_code == 303


@pytest.mark.parametrize("path", ["/login", "/static/app.css", "/api/alerts", "/docs", "/openapi.json"])
def test_security_headers(anon, path):
    r = anon.get(path)
    csp = r.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


def _no_inline_script(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag


def test_hostile_crawled_text_is_escaped_everywhere(session_for, seeded):
    c = session_for("ana")
    aid = seeded["alerts"]["tech:battery.li_ion"]
    pages = {f"/alerts/{aid}": [SCRIPT_TITLE, ATTR_BREAK, HOSTILE_APPLICANT],
             "/documents/doc001": [SCRIPT_TITLE, HOSTILE_APPLICANT],
             "/documents/doc002": [ATTR_BREAK],
             "/search?q=battery": [SCRIPT_TITLE],
             "/search?q=script+alert": [],  # the highlighter splits the title: still no markup from it
             "/fields/battery": []}
    for path, payloads in pages.items():
        html = c.get(path).text
        _no_inline_script(html)
        assert "<script>alert" not in html and "<img src=x" not in html and '" onmouseover="' not in html, path
        for p in payloads:
            assert p not in html, (path, p)
        if SCRIPT_TITLE in payloads:
            assert "&lt;script&gt;alert(&#39;crawled&#39;)&lt;/script&gt;" in html, path
        if ATTR_BREAK in payloads:
            assert "&#34; onmouseover=&#34;alert(1)&#34;" in html, path
    # JSON blocks for the charts cannot close their script element either
    chart_json = re.search(r'id="alert-chart-data">(.*?)</script>', c.get(f"/alerts/{aid}").text, re.S).group(1)
    assert "</" not in chart_json


def test_search_text_is_escaped_and_never_query_syntax(session_for):
    c = session_for("vera")
    payload = '"><script>alert(3)</script> lithium'
    html = c.get("/search", params={"q": payload}).text
    assert payload not in html and "<script>alert(3)" not in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(3)&lt;/script&gt; lithium"' in html
    # operators are plain characters: 'lithium -cathode' still finds the cathode document
    body = c.get("/api/documents", params={"q": "lithium -cathode"}).json()
    assert "doc002" in {d["id"] for d in body["documents"]}
    assert c.get("/api/documents", params={"q": 'lithium OR "unbalanced'}).status_code == 200


def test_archived_copy_is_inert(session_for):
    c = session_for("vera")
    r = c.get("/documents/doc001/archived")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-security-policy"].startswith("sandbox")
    assert b"archived body" in r.content


def test_viewer_sees_no_actions_and_its_forced_posts_are_refused(session_for, seeded):
    c = session_for("vera")
    aid = seeded["alerts"]["tech:semi.memory"]
    html = c.get(f"/alerts/{aid}").text
    assert 'id="review-form"' not in html and 'id="silence-form"' not in html
    assert 'name="alert"' not in c.get("/queue").text and 'id="tag-form"' not in c.get("/documents/doc001").text
    token = csrf_of(html)  # the logout form's token: a valid one
    for path, data in ((f"/alerts/{aid}/review", {"version": "0", "status": "triaged"}),
                       (f"/alerts/{aid}/silence", {"hours": "1"}),
                       ("/queue/bulk", {"alert": f"{aid}@0", "status": "triaged"}),
                       ("/documents/doc001/tags", {"technology": "semi.memory"})):
        r = c.post(path, data={**data, "csrf_token": token})
        assert r.status_code == 403, path
    assert c.get(f"/api/alerts/{aid}").json()["history"] == []
