"""Character n-grams of the text model: fitted by scikit-learn, applied by numpy, the same vectors; a spelling
never seen in training still scores through its shared grams; model files with and without n-grams load."""
from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pytest

from ews.kernel.schema import ClassifyInput
from ews.kernel.taxonomy import load_taxonomy
from models.classify import ModelError, load_classifier, train_classifier
from models.classify.chargrams import CharGrams, char_grams, char_vectorizer
from models.classify.text_model import TextModelClassifier


def test_grams_of_a_word_padded_and_short_words_once():
    assert char_grams(["laser"]) == [" las", "lase", "aser", "ser ", " lase", "laser", "aser "]
    assert char_grams(["ab"]) == [" ab ", " ab "]  # its 4-gram, then whole for the 5-grams it is too short for
    assert char_grams(["abc"]) == [" abc", "abc ", " abc "]
    assert char_grams(["a"]) == [" a "]  # shorter than the smallest size: once
    assert char_grams([]) == []


def _docs(n, seed):
    rng = random.Random(seed)
    words = ["semiconductor", "semiconducting", "electroluminescent", "nanowire", "nanowires", "cell", "a", "of",
             "양극재", "DRAM", "photoluminescence"] + [f"w{i}x" for i in range(40)]
    return [[rng.choice(words[: rng.randint(4, len(words))]) for _ in range(rng.randint(0, 30))] for _ in range(n)]


def _dense(g: CharGrams, docs):
    ptr, ind, dat = g.transform(docs)
    out = np.zeros((len(docs), len(g.terms)))
    for r in range(len(docs)):
        out[r, ind[ptr[r]:ptr[r + 1]]] = dat[ptr[r]:ptr[r + 1]]
    return out


def test_numpy_vectors_equal_scikit_learn_on_seen_and_unseen_documents():
    train, unseen = _docs(200, 1), _docs(50, 2) + [[], ["zzzz"], ["semiconductors", "unknownword"]]
    for max_features in (150_000, 60):
        g = CharGrams.fit(train, max_features=max_features)
        vec = char_vectorizer(max_features=max_features).fit(train)
        assert g.terms == list(vec.get_feature_names_out()) and len(g.terms) >= 60
        np.testing.assert_allclose(g.idf, vec.idf_, rtol=1e-6)
        for docs in (train, unseen, unseen):  # twice: the second time from the word cache
            np.testing.assert_allclose(_dense(g, docs), vec.transform(docs).toarray(), atol=2e-6)


def test_no_gram_survives_gives_an_empty_vocabulary_that_still_transforms():
    g = CharGrams.fit([["ab"], ["cd"]], min_df=2)
    assert g.terms == []
    ptr, ind, dat = g.transform([["ab", "xyz"], []])
    assert list(ptr) == [0, 0, 0] and len(ind) == len(dat) == 0
    with pytest.raises(ValueError, match="3 terms but 2 idf"):
        CharGrams(["a", "b", "c"], np.ones(2))


FILLER = ("the a method system device apparatus comprising first second unit configured provide plurality wherein "
          "portion member surface layer signal control data process module connected").split()


def _records(spellings: list[str], n_pos: int = 20, n_none: int = 150, seed: int = 3):
    """Display patents written with one family of spellings; 'none' patents without them."""
    rng = random.Random(seed)
    recs = []
    for i in range(n_pos):
        words = [rng.choice(FILLER) for _ in range(30)] + [rng.choice(spellings), rng.choice(spellings)]
        rng.shuffle(words)
        recs.append(ClassifyInput(id=f"pos{i}", text=" ".join(words), labels=["semi.inorganic_display"]))
    for i in range(n_none):
        recs.append(ClassifyInput(id=f"none{i}", text=" ".join(rng.choice(FILLER) for _ in range(32)), labels=[]))
    return recs


