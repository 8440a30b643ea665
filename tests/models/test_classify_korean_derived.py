"""Korean variants derived from the taxonomy's own wording (no evaluation text involved)."""
from __future__ import annotations

import pytest

from ews.kernel.schema import ClassifyInput
from ews.kernel.taxonomy import load_taxonomy
from models.classify.rules import KeywordConcordanceClassifier
from models.classify.terms import (
    GENERIC_KO,
    STRONG_WEIGHT,
    WEAK_WEIGHT,
    TermMatcher,
    compact,
    keyword_matcher,
    korean_derived_terms,
)
from models.classify.vocabulary import FIELD_TERMS


@pytest.fixture(scope="module")
def derived():
    return {tid: {key: w for key, _, w in items} for tid, items in korean_derived_terms(load_taxonomy()).items()}


def test_middle_dot_alternatives_are_split(derived):
    # '감염병 백신·치료' -> '감염병 백신', '감염병 치료'; '디지털 취약점 분석·대응' -> '... 대응'
    assert derived["bio.vaccine_infectious"]["감염병백신"] == STRONG_WEIGHT
    assert derived["bio.vaccine_infectious"]["감염병치료"] == STRONG_WEIGHT
    assert derived["cyber.vulnerability"]["디지털취약점대응"] == STRONG_WEIGHT


def test_heads_are_weak_and_shared_or_field_words_are_nobodys(derived):
    assert derived["semi.packaging"]["패키징"] == WEAK_WEIGHT
    assert derived["semi.memory"]["메모리"] == WEAK_WEIGHT
    everything = {k for d in derived.values() for k in d}
    assert "디스플레이" not in everything  # head of two display technologies and a field word
    assert "보안" not in everything and "반도체" not in everything and "이차전지" not in everything
    assert not everything & GENERIC_KO
    assert not everything & {compact(v) for f in FIELD_TERMS.values() for v in f["ko"]}
    assert "전기" not in everything  # two-syllable alternative of '전기·수소차'


def test_derived_terms_are_not_the_taxonomys_own(derived):
    tax = load_taxonomy()
    for t in tax.technologies:
        own = {compact(k) for k in t.keywords_ko}
        assert not own & set(derived[t.id]), t.id


def test_derived_variant_tags_korean_text_the_plain_keywords_miss():
    rules = KeywordConcordanceClassifier()
    doc = ClassifyInput(id="k", text="정부는 디지털 취약점 대응 체계를 갖추고 민간 협력을 넓힌다.")
    assert "cyber.vulnerability" in [t.id for t in rules.predict([doc])[0].technologies]
    # without the derived variants the same text is not tagged: the variants make the difference
    tax = load_taxonomy()
    plain = TermMatcher({t.id: list(t.keywords_ko) + [t.name_ko] for t in tax.technologies})
    assert "cyber.vulnerability" not in plain.find(doc.text)
    hits = keyword_matcher(tax).find(doc.text)["cyber.vulnerability"]
    assert hits[0].term.label == "디지털 취약점 분석·대응"  # explanations name the taxonomy term it came from


def test_weak_head_alone_does_not_tag():
    rules = KeywordConcordanceClassifier()
    doc = ClassifyInput(id="k", text="식품 포장재의 패키징 디자인을 개선하였다.")
    assert "semi.packaging" not in [t.id for t in rules.predict([doc])[0].technologies]
