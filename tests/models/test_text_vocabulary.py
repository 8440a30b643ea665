"""The text model's TF-IDF: fitted by scikit-learn's TfidfVectorizer, applied by the model's own numpy code.
The two must give the same vocabulary, idf and document vectors."""
from __future__ import annotations

import random

import numpy as np

from models.classify.text_model import Vocabulary, analyse, tfidf_vectorizer


def token_docs(n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(60)] + ["메모리", "반도체", "배터리", "양극재", "DRAM", "cell"]
    # a skewed word distribution, so df, term frequency and the max_features cut all matter
    return [[rng.choice(words[: rng.randint(5, len(words))]) for _ in range(rng.randint(0, 40))] for _ in range(n)]


def dense(vocab: Vocabulary, docs: list[list[str]]) -> np.ndarray:
    indptr, indices, data = vocab.transform(docs)
    out = np.zeros((len(docs), len(vocab.terms)), dtype=np.float64)
    for r in range(len(docs)):
        out[r, indices[indptr[r]:indptr[r + 1]]] = data[indptr[r]:indptr[r + 1]]
    return out


def test_numpy_vectors_equal_scikit_learn_on_seen_and_unseen_documents():
    train, unseen = token_docs(300, seed=1), token_docs(80, seed=2) + [[], ["never", "seen"]]
    for max_features in (100_000, 150):  # without and with the cut to the most frequent terms
        vocab = Vocabulary.fit(train, min_df=2, max_df=0.5, max_features=max_features)
        vec = tfidf_vectorizer(min_df=2, max_df=0.5, max_features=max_features).fit(train)
        assert vocab.terms == list(vec.get_feature_names_out())
        assert any(" " in t for t in vocab.terms)  # word pairs are terms too
        np.testing.assert_allclose(vocab.idf, vec.idf_, rtol=1e-6)
        for docs in (train, unseen):
            np.testing.assert_allclose(dense(vocab, docs), vec.transform(docs).toarray(), atol=2e-6)
    assert len(Vocabulary.fit(train, max_features=150).terms) == 150


def test_parity_on_analysed_korean_and_english_text():
    texts = ["리튬이온 이차전지 양극재의 니켈 함량을 높인 배터리 셀", "DRAM memory cell with a vertical channel transistor",
             "차세대 반도체 메모리 셀 구조와 제조 방법", "solid-state battery electrolyte with a lithium metal anode",
             "반도체 메모리 소자의 커패시터", "a memory cell array and a battery management system"] * 3
    docs = analyse(texts)
    vocab = Vocabulary.fit(docs, min_df=2, max_df=0.9)
    vec = tfidf_vectorizer(min_df=2, max_df=0.9).fit(docs)
    assert vocab.terms == list(vec.get_feature_names_out()) and len(vocab.terms) > 10
    np.testing.assert_allclose(dense(vocab, docs), vec.transform(docs).toarray(), atol=2e-6)


def test_a_training_set_where_no_term_survives_gives_an_empty_vocabulary():
    assert Vocabulary.fit([["a"], ["b"]], min_df=2).terms == []
