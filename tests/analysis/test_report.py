"""`ews report` on the demo data: HTML and PDF briefings whose pages render, with their sections and real Korean text."""
import shutil
import subprocess

import pytest

from ews.kernel.store import Store
from tests.app.cli import ews

pytestmark = pytest.mark.integration

BRIEFING_SECTIONS = ["요약 · Summary", "기술별 동향 · Filings per technology", "전망 · Forecasts", "경보 · Alerts",
                     "부상 용어 · Emerging terms", "이슈 · Issues", "위험도 · Risk and its components",
                     "정책 동향 전망 · Policy activity forecast"]
ANNUAL_SECTIONS = ["요약 · Summary", "Patents per technology per year", "Top applicants", "전망 · Forecasts",
                   "경보 · Alerts", "이슈 · Issues", "위험도 · Risk", "기술수준 · Technology level"]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """The demo sources crawled, classified, counted and detected, once for the module."""
    from alerts.embedded import EmbeddedAlertStore
    from crawlers.demo import DEMO_AS_OF, DEMO_WINDOW, DemoSite
    from crawlers.registry import load_registry
    from ews.app import pipeline
    from ews.kernel.config import load_settings

    home = tmp_path_factory.mktemp("demo-store")
    settings = load_settings(home=home)
    with DemoSite() as site, Store(home) as store:
        pipeline.crawl(store, load_registry(demo=True, base_url=site.url), *DEMO_WINDOW, settings)
        pipeline.classify(store, settings)
        pipeline.count(store, as_of=DEMO_AS_OF)
        pipeline.detect_and_alert(store, EmbeddedAlertStore(store), as_of=DEMO_AS_OF)
    return home


@pytest.fixture
def populated(demo_store, ews_home):
    shutil.copytree(demo_store, ews_home)
    return ews_home


def tool(*args) -> str:
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"{args[0]} failed (poppler-utils installed?): {r.stderr}"
    return r.stdout


def check_pdf(pdf, sections, tmp_path):
    text = " ".join(tool("pdftotext", "-layout", str(pdf), "-").split())
    for s in sections:
        assert " ".join(s.split()) in text, f"section {s!r} missing from {pdf.name}"
    # Korean is text in the PDF (pdftotext gives Hangul back), drawn with an embedded CJK font
    assert sum("\uac00" <= ch <= "\ud7a3" for ch in text) > 20
    fonts = tool("pdffonts", str(pdf)).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts   # the 'emb' column
    assert any("CJK" in line for line in fonts), fonts
    tool("pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / pdf.stem))
    pages = sorted(tmp_path.glob(f"{pdf.stem}*.png"))
    assert len(pages) >= 2
    from PIL import Image

    # a page is blank when it has neither text nor ink; a last page holding only a table's tail is not
    for number, page in enumerate(pages, start=1):
        img = Image.open(page).convert("L")
        dark = sum(img.histogram()[:128])
        words = tool("pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-").split()
        assert len(words) >= 5 and dark > 0.001 * img.width * img.height, f"{page.name} is blank"


def test_monthly_briefing_defaults_to_the_latest_complete_month(populated, tmp_path):
    out = tmp_path / "out"
    r = ews("report", "--field", "battery", "--output", str(out))
    assert r.returncode == 0, r.stderr
    html = sorted(out.glob("briefing-battery-*.html"))
    pdf = sorted(out.glob("briefing-battery-*.pdf"))
    assert len(html) == len(pdf) == 1 and "data:image/png;base64," in html[0].read_text(encoding="utf-8")
    # the demo data runs into December 2024 without reaching its end: November is the latest complete month
    assert html[0].name == "briefing-battery-2024-11.html"
    check_pdf(pdf[0], BRIEFING_SECTIONS, tmp_path)


def test_annual_report_has_its_sections(populated, tmp_path):
    out = tmp_path / "out"
    r = ews("report", "--field", "semi", "--annual", "2023", "--output", str(out))
    assert r.returncode == 0, r.stderr
    pdf = out / "annual-semi-2023.pdf"
    assert pdf.exists() and (out / "annual-semi-2023.html").exists()
    check_pdf(pdf, ANNUAL_SECTIONS, tmp_path)


def test_bad_report_arguments_are_named(tmp_path):
    cases = [
        (["--field", "battery", "--period", "2024-13"], "--period: period '2024-13'"),
        (["--field", "battery", "--period", "2024-01", "--annual", "2023"], "not both"),
        (["--field", "nope"], "'nope' is not a field"),
        (["--field", "battery"], "no dated documents in the store"),
        (["--field", "battery", "--period", "2024"], "a briefing is monthly"),
    ]
    for args, message in cases:
        r = ews("report", *args, "--output", str(tmp_path / "o"))
        assert r.returncode != 0 and message in " ".join(r.stderr.split()), (args, r.stderr)
        assert "Traceback" not in r.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = ews("report", "--field", "battery", "--output", str(blocker))
    assert r.returncode != 0 and "is not a directory" in r.stderr
