"""Scrapy settings for every source crawl: polite by default.

Loopback hosts (the demo and the tests) get no delays, so that politeness towards real sites does not
make local runs slow; everything else keeps robots.txt, AutoThrottle and per-domain limits.
"""
from __future__ import annotations

from urllib.parse import urlsplit

BOT_NAME = "ews"
SPIDER_MODULES = ["crawlers.spiders"]

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
RANDOMIZE_DOWNLOAD_DELAY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
DOWNLOAD_TIMEOUT = 60
# Per source type in the spider table (settings_for_source); these hold for anything else. Bulk files
# are streamed to disk separately (BULK_MAX_BYTES).
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "WARNING"
LOG_INSTALL_ROOT_HANDLER = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
HTTPCACHE_ENABLED = False              # EWS_HTTPCACHE=1 turns on Scrapy's cache for replay
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"

EWS_HOME = None  # the data directory: set by crawlers.run from the job, read by the spiders and the pipeline
ITEM_PIPELINES = {"crawlers.pipelines.CrawlChainPipeline": 300}
# Only http(s) is ever downloaded: a link or redirect to file:, data:, ftp: or s3: has no handler at all
# (OffsiteGuardMiddleware refuses them first; this is the second wall).
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
DOWNLOADER_MIDDLEWARES = {
    # Every request (redirects included) on the source's registered http(s) hosts, or refused.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawlers.middlewares.OffsiteGuardMiddleware": 40,
    # Bulk files (requests with meta bulk_to_file) are streamed to disk, never held in memory.
    "crawlers.middlewares.BulkFileDownloaderMiddleware": 950,
}
NEAR_DUP_THRESHOLD = 0.7     # estimated Jaccard similarity of shingles (with the same numbers) at which two documents are one
NEAR_DUP_WINDOW_DAYS = 14    # … when published at most this many days apart
BULK_MAX_BYTES = 8 * 1024**3  # a weekly USPTO zip is 0.1-1.5 GB; refuse anything absurd

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_OVERRIDES = {
    "DOWNLOAD_DELAY": 0.0, "RANDOMIZE_DOWNLOAD_DELAY": False, "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "RETRY_TIMES": 1, "DOWNLOAD_TIMEOUT": 20,
}


def project_settings() -> dict:
    return {k: v for k, v in globals().items() if k.isupper() and k not in ("LOCAL_HOSTS", "LOCAL_OVERRIDES")}


def settings_for_source(endpoint: str, overrides: dict | None = None, spider: str | None = None) -> dict:
    """Per-spider settings: the response caps of the source's type; loopback gets LOCAL_OVERRIDES; a
    registry entry's settings.scrapy wins last."""
    from crawlers.spider_table import SPIDER_TABLE

    out: dict = {}
    row = SPIDER_TABLE.get(spider or "")
    if row is not None:
        out.update(DOWNLOAD_MAXSIZE=row.max_response_bytes, DOWNLOAD_WARNSIZE=row.warn_response_bytes)
    if urlsplit(endpoint).hostname in LOCAL_HOSTS:
        out.update(LOCAL_OVERRIDES)
    out.update(overrides or {})
    return out
