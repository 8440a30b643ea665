"""The item pipeline: every `PageItem` (one fetched page and the documents parsed from it) goes through
the one crawl processing chain (crawlers.chain): archived first, whatever its documents, then
window → normalise → validate → de-duplicate → store.

The data directory is the Scrapy setting `EWS_HOME`; per-source counts go to the crawler's stats and
the spider's error record, which `crawlers.run` turns into the source's health record.
"""
from __future__ import annotations

from crawlers.chain import CrawlChain
from crawlers.items import PageItem


class CrawlChainPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.chain: CrawlChain | None = None
        self._committer = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        from twisted.internet import task

        s = self.crawler.settings
        home = s.get("EWS_HOME")
        if not home:
            raise RuntimeError("the Scrapy setting EWS_HOME (the data directory) is not set")
        self.chain = CrawlChain(home, near_dup_threshold=s.getfloat("NEAR_DUP_THRESHOLD", 0.7),
                                near_dup_window_days=s.getint("NEAR_DUP_WINDOW_DAYS", 14))
        # Batched index writes are committed at least every second, so that a slow, polite crawl never
        # holds the index's write lock while it waits between pages (another crawl may want it).
        self._committer = task.LoopingCall(self.chain.index.commit)
        self._committer.start(1.0, now=False)

    def close_spider(self, spider=None):
        if self._committer is not None and self._committer.running:
            self._committer.stop()
        if self.chain is not None:
            self.chain.close()
            self.chain = None

    def process_item(self, item, spider=None):
        if not isinstance(item, PageItem):
            return item
        spider = spider or self.crawler.spider
        source = spider.source
        raw_ref = None
        if item.archive:
            raw_ref = self.chain.archive(source, url=item.url, body=item.body, headers=item.headers,
                                         status=item.status, fetched_at=item.fetched_at, role=item.role,
                                         context=item.context, secret_params=getattr(spider, "secret_params", None))
        if item.documents:
            res = self.chain.process(source, item.documents, raw_ref=raw_ref, window=item.context.get("window"),
                                     where=item.url)
            for e in res.errors:
                spider.record_error(e)
            stats = self.crawler.stats
            stats.inc_value("ews/items", len(res.stored))
            stats.inc_value("ews/new_items", res.inserted)
            stats.inc_value("ews/updated_items", res.updated)
            stats.inc_value("ews/near_duplicates", res.near_duplicates)
            item.documents = res.stored
        item.body = b""  # the raw bytes are archived; do not keep them in memory or logs
        return item
