"""The Korean character n-gram model: n-grams, exact vocabulary look-up, training, thresholds, persistence,
the plan-derived material, and how its evidence joins the classifier (technologies never lowered, fields
without a technology).

Every Korean text here is written for the test (none is read from an evaluation passage).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from ews.kernel.schema import ClassifyInput
from ews.kernel.taxonomy import load_taxonomy
from models.classify import korean_ngrams as kn
from models.classify import load_classifier, train_classifier
from models.classify.rules import KeywordConcordanceClassifier

TAX = load_taxonomy()

# two subjects written without any taxonomy keyword or field word: quantum machines, and intrusions into networks
QUANTUM = ["큐비트 제어 정밀도를 높이고 초전도 회로의 결맞음 시간을 늘리는 연구", "중첩 상태의 큐비트를 오류 정정 부호로 보호하는 방식",
           "초전도 큐비트 칩을 냉각하는 희석 냉동기 국산화", "이온 트랩 큐비트 배열의 결맞음 유지 기술",
           "큐비트 수를 늘리면서 결맞음 시간과 게이트 정밀도를 함께 확보", "광자 큐비트와 초전도 큐비트의 결맞음 비교 실험"]
INTRUSION = ["공공기관 전산망에 대한 침입 탐지와 악성코드 차단 체계를 고도화", "랜섬웨어 침입 시도를 탐지하고 차단하는 관제 요원 양성",
             "전산망 침입 사고의 탐지 시간을 줄이는 관제 체계", "악성코드 유포 경로를 추적하고 침입 흔적을 탐지하는 분석",
             "기업 전산망의 침입 탐지 장비와 악성코드 차단 솔루션 보급", "침입 탐지 규칙을 자동으로 갱신하는 관제 플랫폼"]
OTHER = ["지역 도서관의 운영 시간을 연장하고 독서 모임을 지원", "농산물 유통 구조를 개선하고 직거래 장터를 확대",
         "전통시장 주차장을 확충하고 상인 교육을 실시", "청년 주택 임대료 지원 대상을 넓히는 방안",
         "하천 정비 사업의 예산을 조정하고 산책로를 조성", "문화 축제의 개최 일정을 확정하고 홍보를 강화"]


def _material():
    texts = QUANTUM + INTRUSION + OTHER
    labels = [["quantum.computing", "field:quantum"]] * 6 + [["cyber.network_cloud", "field:cyber"]] * 6 + [[]] * 6
    return texts, labels


def _model(**kw) -> kn.KoreanNgramModel:
    texts, labels = _material()
    return kn.KoreanNgramModel(kn.classes_of(TAX)).fit(texts, labels, **kw)


def test_ngrams_stay_within_words_and_are_deterministic():
    doc, keys = kn.ngram_hashes(["ab"])
    # " a", "ab", "b ", " ab", "ab ", " ab ": the word padded with a space, n = 2..4
    assert len(keys) == 6 and set(doc) == {0}
    _, two_words = kn.ngram_hashes(["ab cd"])
    _, ab = kn.ngram_hashes(["ab"])
    _, cd = kn.ngram_hashes(["cd"])
    assert sorted(two_words.tolist()) == sorted(ab.tolist() + cd.tolist())  # nothing spans the space
    d2, k2 = kn.ngram_hashes(["양자 기술", "", "양자"])
    assert set(d2.tolist()) == {0, 2}  # the empty text has none
    assert np.array_equal(kn.ngram_hashes(["양자 기술"])[1], kn.ngram_hashes(["양자  기술!"])[1])  # punctuation, spaces
    assert kn.ngram_hashes([])[1].size == 0


def test_vocabulary_lookup_is_exact_even_with_slot_collisions(monkeypatch):
    monkeypatch.setattr(kn, "TABLE_BITS", 3)  # 8 slots for dozens of n-grams: collisions certain
    texts = QUANTUM + INTRUSION
    vocab = kn.NgramVocabulary.fit(texts, min_df=1, max_df=1.0)
    assert len(vocab) > 8
    _, keys = kn.ngram_hashes(texts + ["전혀 다른 문장"])
    cols = vocab.columns(keys)
    truth = np.searchsorted(vocab.keys, keys)
    truth[truth >= len(vocab.keys)] = 0
    truth = np.where(vocab.keys[truth] == keys, truth, -1)
    assert np.array_equal(cols, truth)
    assert (cols == -1).any() and (cols >= 0).any()


def test_model_learns_paraphrases_and_round_trips(tmp_path):
    m = _model()
    q, c = m.classes.index("quantum.computing"), m.classes.index("cyber.network_cloud")
    unseen = ["큐비트 결맞음 시간을 늘리는 신규 과제", "전산망 침입 탐지 관제 인력 확충", "도서관 독서 모임 예산"]
    P = m.scores(unseen)
    assert P[0, q] > P[0, c] and P[1, c] > P[1, q]
    assert P[2, q] < P[0, q] and P[2, c] < P[1, c]
    path = tmp_path / "k.npz"
    m.save(path)
    back = kn.KoreanNgramModel.load(path)
    assert back.classes == m.classes
    assert np.allclose(back.scores(unseen), P, atol=2e-3)  # weights stored as float16
    assert np.array_equal(back.thresholds_, m.thresholds_)


def test_thresholds_by_cross_validation_switch_ngrams_off_when_keywords_already_find_everything():
    texts, labels = _material()
    m = _model(keyword_tags=labels)  # the keywords already tag every label: n-grams can only add false ones
    assert not m.active
    assert m.info["cross_validation"]["technologies"]["false_pass_share"] is None
    on = _model()  # without keywords the n-grams are the only evidence: CV keeps them
    assert on.active
    assert on.info["cross_validation"]["fields"]["cv_micro_f1_with_ngrams"] > on.info["cross_validation"]["fields"][
        "cv_micro_f1_keywords"]


def test_a_gated_model_only_confirms_classes_the_keywords_saw():
    texts, labels = _material()
    # the keywords saw something (a weak term, say) of each passage's own classes
    gated = _model(keyword_evidence=labels)
    assert gated.info["gated"] is True and gated.active
    clf = KeywordConcordanceClassifier(TAX)
    passages = ["큐비트 결맞음 시간을 늘리는 신규 과제"]
    P0 = np.zeros((1, len(clf.tech_ids)))
    n_tech, n_fields = len(clf.tech_ids), len(TAX.field_ids)
    nothing = np.zeros((1, n_tech + n_fields), dtype=bool)
    P, fields, _ = kn.combine(gated, passages, P0, clf.thresholds, n_fields, nothing)
    assert np.array_equal(P, P0) and not fields.any()
    seen = nothing.copy()
    q, fq = clf.tech_ids.index("quantum.computing"), TAX.field_ids.index("quantum")
    seen[0, q] = seen[0, n_tech + fq] = True
    P, fields, _ = kn.combine(gated, passages, P0, clf.thresholds, n_fields, seen)
    assert P[0, q] >= clf.thresholds[q] and fields[0, fq]
    assert (np.delete(P[0], q) == 0).all() and fields[0].sum() == 1


def test_bad_training_input_and_files_are_named(tmp_path):
    with pytest.raises(kn.NgramModelError, match="unknown classes"):
        kn.KoreanNgramModel(kn.classes_of(TAX)).fit(QUANTUM + OTHER, [["no.such"]] * 12)
    with pytest.raises(kn.NgramModelError, match="at least"):
        kn.KoreanNgramModel(kn.classes_of(TAX)).fit(QUANTUM[:2], [[]] * 2)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(kn.NgramModelError, match="bad.npz"):
        kn.KoreanNgramModel.load(bad)
    lines = tmp_path / "plan.jsonl"
    lines.write_text('{"text": "양자 기술", "technologies": []}\n{"text": 3}\n', encoding="utf-8")
    with pytest.raises(kn.NgramModelError, match=r"plan.jsonl:2"):
        kn.read_plan_material(lines)


def test_mask_removes_the_taxonomy_words_and_keeps_the_context():
    masked = kn.mask_keywords(["양자컴퓨팅 기술과 큐비트의 결맞음 연구", "사이버보안 인력과 전산망 관제", "no keyword here"], TAX)
    assert "양자컴퓨팅" not in masked[0] and "큐비트" not in masked[0] and "결맞음" in masked[0]
    assert "사이버보안" not in masked[1] and "전산망 관제" in masked[1]
    assert masked[2] == "no keyword here"


def test_the_shipped_plan_material_is_well_formed():
    lines = kn.read_plan_material()
    assert len(lines) > 300
    techs, fields = set(TAX.technology_ids), set(TAX.field_ids)
    ids = [r["id"] for r in lines]
    assert len(ids) == len(set(ids))
    for r in lines:
        assert r["src"].startswith("001:l.")  # the plan, never seeds 000/004 (the dev passages' documents)
        assert set(r["technologies"]) <= techs and set(r["fields"]) <= fields
        assert {t.split(".")[0] for t in r["technologies"]} <= set(r["fields"])
    chunks = kn.plan_chunks(lines, [r["text"] for r in lines])
    assert len(chunks) < len(lines) and max(len(c["text"]) for c in chunks) < 2 * kn.PLAN_CHUNK_CHARS


def test_combine_raises_korean_passages_and_never_lowers():
    m = _model()
    clf = KeywordConcordanceClassifier(TAX)
    passages = ["큐비트 결맞음 시간을 늘리는 신규 과제", "qubit coherence research programme"]
    P0 = np.full((2, len(clf.tech_ids)), 0.05)
    P0[1, 0] = 0.9
    P, fields, G = kn.combine(m, passages, P0, clf.thresholds, len(TAX.field_ids))
    q = clf.tech_ids.index("quantum.computing")
    assert (P >= P0).all()
    assert P[0, q] >= clf.thresholds[q]  # the n-grams tag it
    assert np.array_equal(P[1], P0[1])  # English passages are not read by the Korean model
    assert fields[0, TAX.field_ids.index("quantum")] and not fields[1].any()
    off = _model(keyword_tags=_material()[1])
    P2, fields2, G2 = kn.combine(off, passages, P0, clf.thresholds, len(TAX.field_ids))
    assert G2 is None and np.array_equal(P2, P0) and not fields2.any()


def test_a_general_field_passage_is_tagged_with_its_field_and_no_technology():
    """Issue 17: a passage about a field in general is a field signal even without a sub-technology."""
    docs = [ClassifyInput(id="ai", lang="ko", text="정부는 인공지능 분야 전반의 국가 경쟁력을 높이기 위해 예산을 늘리고 "
                                                    "전문 인재 양성과 국제 협력을 확대하기로 했다."),
            ClassifyInput(id="quantum", lang="ko", text="양자 분야의 연구 거점을 지정하고 산학연 협력 체계를 정비한다."),
            ClassifyInput(id="none", lang="ko", text="지역 도서관의 운영 시간을 연장하고 독서 모임을 지원한다.")]
    for clf in (KeywordConcordanceClassifier(TAX), load_classifier()):
        ai, quantum, none = clf.predict(docs)
        assert ai.technologies == [] and ai.fields == ["ai"]
        assert quantum.technologies == [] and quantum.fields == ["quantum"]
        assert none.technologies == [] and none.fields == []


def test_ngram_fields_reach_the_classifier_output():
    """A paraphrase with no field word at all: the n-gram model's field evidence alone gives the field."""
    clf = KeywordConcordanceClassifier(TAX)
    doc = ClassifyInput(id="p", lang="ko", text="전산망 침입 흔적을 추적하는 관제 인력을 확충")
    assert clf.predict([doc])[0].fields == []  # no keyword, no field word
    clf.korean_ngrams = _model()
    tag = clf.predict([doc])[0]
    assert "cyber" in tag.fields
    for t in tag.technologies:
        assert any(e.startswith("Korean n-grams") for e in t.evidence)