def test_an_unseen_spelling_scores_through_its_shared_grams():
    """Trained on 'electroluminescent'/'electroluminescence' only: 'electroluminescing' is a word the word
    features never saw; with the n-grams it scores far above a filler-only text, without them it does not."""
    tax = load_taxonomy()
    recs = _records(["electroluminescent", "electroluminescence"])
    j = tax.technology_ids.index("semi.inorganic_display")
    probe = [ClassifyInput(id="q", text="a device comprising an electroluminescing layer and a surface member"),
             ClassifyInput(id="f", text="a device comprising a first layer and a surface member")]
    scores = {}
    for chars in (True, False):
        m = TextModelClassifier(tax, chars=chars).fit(recs, [r.labels for r in recs])
        P, _ = m.score_documents(probe)
        scores[chars] = P[0, j] - P[1, j]
    assert scores[True] > 0.2, scores
    assert scores[False] < 0.05, scores


@pytest.fixture(scope="module")
def gram_model_dir(tmp_path_factory):
    recs = _records(["electroluminescent", "electroluminescence", "microled"])
    out = tmp_path_factory.mktemp("m") / "m"
    train_classifier(recs, out, source="synthetic")
    return out


def test_a_model_with_grams_round_trips_and_explains_with_letters(gram_model_dir):
    voc = json.loads((gram_model_dir / "vocabulary.json").read_text())
    assert voc["char_terms"] and " ele" in voc["char_terms"]
    clf = load_classifier(gram_model_dir)
    assert clf.grams is not None and clf.balanced
    tag = clf.predict([ClassifyInput(id="q", text="an electroluminescing microled array on a surface layer")])[0]
    got = {t.id: t for t in tag.technologies}
    assert "semi.inorganic_display" in got
    assert any("letters '" in e for e in got["semi.inorganic_display"].evidence), got


def test_a_model_whose_gram_vocabulary_is_missing_says_so(gram_model_dir, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(gram_model_dir, bad)
    voc = json.loads((bad / "vocabulary.json").read_text())
    del voc["char_terms"]
    (bad / "vocabulary.json").write_text(json.dumps(voc))
    with pytest.raises(ModelError, match=r"bad.*character n-grams.*missing"):
        load_classifier(bad)


def test_a_model_without_grams_loads_and_scores_without_them(tmp_path):
    recs = _records(["electroluminescent"])
    out = tmp_path / "plain"
    train_classifier(recs, out, source="synthetic", chars=False)
    clf = load_classifier(out)
    assert clf.grams is None and "char_terms" not in json.loads((out / "vocabulary.json").read_text())
    assert clf.predict_ids([ClassifyInput(id="q", text="an electroluminescent layer")]) == [["semi.inorganic_display"]]


def test_a_full_word_cache_starts_afresh_and_gives_the_same_vectors(monkeypatch):
    import models.classify.chargrams as cg

    train, unseen = _docs(100, 4), _docs(40, 5)
    g = CharGrams.fit(train)
    want = _dense(g, unseen)
    monkeypatch.setattr(cg, "CACHE_WORDS", 8)
    small = CharGrams(g.terms, g.idf)
    small.transform(train)
    assert set(small._ids) == {t for d in train for t in d}  # a batch is cached whole, even beyond the cap
    small.transform([["brandnewword"]])
    assert set(small._ids) == {"brandnewword"}  # over the cap: started afresh
    np.testing.assert_allclose(_dense(small, unseen), want, atol=1e-7)
    np.testing.assert_allclose(_dense(small, unseen), want, atol=1e-7)  # from the cache


def test_row_wise_concatenation_equals_scipy():
    import scipy.sparse as sp

    from models.classify.text_model import _hstack_csr

    a = sp.random(30, 7, density=0.3, format="csr", random_state=1, dtype=np.float32)
    b = sp.random(30, 5, density=0.2, format="csr", random_state=2, dtype=np.float32)
    a[3] = 0
    a.eliminate_zeros()
    ptr, ind, dat = _hstack_csr((a.indptr, a.indices, a.data), (b.indptr, b.indices + 7, b.data))
    got = sp.csr_matrix((dat, ind, ptr), shape=(30, 12)).toarray()
    np.testing.assert_allclose(got, sp.hstack([a, b]).toarray())
