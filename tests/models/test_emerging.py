import datetime as dt
import random

import pytest

from ews.kernel.schema import Document, Party, PatentInfo, TaggedDocument, Tagging, TechnologyScore
from models.emerging import emerging_terms, english_terms, escore, kleinberg_bursts, korean_terms, unmatched_terms

FETCHED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
BACKGROUND = ["memory cell array", "word line driver", "bit line sense amplifier", "charge storage layer",
              "vertical channel structure", "peripheral circuit region", "gate electrode pattern"]
APPLICANTS = [("Samsung Electronics Co., Ltd.", "KR"), ("SK hynix Inc.", "KR"), ("Micron Technology, Inc.", "US"),
              ("Kioxia Corporation", "JP")]


def corpus(planted: dict[int, int], term="ferroelectric tunnel junction", tech="semi.memory", per_year=30,
           first=2014, seed=1, applicants=APPLICANTS, untagged_term=None, untagged_counts=None):
    """Ten years of memory patents with background phrases; `planted[year]` of them also carry `term`."""
    rng = random.Random(seed)
    pairs, k = [], 0
    for year in range(first, first + 10):
        for j in range(per_year):
            k += 1
            phrases = rng.sample(BACKGROUND, 2)
            if j < planted.get(year, 0):
                phrases.append(term)
            text = "A semiconductor memory device includes a " + ", a ".join(phrases) + "."
            pairs.append(make(k, dt.date(year, 1 + j % 12, 1 + j % 28), "Memory device", text,
                              applicants[j % len(applicants)], [tech]))
        if untagged_term:
            # documents no technology fits: steady everyday inventions, some carrying the planted term
            for j in range(20):
                k += 1
                what = rng.choice(["range hood filter", "bicycle steering assembly", "cosmetic applicator",
                                   "fish farming net pen", "building frame connector"])
                extra = f" and a {untagged_term}" if j < (untagged_counts or {}).get(year, 0) else ""
                pairs.append(make(k, dt.date(year, 1 + j % 12, 3), "Household article",
                                  f"A {what} comprising a housing{extra}.", applicants[j % len(applicants)], []))
    return [p[0] for p in pairs], [p[1] for p in pairs]


def make(k, date, title, text, applicant, techs):
    doc = Document.build(source="t", source_key=str(k), kind="patent", title=title, text=text, lang="en",
                         fetched_at=FETCHED, jurisdiction="US",
                         patent=PatentInfo(application_date=date, applicants=[Party(name=applicant[0],
                                                                                    country=applicant[1])]))
    tag = TaggedDocument(doc_id=doc.id, tagging=Tagging(id=doc.id, technologies=[TechnologyScore(id=t, score=0.9)
                                                                                 for t in techs]),
                         model_version="t", taxonomy_version="t")
    return doc, tag


GROWING = {2017: 0, 2018: 1, 2019: 2, 2020: 3, 2021: 5, 2022: 8, 2023: 12}


def test_english_terms_are_ngrams_without_edge_stopwords():
    terms = english_terms("A memory cell comprising a ferroelectric tunnel junction, and the method of use.")
    assert "ferroelectric tunnel junction" in terms and "memory cell" in terms
    assert "memory cell comprising" not in terms  # 'comprising' is boilerplate, a stop word
    assert not any(t.split()[0] in {"a", "the", "and", "of"} or t.split()[-1] in {"a", "the", "of"} for t in terms)
    assert "junction and" not in terms  # chunks stop at punctuation and stop words close no term
    assert "cell for water" not in english_terms("A fuel cell for water electrolysis.")


def test_planted_emerging_term_ranks_first_and_stable_terms_do_not_emerge():
    docs, tags = corpus(GROWING)
    ranked = emerging_terms(docs, tags)["semi.memory"]
    top = ranked[0]
    assert top.term == "ferroelectric tunnel junction" and top.emerging and top.score > 0
    assert top.criteria["novelty"] and top.criteria["community"] and top.criteria["community_size"] >= 2
    assert top.counts["2023"] == 12 and top.totals["2023"] == 30
    assert top.evidence["documents_total"] == 31 and len(top.evidence["documents"]) == 5
    # its parts are subsumed by the phrase, the background phrases (in every year) never emerge
    names = {t.term for t in ranked if t.emerging}
    assert "tunnel junction" not in names and "ferroelectric" not in names
    assert not names & set(BACKGROUND)
    # and the burst sits at the end
    assert top.bursts and top.bursts[-1]["end"] == "2023" and top.bursts[-1]["start"] >= "2020"


