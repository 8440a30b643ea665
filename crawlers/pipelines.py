"""Item pipelines, in order: archive the raw response, normalise the documents (repeats, language,
dates, digests), validate them, drop near-duplicates of documents already stored, store them.

Each works on `PageItem`s (one fetched page and the documents parsed from it) and keeps per-source
counts on the spider, which `crawlers.run` turns into the source's health record.
"""
from __future__ import annotations

from pydantic import ValidationError

from crawlers.dedup import NearDuplicateDetector
from crawlers.index import CrawlIndex
from crawlers.items import PageItem
from crawlers.normalize import normalize_documents
from ews.kernel.schema import Document
from ews.kernel.store import Store


class _Pipeline:
    """What every pipeline here shares: built by Scrapy from the crawler, whose settings and spider it reads."""

    def __init__(self, crawler=None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


class _StorePipeline(_Pipeline):
    def __init__(self, crawler=None):
        super().__init__(crawler)
        self.store: Store | None = None

    def open_spider(self, spider=None):
        self.store = Store((spider or self.crawler.spider).home)

    def close_spider(self, spider=None):
        if self.store is not None:
            self.store.close()
            self.store = None


class ArchiveRawPipeline(_StorePipeline):
    """Every response, kept gzip-compressed with URL, headers and fetch time; documents point to it."""

    def open_spider(self, spider=None):
        from twisted.internet import task

        super().open_spider(spider)
        self.index = CrawlIndex.shared((spider or self.crawler.spider).home)
        # Batched index writes are committed at least every second, so that a slow, polite crawl never
        # holds the index's write lock while it waits between pages (another crawl may want it).
        self._committer = task.LoopingCall(self.index.commit)
        self._committer.start(1.0, now=False)

    def close_spider(self, spider=None):
        if self._committer.running:
            self._committer.stop()
        super().close_spider(spider)
        self.index.release()

    def process_item(self, item, spider=None):
        if not isinstance(item, PageItem) or not item.archive:
            return item
        raw_id = self.store.put_raw(source=item.source, url=item.url, body=item.body, headers=item.headers,
                                    status=item.status, fetched_at=item.fetched_at)
        self.index.record_raw(raw_id, item.source, item.role, item.context)
        item.documents = [d.model_copy(update={"raw_ref": raw_id}) for d in item.documents]
        return item


class NormalizeDocumentsPipeline(_Pipeline):
    """Repeated bodies and furniture removed, language detected, missing dates inferred, digests split."""

    def process_item(self, item, spider=None):
        if not isinstance(item, PageItem) or not item.documents:
            return item
        spider = spider or self.crawler.spider
        settings = spider.source.settings if hasattr(spider, "source") else {}
        try:
            item.documents = normalize_documents(item.documents, settings, item.context.get("window"))
        except ValueError as e:  # a normalised document that no longer validates: this page's error
            spider.record_error(f"{item.url}: normalising failed: {str(e).splitlines()[0]}")
            item.documents = []
        return item


class ValidateDocumentsPipeline(_Pipeline):
    """Re-validate every document at the boundary; an invalid one is this source's error, never stored."""

    def process_item(self, item, spider=None):
        if not isinstance(item, PageItem):
            return item
        spider = spider or self.crawler.spider
        valid = []
        for d in item.documents:
            try:
                doc = Document.model_validate(d.model_dump())
                if doc.source != item.source:
                    raise ValueError(f"document {doc.id} claims source {doc.source!r}, crawled as {item.source!r}")
                valid.append(doc)
            except ValidationError as e:
                problems = "; ".join(f"{'.'.join(map(str, x['loc'])) or 'document'}: {x['msg']}" for x in e.errors()[:3])
                spider.record_error(f"{item.url}: invalid document {d.id}: {problems}")
            except ValueError as e:
                spider.record_error(f"{item.url}: invalid document: {e}")
        item.documents = valid
        return item


class NearDuplicatePipeline(_Pipeline):
    """Policy and paper documents that repeat one already stored (syndicated copies) are recorded and dropped."""

    KINDS = ("policy", "paper")

    def __init__(self, crawler=None):
        super().__init__(crawler)
        self.detector: NearDuplicateDetector | None = None

    def open_spider(self, spider=None):
        s = self.crawler.settings
        self.detector = NearDuplicateDetector(CrawlIndex.shared((spider or self.crawler.spider).home),
                                              threshold=s.getfloat("NEAR_DUP_THRESHOLD", 0.7),
                                              window_days=s.getint("NEAR_DUP_WINDOW_DAYS", 14))

    def close_spider(self, spider=None):
        if self.detector is not None:
            self.detector.index.release()
            self.detector = None

    def process_item(self, item, spider=None):
        if not isinstance(item, PageItem) or not item.documents:
            return item
        keep = []
        for d in item.documents:
            if d.kind in self.KINDS and self.detector.check(d) is not None:
                self.crawler.stats.inc_value("ews/near_duplicates")
                continue
            keep.append(d)
        item.documents = keep
        return item


class StoreDocumentsPipeline(_StorePipeline):
    """Upsert by deterministic id: a re-run of the same window inserts nothing."""

    def process_item(self, item, spider=None):
        if not isinstance(item, PageItem):
            return item
        spider = spider or self.crawler.spider
        if item.documents:
            counts = self.store.upsert_documents(item.documents)
            stats = self.crawler.stats
            stats.inc_value("ews/items", len(item.documents))
            stats.inc_value("ews/new_items", counts["inserted"])
            stats.inc_value("ews/updated_items", counts["updated"])
        item.body = b""  # the raw bytes are archived; do not keep them in memory or logs
        return item
