"""xml_api spider: EPO OPS (OAuth token, renewal, Range paging, empty answer) and KIPRIS Plus (key, pages)."""
import pytest

from crawlers.index import CrawlIndex
from ews.kernel.store import Store

pytestmark = pytest.mark.integration


def test_epo_ops_token_then_paged_search_with_one_renewal(api_crawl):
    h = api_crawl["first"]["t-epo"]
    assert (h.items, h.new_items, h.errors) == (230, 230, 0), h.error_messages
    # token, page 1, page 2 refused (expired token), new token, pages 2 and 3
    assert api_crawl["epo"].tokens_issued == 3  # two for t-epo, one for t-epo-empty
    assert api_crawl["hits"][0]["/ops/3.2/rest-services/published-data/search/biblio"] == 4
    with Store(api_crawl["home"]) as store:
        docs = list(store.iter_documents(source="t-epo"))
        assert all(d.patent.applicants[0].country == "KR" and d.patent.cpc for d in docs)
        # the token answer (a credential) is never archived
        assert not [r for r in store.iter_raw("t-epo") if "accesstoken" in r["url"]]


def test_epo_empty_result_is_an_answer_not_an_error(api_crawl):
    h = api_crawl["first"]["t-epo-empty"]
    assert h.ok and h.items == 0 and h.errors == 0


def test_kipris_pages_and_the_key_never_reaches_archive_or_messages(api_crawl):
    h = api_crawl["first"]["t-kipris"]
    assert (h.items, h.errors) == (120, 0), h.error_messages
    assert api_crawl["hits"][0]["/kipris/getAdvancedSearch"] == 3 + 1  # 3 pages + the bad-key source
    bad = api_crawl["first"]["t-kipris-badkey"]
    assert not bad.ok and any("error 30: SERVICE KEY IS NOT REGISTERED" in m for m in bad.error_messages)
    assert not any("wrong-kipris-key-999" in m for m in bad.error_messages)
    with Store(api_crawl["home"]) as store:
        urls = [r["url"] for r in store.iter_raw("t-kipris")]
        assert len(urls) == 3 and all("ServiceKey=REDACTED" in u for u in urls)
        assert not any("kipris-secret-value-123" in u for u in urls)
        docs = list(store.iter_documents(source="t-kipris"))
        assert all(d.lang == "ko" and d.jurisdiction == "KR" for d in docs)
    with CrawlIndex(api_crawl["home"]) as idx:
        assert "kipris-secret" not in idx.path.read_bytes().decode("latin-1")


def test_second_run_writes_nothing(api_crawl):
    for s in ("t-epo", "t-kipris"):
        assert api_crawl["second"][s].ok and api_crawl["second"][s].new_items == 0
