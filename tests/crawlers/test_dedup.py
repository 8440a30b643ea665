"""Near-duplicates: syndicated copies found with MinHash/LSH; templated but different releases are not."""
import datetime as dt

from crawlers.dedup import NearDuplicateDetector, shingles, signature, similarity
from crawlers.demo import data
from crawlers.index import CrawlIndex
from ews.kernel.schema import Document

NOW = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
ARTICLE = ("The Commerce Department announced new controls on advanced semiconductor manufacturing equipment and "
           "high-bandwidth memory exports, citing national security concerns about military end uses. The rule adds "
           "twenty-four types of chip-making tools and three software tools to the list of controlled items and "
           "expands the foreign direct product rule to equipment made abroad. Officials said the measures were "
           "coordinated with allies in Japan and the Netherlands over many months of negotiations.")


def _doc(source, key, text, title="US tightens chip export rules", published=dt.date(2024, 1, 9), kind="policy"):
    return Document.build(source=source, source_key=key, kind=kind, title=title, text=text, published=published,
                          fetched_at=NOW)


def test_syndicated_copy_is_found_and_the_first_stays_original(tmp_path):
    with CrawlIndex(tmp_path) as idx:
        det = NearDuplicateDetector(idx)
        first = _doc("a", "1", ARTICLE)
        copy = _doc("b", "77", "By B News staff. " + ARTICLE.replace("many months", "several months") + " Reporting by B.")
        assert det.check(first) is None
        v = det.check(copy)
        assert v is not None and v.original_id == first.id and v.similarity >= 0.7
        # idempotent: both answers are the same on a second look
        assert det.check(first) is None and det.check(copy).original_id == first.id
        assert idx.near_duplicates() == [{"doc_id": copy.id, "source": "b", "original_id": first.id,
                                          "similarity": idx.near_duplicates()[0]["similarity"], "url": None}]


def test_copies_far_apart_in_time_and_different_articles_are_not_duplicates(tmp_path):
    with CrawlIndex(tmp_path) as idx:
        det = NearDuplicateDetector(idx, window_days=14)
        assert det.check(_doc("a", "1", ARTICLE)) is None
        assert det.check(_doc("b", "2", ARTICLE, published=dt.date(2024, 6, 1))) is None  # months later: a re-run story
        other = ("The European Commission proposed a regulation on critical raw materials, setting benchmarks for "
                 "domestic extraction, processing and recycling of lithium, cobalt and rare earths by 2030.")
        assert det.check(_doc("c", "3", other, title="EU raw materials act")) is None


def test_templated_demo_press_releases_are_all_kept(tmp_path):
    with CrawlIndex(tmp_path) as idx:
        det = NearDuplicateDetector(idx)
        for r in data.policy_releases():
            d = _doc("kr", str(r.seq), "\n".join(r.paragraphs), title=r.title, published=r.date)
            assert det.check(d) is None, r.title


def test_identical_short_texts_are_duplicates_and_cjk_uses_characters(tmp_path):
    short = "수전해 수소생산 기술개발에 착수한다는 산업통상자원부 발표가 있었다. 그린수소 생산 확대가 목표이다. 예산은 100억원이다."
    with CrawlIndex(tmp_path) as idx:
        det = NearDuplicateDetector(idx)
        assert det.check(_doc("a", "1", short, title="수소")) is None
        assert det.check(_doc("b", "2", short, title="수소")).similarity == 1.0
    zh = shingles("国务院关于印发新一代人工智能发展规划的通知")
    assert all(len(s) == 4 for s in zh)
    s1, s2 = signature(shingles(ARTICLE)), signature(shingles(ARTICLE + " Extra words at the end."))
    assert similarity(s1, s1) == 1.0 and 0.85 < similarity(s1, s2) < 1.0


def test_same_words_with_different_facts_are_different_documents(tmp_path):
    a = ARTICLE + " The rule takes effect on 2 December 2024 and covers 140 companies."
    b = ARTICLE + " The rule takes effect on 2 December 2024 and covers 24 companies."
    with CrawlIndex(tmp_path) as idx:
        det = NearDuplicateDetector(idx)
        assert det.check(_doc("a", "1", a)) is None
        assert det.check(_doc("b", "2", b)) is None
        assert det.check(_doc("c", "3", "Via wire: " + a)).original_id == _doc("a", "1", a).id
