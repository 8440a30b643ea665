"""The workbench in Debian's Chromium (headless, driven by Playwright; never a downloaded browser).

Log in, open a field dashboard, filter the queue, open an alert, see its chart drawn, change its status,
see the history, correct a document's tags; a viewer sees no action buttons and its forced POST is
refused; a crawled `<script>` title is shown as text. Screenshots of the main pages go to docs/screenshots/.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from workbench_seed import PASSWORD, SCRIPT_TITLE
from workbench_server import LiveServer

from alerts.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

pytestmark = [pytest.mark.browser, pytest.mark.integration,
              pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason="Debian's chromium is not installed (apt-get install -y chromium)")]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def live(seeded):
    with LiveServer(create_app()) as srv:
        yield srv


def _page(browser, live, user: str, lang: str = "en"):
    ctx = browser.new_context(base_url=live.url, viewport={"width": 1360, "height": 900}, locale=lang)
    page = ctx.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(f"/login?lang={lang}")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    return page, problems


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_analyst_workflow(browser, live, seeded):
    page, problems = _page(browser, live, "ana")
    assert page.locator(".field-card").count() == 12

    page.click("[data-field=battery] a >> nth=0")
    page.wait_for_selector(".spark[data-drawn]")
    assert page.locator(".spark[data-drawn] svg").count() >= 1
    _shot(page, "dashboard")

    page.goto("/queue")
    page.select_option("select[name=field]", "battery")
    page.select_option("select[name=direction]", "drop")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*field=battery.*"))
    # the three nested battery drops of one period share their documents: one incident row, the others inside
    assert page.locator("tr[data-alert]").count() == 1
    assert page.locator("tr[data-alert] .related a").count() == 2
    _shot(page, "queue")

    page.click("tr[data-alert] a >> nth=0")
    page.wait_for_selector("#alert-chart[data-drawn] svg path", state="attached")
    assert page.locator("#alert-chart svg path").count() > 3
    # the crawled title is text, not markup, and no script of it ran (no dialog)
    assert page.get_by_text(SCRIPT_TITLE, exact=True).count() == 1
    _shot(page, "alert-detail")

    page.select_option("#review-form select[name=status]", "triaged")
    page.fill("#review-form input[name=note]", "checked the filings")
    page.click("#review-form button[type=submit]")
    page.wait_for_selector(".notice")
    history = page.locator("table.history tbody").inner_text()
    assert "ana" in history and "triaged" in history and "checked the filings" in history

    page.goto("/documents/doc005")
    page.check("input[name=technology][value='semi.ai_chip']")
    page.click("#tag-form button[type=submit]")
    page.wait_for_selector(".notice")
    assert "corrected" in page.locator("ul.feedback").inner_text()

    page.goto("/trends?series=tech:battery.li_ion&series=field:battery&series=tech:semi.memory")
    page.wait_for_selector("#trend-chart[data-drawn] svg path", state="attached")
    _shot(page, "trend-explorer")

    page.goto("/search?q=battery")
    assert page.get_by_text(re.compile(r"<script>alert\('crawled'\)</script>")).count() >= 1
    _shot(page, "search")

    page.goto("/fields/battery?lang=ko")
    assert "미결 경보" in page.content()
    assert not problems, problems


def test_viewer_sees_no_actions_and_a_forced_post_is_refused(browser, live, seeded):
    page, problems = _page(browser, live, "vera")
    aid = seeded["alerts"]["tech:semi.memory"]
    page.goto(f"/alerts/{aid}")
    page.wait_for_selector("#alert-chart[data-drawn]")
    assert page.locator("#review-form, #silence-form").count() == 0
    page.goto("/queue")
    assert page.locator("input[name=alert]").count() == 0
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    r = page.request.post(f"/alerts/{aid}/review", form={"csrf_token": token, "version": "0", "status": "triaged"})
    assert r.status == 403
    r = page.request.post(f"/api/alerts/{aid}/review", data={"version": "0", "status": "triaged"},
                          headers={"X-CSRF-Token": token})
    assert r.status == 403
    assert page.request.get(f"/api/alerts/{aid}").json()["history"] == []
    assert not problems, problems
