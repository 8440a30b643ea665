"""PDF reports: text from a real PDF written by hand, limits, and broken files as ParseErrors."""
import datetime as dt

import pytest
from pdfgen import make_pdf

from crawlers.parsers.base import HostileInput, ParseError
from crawlers.parsers.pdf import extract_pdf, is_pdf, parse_pdf_document

PDF = make_pdf([["Export Controls on Quantum Computing", "Washington, 5 March 2024. Dilution refrigerators (DRs)."],
                ["Page two: recommendations for allies."]], title="Quantum Export Controls", created="20240305120000Z")


def test_text_and_metadata_of_every_page():
    text, meta = extract_pdf(PDF, "http://127.0.0.1/r.pdf")
    assert "Export Controls on Quantum Computing" in text and "Dilution refrigerators (DRs)." in text
    assert "Page two: recommendations for allies." in text
    assert meta == {"title": "Quantum Export Controls", "created": dt.date(2024, 3, 5)}
    assert is_pdf(PDF) and is_pdf(b"", "application/pdf") and not is_pdf(b"<html>")


def test_document_date_is_stated_by_the_listing_else_inferred(ctx_factory):
    ctx = ctx_factory(url="http://127.0.0.1/r.pdf")
    d = parse_pdf_document(PDF, ctx, stated_date=dt.date(2024, 3, 6), title="Listed title")
    assert (d.title, d.published, d.published_basis) == ("Listed title", dt.date(2024, 3, 6), "stated")
    d = parse_pdf_document(PDF, ctx)
    assert (d.title, d.published, d.published_basis) == ("Quantum Export Controls", dt.date(2024, 3, 5), "inferred")
    assert d.source_key == "http://127.0.0.1/r.pdf"


@pytest.mark.parametrize("body, needle", [
    (PDF[: len(PDF) // 2], "unreadable PDF"),
    (b"%PDF-1.4\n garbage garbage", "unreadable PDF"),
    (b"<html>not a pdf</html>", "not a PDF"),
])
def test_broken_pdfs_are_parse_errors_naming_the_url(body, needle, ctx_factory):
    with pytest.raises(ParseError, match=needle) as e:
        parse_pdf_document(body, ctx_factory(url="http://127.0.0.1/broken.pdf"))
    assert "http://127.0.0.1/broken.pdf" in str(e.value)


def test_size_and_page_limits(ctx_factory):
    with pytest.raises(HostileInput, match="exceeds"):
        extract_pdf(PDF, "x", max_bytes=100)
    many = make_pdf([[f"page {i}"] for i in range(6)])
    with pytest.raises(HostileInput, match="6 pages"):
        extract_pdf(many, "x", max_pages=5)
    text, _ = extract_pdf(make_pdf([["a" * 80]] * 4), "x", max_chars=100)
    assert "text cut at 100 characters" in text
    with pytest.raises(HostileInput):
        parse_pdf_document(PDF, ctx_factory(settings={"pdf_max_bytes": 50}))


def test_pdf_without_text_is_an_error(ctx_factory):
    with pytest.raises(ParseError, match="no extractable text"):
        parse_pdf_document(make_pdf([[]]), ctx_factory())
