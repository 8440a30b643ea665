"""Downloader middlewares of the crawl.

`OffsiteGuardMiddleware` is first in line: every request Scrapy is about to download (a spider's own,
a redirect's, a meta refresh's, robots.txt's) must pass the source's `LinkPolicy`, or it is dropped and
counted as the source's error (see crawlers.linkpolicy for why).

`BulkFileDownloaderMiddleware` downloads requests marked `meta["bulk_to_file"] = True` (USPTO weekly
bulk zips, hundreds of megabytes) by streaming them to a file in chunks, in a worker thread, instead
of through Scrapy's downloader, which holds a whole response body in memory. It sits last before the
downloader, so robots.txt, the user agent and the other request middlewares have already run; its
response has an empty body and `meta["bulk_path"]` naming the file (the spider deletes it when done).
A file larger than BULK_MAX_BYTES is abandoned and reported as an error; a partial file is never left
under its final name.
"""
from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawlers.linkpolicy import LinkPolicy, RefusedURL

CHUNK = 1024 * 1024
REFUSED = "ews_refused"  # request meta: the guard refused it (the errback need not report it again)


class BulkDownloadError(IOError):
    pass


class OffsiteGuardMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        spider = spider or self.crawler.spider
        policy: LinkPolicy | None = getattr(spider, "link_policy", None)
        if policy is None:  # only the project's source spiders crawl; anything else gets no network
            raise IgnoreRequest(f"{request.url[:200]}: no link policy")
        try:
            policy.check(request.url)
        except RefusedURL as e:
            request.meta[REFUSED] = True
            self.crawler.stats.inc_value("ews/requests_refused")
            via = request.meta.get("redirect_urls")
            how = f" (redirected from {via[-1][:120]})" if via else ""
            spider.record_error(f"{request.url[:200]}: request refused{how}: {e}")
            raise IgnoreRequest(str(e)) from None
        return None


class BulkFileDownloaderMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.max_bytes = crawler.settings.getint("BULK_MAX_BYTES", 8 * 1024**3)
        self.timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request, spider=None):
        if not request.meta.get("bulk_to_file"):
            return None
        directory = Path(request.meta.get("bulk_dir") or tempfile.gettempdir())
        headers = {k: v for k, v in request.headers.to_unicode_dict().items()}
        policy = getattr(spider or self.crawler.spider, "link_policy", None)
        status, resp_headers, path = await maybe_deferred_to_future(
            deferToThread(stream_to_file, request.url, headers, directory, self.max_bytes, self.timeout, policy))
        request.meta["bulk_path"] = str(path) if path else None
        self.crawler.stats.inc_value("ews/bulk_files")
        return Response(url=request.url, status=status, headers=resp_headers, body=b"", request=request)


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """urllib follows redirects by itself: each target must pass the source's policy too."""

    def __init__(self, policy: LinkPolicy | None):
        self.policy = policy

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            if self.policy is None:
                raise RefusedURL("no link policy")
            self.policy.check(newurl)
        except RefusedURL as e:
            raise BulkDownloadError(f"{req.full_url[:200]}: redirect to {newurl[:200]} refused: {e}") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def stream_to_file(url: str, headers: dict, directory: Path, max_bytes: int, timeout: float,
                   policy: LinkPolicy | None = None):
    """(status, headers, path or None): the body written to a new file in `directory` in 1 MB chunks."""
    if not url.startswith(("http://", "https://")):
        raise BulkDownloadError(f"{url}: only http(s) bulk files are fetched")
    directory.mkdir(parents=True, exist_ok=True)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _GuardedRedirects(policy))
    req = urllib.request.Request(url, headers=headers)
    try:
        resp = opener.open(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), None
    with resp:
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise BulkDownloadError(f"{url}: bulk file of {declared} bytes exceeds BULK_MAX_BYTES={max_bytes}")
        fd, tmp = tempfile.mkstemp(prefix="bulk-", suffix=".part", dir=directory)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = resp.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        raise BulkDownloadError(f"{url}: bulk file exceeds BULK_MAX_BYTES={max_bytes}; abandoned")
                    out.write(chunk)
            if declared and declared.isdigit() and size != int(declared):
                raise BulkDownloadError(f"{url}: bulk file truncated ({size} of {declared} bytes)")
            final = tmp[: -len(".part")] + ".zip"
            os.replace(tmp, final)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return resp.status, dict(resp.headers.items()), Path(final)
