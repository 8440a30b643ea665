"""html_list spider on a report board: a PDF report, a broken PDF, a page printing its body twice, and a
multi-item bulletin split into items with their own dates."""
import datetime as dt

import pytest

from ews.kernel.store import Store

pytestmark = pytest.mark.integration


def test_pdf_report_is_read_and_a_broken_pdf_is_an_error(api_crawl):
    h = api_crawl["first"]["t-reports"]
    assert h.items == 2 and h.errors == 1 and any("r2.pdf: unreadable PDF" in m for m in h.error_messages)
    with Store(api_crawl["home"]) as store:
        docs = {d.url.rsplit("/", 1)[1]: d for d in store.iter_documents(source="t-reports")}
    pdf = docs["r1.pdf"]
    assert pdf.title == "Export Controls on Quantum Computing" and "dilution refrigerators" in pdf.text
    assert (pdf.published, pdf.published_basis, pdf.lang) == (dt.date(2024, 1, 10), "stated", "en")


def test_body_printed_twice_is_stored_once(api_crawl):
    with Store(api_crawl["home"]) as store:
        (d,) = [d for d in store.iter_documents(source="t-reports") if d.url.endswith("r3.html")]
    lines = d.text.splitlines()
    assert len(lines) == 5 and lines.count("박한신 기자") == 1 and "공유" not in lines
    assert d.lang == "ko"


def test_bulletin_is_split_into_dated_items_in_the_window(api_crawl):
    with Store(api_crawl["home"]) as store:
        items = sorted(store.iter_documents(source="t-bulletin"), key=lambda d: d.published)
    assert [(d.title, d.published, d.published_basis) for d in items] == [
        ("[미국] 상무부, 첨단 반도체 수출통제 개정", dt.date(2024, 1, 8), "stated"),
        ("[일본] 경제산업성, 양자기술 전략 발표", dt.date(2024, 1, 15), "stated")]  # the 2023-12 item is outside