def test_without_a_base_period_nothing_is_called_new():
    docs, tags = corpus(GROWING)
    recent = [(d, t) for d, t in zip(docs, tags) if d.patent.application_date.year >= 2017]
    ranked = emerging_terms([d for d, _ in recent], [t for _, t in recent], as_of=dt.date(2023, 12, 31))
    assert not any(t.emerging for ts in ranked.values() for t in ts)
    # at a finer granularity the same seven years hold a base period again
    quarterly = emerging_terms([d for d, _ in recent], [t for _, t in recent], granularity="quarter")
    assert quarterly["semi.memory"][0].criteria["base_documents"] > 0


def test_a_term_already_common_in_the_base_period_is_not_novel():
    docs, tags = corpus({y: (8 if y < 2017 else 12) for y in range(2014, 2024)})
    ranked = emerging_terms(docs, tags).get("semi.memory", [])
    assert not any(t.term == "ferroelectric tunnel junction" and t.emerging for t in ranked)


def test_one_applicants_house_term_is_not_a_community():
    docs, tags = corpus(GROWING, applicants=[APPLICANTS[0]])
    ranked = emerging_terms(docs, tags).get("semi.memory", [])
    hit = [t for t in ranked if t.term == "ferroelectric tunnel junction"]
    assert not hit or (not hit[0].emerging and not hit[0].criteria["community"])


def test_a_fading_term_does_not_emerge():
    docs, tags = corpus({2017: 0, 2018: 12, 2019: 8, 2020: 5, 2021: 3, 2022: 2, 2023: 1})
    ranked = emerging_terms(docs, tags).get("semi.memory", [])
    assert not any(t.term == "ferroelectric tunnel junction" and t.emerging for t in ranked)


def test_escore_is_positive_for_growth_negative_for_decline():
    totals = [100] * 7
    assert escore([0, 1, 2, 3, 5, 8, 12], totals) > 0 > escore([12, 8, 5, 3, 2, 1, 0], totals)
    assert escore([3] * 7, totals) == pytest.approx(0.0)


def test_kleinberg_finds_the_burst_and_none_in_a_flat_series():
    d = [100] * 12
    assert kleinberg_bursts([5] * 12, d) == []
    bursts = kleinberg_bursts([2, 3, 2, 2, 3, 2, 20, 25, 22, 2, 3, 2], d)
    assert [(a, b) for a, b, _ in bursts] == [(6, 8)] and bursts[0][2] > 0
    # periods without documents neither start nor extend a burst
    assert [(a, b) for a, b, _ in kleinberg_bursts([0, 0, 0, 20, 25, 2, 3], [0, 0, 0, 100, 100, 100, 100])] == [(3, 4)]


def test_unmatched_terms_find_growth_outside_the_taxonomy():
    docs, tags = corpus({}, untagged_term="metasurface lens array",
                        untagged_counts={2017: 1, 2018: 1, 2019: 2, 2020: 4, 2021: 6, 2022: 9, 2023: 14})
    found = unmatched_terms(docs, tags)
    assert found and found[0].term == "metasurface lens array" and found[0].group == "none"
    assert found[0].criteria["tagged_share"] == 0.0
    # a term the taxonomy's documents use just as much is not a gap in the taxonomy
    assert not any(t.term in BACKGROUND for t in found)


def test_korean_nouns_and_compounds():
    terms = korean_terms("정부는 강유전체 메모리 소자와 고대역폭메모리 기술 개발에 투자한다.")
    assert {"강유전체", "메모리", "강유전체 메모리"} <= terms
    assert not any(t.endswith("는") for t in terms)
