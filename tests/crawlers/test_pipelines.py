"""The item pipeline on its own: archive → validate → store, with Scrapy's real crawler and stats."""
import datetime as dt

from scrapy.utils.test import get_crawler

from crawlers.items import PageItem
from crawlers.pipelines import CrawlChainPipeline
from crawlers.registry import Source
from ews.kernel.schema import Document
from ews.kernel.store import Store

NOW = dt.datetime(2025, 1, 2, tzinfo=dt.UTC)


SOURCE = Source(id="src", kind="policy", country="US", language="en", endpoint="http://127.0.0.1/list",
                spider="feed", parser="feed", private_network=True)


class _Spider:
    """What the pipeline needs of a spider: its source and an error sink."""

    source = SOURCE

    def __init__(self):
        self.errors: list[str] = []

    def record_error(self, message):
        self.errors.append(message)


def _run(home, item):
    crawler = get_crawler(settings_dict={"EWS_HOME": str(home)})
    spider = _Spider()
    crawler.spider = spider
    pipeline = CrawlChainPipeline.from_crawler(crawler)
    pipeline.open_spider()
    item = pipeline.process_item(item)
    pipeline.close_spider()
    return item, crawler.stats, spider


def _item(docs, body=b"<html>page</html>"):
    return PageItem(source="src", url="http://127.0.0.1/p?id=1", status=200, headers={"Content-Type": "text/html"},
                    body=body, fetched_at=NOW, documents=docs)


def _doc(key, title="T", source="src"):
    return Document.build(source=source, source_key=key, kind="policy", title=title, text="body", fetched_at=NOW)


def test_archive_validate_store_and_rerun_writes_nothing_new(tmp_path):
    item, stats, spider = _run(tmp_path, _item([_doc("a"), _doc("b")]))
    assert stats.get_value("ews/items") == 2 and stats.get_value("ews/new_items") == 2 and spider.errors == []
    with Store(tmp_path) as store:
        docs = list(store.iter_documents(source="src"))
        assert len(docs) == 2 and all(d.raw_ref for d in docs)
        meta, body = store.get_raw(docs[0].raw_ref)
        assert body == b"<html>page</html>" and meta["url"] == "http://127.0.0.1/p?id=1"
        assert meta["headers"] == {"Content-Type": "text/html"} and meta["fetched_at"].startswith("2025-01-02")
    _, stats2, _ = _run(tmp_path, _item([_doc("a"), _doc("b")]))
    assert stats2.get_value("ews/items") == 2 and stats2.get_value("ews/new_items") == 0
    with Store(tmp_path) as store:
        assert store.stats()["raw"] == 1 and store.count_documents() == 2


def test_changed_content_updates_not_duplicates(tmp_path):
    _run(tmp_path, _item([_doc("a")]))
    _, stats, _ = _run(tmp_path, _item([_doc("a", title="T2")], body=b"<html>v2</html>"))
    assert stats.get_value("ews/new_items") == 0 and stats.get_value("ews/updated_items") == 1
    with Store(tmp_path) as store:
        assert store.count_documents() == 1 and store.stats()["raw"] == 2


def test_invalid_documents_are_source_errors_and_never_stored(tmp_path):
    bad = _doc("c").model_copy(update={"lang": None, "title": "", "text": ""})  # bypasses validation, as a bug would
    foreign = _doc("d", source="other")
    _, stats, spider = _run(tmp_path, _item([_doc("a"), bad, foreign]))
    assert stats.get_value("ews/items") == 1
    assert len(spider.errors) == 2 and "title or a text" in spider.errors[0] and "claims source" in spider.errors[1]
    with Store(tmp_path) as store:
        assert store.count_documents() == 1


def test_pages_without_documents_are_still_archived(tmp_path):
    _, stats, _ = _run(tmp_path, _item([]))
    assert stats.get_value("ews/items") is None
    with Store(tmp_path) as store:
        assert store.stats()["raw"] == 1


def test_syndicated_article_in_two_feeds_is_stored_once(api_crawl):
    """The chain's de-duplication in a real crawl: the same story from two sources becomes one document."""
    from crawlers.index import CrawlIndex

    first = api_crawl["first"]
    assert first["t-synd-a"].items + first["t-synd-b"].items == 1
    with CrawlIndex(api_crawl["home"]) as idx:
        (dup,) = idx.near_duplicates()
    with Store(api_crawl["home"]) as store:
        assert store.has_document(dup["original_id"]) and not store.has_document(dup["doc_id"])