def test_train_classifier_adds_the_korean_model_only_with_enough_korean_passages(tmp_path):
    rng = np.random.default_rng(0)
    eng = [ClassifyInput(id=f"e{i}", text=f"a lithium-ion battery cathode {i}" if i % 3 == 0 else f"a road bridge {i}",
                         labels=["battery.li_ion"] if i % 3 == 0 else []) for i in range(30)]
    few = [ClassifyInput(id=f"k{i}", lang="ko", text=t, labels=[]) for i, t in enumerate(OTHER[:3])]
    info = train_classifier(eng + few, tmp_path / "m1", source="test")
    assert info["korean_ngrams"]["trained"] is False and "labelled Korean records" in info["korean_ngrams"]["reason"]
    assert not (tmp_path / "m1" / kn.MODEL_FILE).exists()
    texts, labels = _material()
    order = rng.permutation(len(texts))
    ko = [ClassifyInput(id=f"ko{i}", lang="ko", text=texts[i], labels=[c for c in labels[i] if "." in c]) for i in order]
    info = train_classifier(eng + ko[:6], tmp_path / "m2", source="test",
                            korean_extra=[{"text": t, "technologies": [], "fields": []} for t in OTHER[:4]])
    k = info["korean_ngrams"]
    assert k["trained"] is True and k["korean_records"] == 10
    saved = json.loads((tmp_path / "m2" / "model.json").read_text(encoding="utf-8"))["korean_ngrams"]
    assert saved["kept"] == k["kept"]
    model = load_classifier(tmp_path / "m2")
    assert (model.korean_ngrams is not None) == k["kept"] == (tmp_path / "m2" / kn.MODEL_FILE).exists()
