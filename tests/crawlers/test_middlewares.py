"""Bulk files streamed to disk by the downloader middleware's worker: complete, capped, never half-written."""
import pytest

from crawlers.demo import LocalSite, Reply
from crawlers.middlewares import BulkDownloadError, stream_to_file

BODY = bytes(range(256)) * 20_000  # 5 MB


@pytest.fixture(scope="module")
def site():
    with LocalSite({"/big.zip": lambda req: Reply(200, BODY, {"Content-Type": "application/zip"}),
                    "/ua.zip": lambda req: Reply(200, req.headers.get("user-agent", "").encode(), {})}) as s:
        yield s


def test_file_is_written_whole_with_the_request_headers(site, tmp_path):
    status, headers, path = stream_to_file(f"{site.url}/big.zip", {}, tmp_path, 10**9, 10)
    assert status == 200 and path.read_bytes() == BODY and path.suffix == ".zip"
    _, _, path = stream_to_file(f"{site.url}/ua.zip", {"User-Agent": "ews-test"}, tmp_path, 10**9, 10)
    assert path.read_bytes() == b"ews-test"


def test_too_big_is_refused_and_nothing_is_left(site, tmp_path):
    with pytest.raises(BulkDownloadError, match="BULK_MAX_BYTES"):
        stream_to_file(f"{site.url}/big.zip", {}, tmp_path, 1_000_000, 10)
    assert list(tmp_path.iterdir()) == []


def test_http_errors_are_answers_without_a_file(site, tmp_path):
    status, _, path = stream_to_file(f"{site.url}/missing.zip", {}, tmp_path, 10**9, 10)
    assert status == 404 and path is None
    with pytest.raises(BulkDownloadError, match="only http"):
        stream_to_file("file:///etc/passwd", {}, tmp_path, 10**9, 10)
