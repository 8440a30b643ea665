"""The technology classifier: the shared contract, concordance, keywords in both languages,
thresholds, explanations, passages, model directories and the `ews classify` / `ews train` commands.

Training data here is made by the test from the taxonomy's own keywords, never the shared data.
"""
from __future__ import annotations

import gzip
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ews.kernel.schema import ClassifyInput, Tagging
from ews.kernel.taxonomy import load_taxonomy
from models.classify import Classifier, ModelError, load_classifier, train_classifier
from models.classify.base import split_passages
from models.classify.rules import KeywordConcordanceClassifier
from models.classify.terms import keyword_variants, technology_matcher
from models.classify.text_model import best_threshold

EWS = Path(sys.executable).with_name("ews")

FILLER = ("the a method system device apparatus comprising first second unit configured provide plurality "
          "wherein portion member surface layer signal control data process module connected include output "
          "input based value element structure operation position user housing frame support").split()


def _doc(rng: random.Random, words: list[str], n: int = 40) -> str:
    out = [rng.choice(FILLER) for _ in range(n)]
    for w in words:
        out.insert(rng.randrange(len(out)), w)
    return " ".join(out)


def synthetic_records(n_per_tech: int = 6, n_none: int = 120, techs: list[str] | None = None, seed: int = 1):
    """Labelled records made from taxonomy keywords: a few technologies, many 'none' documents."""
    rng = random.Random(seed)
    tax = load_taxonomy()
    techs = techs or ["semi.memory", "battery.li_ion", "quantum.computing", "cyber.network_cloud"]
    recs = []
    for tid in techs:
        kws = tax.technology(tid).keywords_en
        for i in range(n_per_tech):
            words = rng.sample(kws, 2)
            recs.append(ClassifyInput(id=f"{tid}-{i}", text=_doc(rng, words), labels=[tid]))
    for i in range(n_none):
        recs.append(ClassifyInput(id=f"none-{i}", text=_doc(rng, []), labels=[]))
    rng.shuffle(recs)
    return recs


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "m"
    train_classifier(synthetic_records(), out, source="synthetic")
    return out


@pytest.fixture(scope="module")
def rules():
    return KeywordConcordanceClassifier()


@pytest.fixture(scope="module", params=["rules", "text", "shipped"])
def any_classifier(request, trained_dir):
    """Every implementation runs the same contract test (the shipped model too)."""
    if request.param == "rules":
        return KeywordConcordanceClassifier()
    if request.param == "shipped":
        from models.classify.store import SHIPPED_DIR

        return load_classifier(SHIPPED_DIR)
    return load_classifier(trained_dir)


DOCS = [
    ClassifyInput(id="ko-q", text="정부는 양자컴퓨터를 개발하고 초전도 큐비트 기술을 확보한다.", lang="ko"),
    ClassifyInput(id="en-mem", text="A phase-change memory cell and a DRAM capacitor. The memory array stores data.",
                  cpc=["H01L 27/108"]),
    ClassifyInput(id="none", text="A fishing hook with an adjustable weight and a rattle chamber."),
    ClassifyInput(id="en-bat", title="Lithium-ion battery",
                  text="A lithium-ion battery with a cathode active material and a silicon anode."),
    ClassifyInput(id="empty", text=""),
]


# -- the contract every implementation meets -----------------------------------------

def test_contract_every_classifier(any_classifier):
    clf = any_classifier
    assert isinstance(clf, Classifier)
    assert clf.version and clf.taxonomy_version == load_taxonomy().version
    out = clf.predict(DOCS)
    assert [t.id for t in out] == [d.id for d in DOCS]
    assert all(isinstance(t, Tagging) for t in out)
    tax = load_taxonomy()
    index = {t: j for j, t in enumerate(clf.tech_ids)}
    for tag in out:
        scores = [t.score for t in tag.technologies]
        assert scores == sorted(scores, reverse=True)
        for t in tag.technologies:
            assert 0.0 <= t.score <= 1.0
            assert t.score >= clf.thresholds[index[t.id]]
            assert t.evidence, f"{t.id} assigned to {tag.id} without evidence"
            assert tax.technology(t.id).field_id in tag.fields
        assert set(tag.fields) <= set(tax.field_ids)
    by_id = {t.id: t for t in out}
    assert by_id["none"].technologies == [] and by_id["empty"].technologies == []
    assert "quantum.computing" in [t.id for t in by_id["ko-q"].technologies]
    assert "semi.memory" in [t.id for t in by_id["en-mem"].technologies]
    assert clf.predict([]) == []


def test_predictions_do_not_depend_on_batch(any_classifier):
    one_by_one = [any_classifier.predict([d])[0] for d in DOCS]
    assert one_by_one == any_classifier.predict(DOCS)


# -- concordance ----------------------------------------------------------------------

@pytest.mark.parametrize("symbol", ["H01L 27/108", "H10B 12/00", "H01L27/10805", "H10B12/30"])
def test_old_and_new_memory_classes_tag_memory(rules, symbol):
    tag = rules.predict([ClassifyInput(id="p", text="A semiconductor device.", cpc=[symbol])])[0]
    ids = [t.id for t in tag.technologies]
    assert ids == ["semi.memory"], (symbol, ids)
    ev = " ".join(tag.technologies[0].evidence)
    assert "class" in ev and ("legacy" in ev) == symbol.startswith("H01L")


def test_unrelated_class_tags_nothing_but_may_name_a_field(rules):
    tag = rules.predict([ClassifyInput(id="p", text="A transistor gate.", cpc=["H01L 29/423"])])[0]
    assert tag.technologies == [] and tag.fields == ["semi"]


def test_class_is_strong_but_text_can_overrule_it(trained_dir):
    clf = load_classifier(trained_dir)
    cls = ["H01L 27/108"]
    on_topic = ClassifyInput(id="a", text=_doc(random.Random(3), ["DRAM", "high-bandwidth memory"]), cpc=cls)
    off_topic = ClassifyInput(id="b", text=_doc(random.Random(4), []), cpc=cls)
    s_on, s_off = clf.score_documents([on_topic, off_topic])[0][:, clf.tech_ids.index("semi.memory")]
    assert s_on > s_off
    # a class alone lifts a technology far above what the same text scores without it
    s_plain = clf.score_documents([off_topic.model_copy(update={"cpc": []})])[0][0, clf.tech_ids.index("semi.memory")]
    assert s_off > s_plain


# -- keywords in both languages -------------------------------------------------------------

@pytest.mark.parametrize("text", ["양자컴퓨터를 만든다", "양자 컴퓨터의 성능", "양자컴퓨팅은", "큐비트가 늘었다"])
def test_korean_terms_with_particles_and_spacing(text):
    hits = technology_matcher(load_taxonomy()).find(text)
    assert "quantum.computing" in hits, text


def test_acronyms_are_case_sensitive_and_phrases_fold_plurals():
    m = technology_matcher(load_taxonomy())
    assert "semi.memory" in m.find("DRAM chips")
    assert "semi.memory" not in m.find("a dram of whisky")
    assert "battery.li_ion" in m.find("Lithium-ion batteries are charged")
    assert "ai.efficient_learning_infra" in m.find("model quantisation and model quantization")


def test_keyword_variants():
    assert keyword_variants("phase-change memory (PCM/PRAM)") == ["phase-change memory", "PCM", "PRAM"]
    assert keyword_variants("intrusion detection/prevention") == ["intrusion detection", "intrusion prevention"]
    assert keyword_variants("D램(DRAM)") == ["D램", "DRAM"]


def test_field_only_outcome(rules):
    tag = rules.predict([ClassifyInput(id="f", text="정부는 반도체 산업의 경쟁력을 높이기 위해 투자를 늘린다.")])[0]
    assert tag.technologies == [] and tag.fields == ["semi"]


def test_generic_word_alone_does_not_tag(rules):
    tag = rules.predict([ClassifyInput(id="g", text="The etching of the glass gives a decorative pattern.")])[0]
    assert tag.technologies == []


# -- thresholds and explanations -------------------------------------------------------------

def test_threshold_is_per_technology(rules):
    doc = [ClassifyInput(id="q", text="양자컴퓨터와 큐비트")]
    j = rules.tech_ids.index("quantum.computing")
    score = rules.score_documents(doc)[0][0, j]
    clf = KeywordConcordanceClassifier()
    clf.thresholds = clf.thresholds.copy()
    clf.thresholds[j] = score + 1e-6
    assert clf.predict(doc)[0].technologies == []
    clf.thresholds[j] = score
    assert [t.id for t in clf.predict(doc)[0].technologies] == ["quantum.computing"]


def test_best_threshold_maximises_f1():
    p = np.array([0.95, 0.9, 0.8, 0.7, 0.4, 0.3, 0.2, 0.1])
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    t = best_threshold(p, y)
    assert 0.7 < t <= 0.8
    assert best_threshold(p, np.zeros(8, dtype=int)) == 0.5
    assert best_threshold(np.array([0.01, 0.02]), np.array([1, 0])) == 0.2  # bounded below


def test_trained_thresholds_are_not_all_the_same(trained_dir):
    info = json.loads((trained_dir / "model.json").read_text())
    ths = info["thresholds"]
    assert len(ths) == 50 and len(set(ths.values())) > 1


def test_explanations_name_terms_classes_and_passages(rules):
    text = "\n\n".join(["배터리 산업 동향과 정책 과제를 정리한다. " * 20] * 6
                       + ["리튬이온전지 양극재와 음극재, 분리막 공급망을 강화한다. " * 10])
    tag = rules.predict([ClassifyInput(id="x", text=text, cpc=["H01M 10/0525"])])[0]
    t = tag.technologies[0]
    assert t.id == "battery.li_ion"
    ev = " | ".join(t.evidence)
    assert "class H01M10/0525" in ev and "리튬이온전지" in ev and "passage" in ev


def test_text_model_explains_with_model_terms(trained_dir):
    clf = load_classifier(trained_dir)
    tag = clf.predict([ClassifyInput(id="c", text="network security firewall zero trust for the cloud security gateway")])[0]
    assert tag.technologies and tag.technologies[0].id == "cyber.network_cloud"
    assert any(e.startswith(("model terms", "terms")) for e in tag.technologies[0].evidence)


# -- passages --------------------------------------------------------------------------------

def test_long_document_tagged_with_what_it_is_about_not_every_mention(rules):
    battery = "이차전지 산업 전략: 리튬이온전지 양극재 공급을 늘리고 배터리 셀 생산을 확대한다."
    filler = "이 계획은 산업 경쟁력 강화를 위한 추진 과제와 재원 계획을 담고 있다. " * 12
    paras = [battery + " " + filler for _ in range(30)]
    paras[7] = "또한 양자컴퓨터 연구도 검토한다. " + filler  # one mention in a long plan
    doc = ClassifyInput(id="plan", text="\n\n".join(paras))
    assert len(split_passages("", doc.text)) >= 10
    ids = [t.id for t in rules.predict([doc])[0].technologies]
    assert "battery.li_ion" in ids and "quantum.computing" not in ids
    # the same mention in a short text does tag it
    short = ClassifyInput(id="s", text="또한 양자컴퓨터 연구도 검토한다.")
    assert [t.id for t in rules.predict([short])[0].technologies] == ["quantum.computing"]


def test_split_passages_keeps_all_text():
    text = "\n\n".join(f"paragraph {i} " + "word " * 100 for i in range(20))
    ps = split_passages("Title", text)
    assert len(ps) > 5 and ps[0].startswith("Title")
    assert sum(p.count("paragraph") for p in ps) == 20


# -- model directories -----------------------------------------------------------------------

def test_round_trip_same_predictions(trained_dir, tmp_path):
    a = load_classifier(trained_dir)
    copy = tmp_path / "copy"
    shutil.copytree(trained_dir, copy)
    b = load_classifier(copy)
    assert a.version == b.version and a.version.startswith("text-")
    docs = synthetic_records(n_per_tech=3, n_none=10, seed=9)
    docs = [d.model_copy(update={"labels": None}) for d in docs] + DOCS
    assert [t.model_dump() for t in a.predict(docs)] == [t.model_dump() for t in b.predict(docs)]
    info = json.loads((trained_dir / "model.json").read_text())
    assert info["taxonomy_version"] == load_taxonomy().version
    assert info["training"]["used"] == len(synthetic_records()) and info["training"]["labels_explicit"] > 0
    assert info["heldout"]["micro"]["f1"] > 0.5, info["heldout"]["micro"]


def test_train_learns_the_synthetic_technologies(trained_dir):
    clf = load_classifier(trained_dir)
    recs = synthetic_records(seed=7)
    pred = clf.predict_ids(recs)
    right = sum(set(p) == set(r.labels) for p, r in zip(pred, recs))
    assert right / len(recs) > 0.9


def test_train_labels_through_concordance(tmp_path):
    recs = [r.model_copy(update={"labels": None, "cpc": ["H01L27/108"] if r.labels == ["semi.memory"] else ["A01K91/00"]})
            for r in synthetic_records(techs=["semi.memory"], n_per_tech=12, n_none=40)]
    info = train_classifier(recs, tmp_path / "m", source="cpc")
    assert info["training"]["labels_from_cpc"] == len(recs)
    assert info["training"]["positives"] == {"semi.memory": 12}
    # English text without a stated language is counted as English, not "other"
    assert set(info["training"]["documents_by_language"]) <= {"en", "ko"}, info["training"]["documents_by_language"]


def test_train_rejects_unusable_data(tmp_path):
    with pytest.raises(ModelError, match="no records"):
        train_classifier([], tmp_path / "m", source="empty.jsonl")
    none = [ClassifyInput(id=f"n{i}", text="a text", labels=[]) for i in range(5)]
    with pytest.raises(ModelError, match="no record is labelled"):
        train_classifier(none, tmp_path / "m", source="none.jsonl")
    unlabelled = [ClassifyInput(id="u", text="a text")]
    with pytest.raises(ModelError, match="no record carries labels"):
        train_classifier(unlabelled, tmp_path / "m", source="u.jsonl")
    bad = [ClassifyInput(id="b1", text="x", labels=["semi.memory", "semi.nonsense"]),
           ClassifyInput(id="b2", text="y", labels=["warp.drive"])]
    with pytest.raises(ModelError, match=r"semi\.nonsense.*b1.*warp\.drive.*b2"):
        train_classifier(bad, tmp_path / "m", source="bad.jsonl")
    assert not (tmp_path / "m").exists()


def test_load_errors_name_the_directory_and_problem(tmp_path, trained_dir):
    with pytest.raises(ModelError, match="no such model directory"):
        load_classifier(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match=r"empty.*no model.json"):
        load_classifier(tmp_path / "empty")
    bad = tmp_path / "badjson"
    bad.mkdir()
    (bad / "model.json").write_text("{not json")
    with pytest.raises(ModelError, match="badjson.*corrupt"):
        load_classifier(bad)
    old = tmp_path / "old"
    shutil.copytree(trained_dir, old)
    info = json.loads((old / "model.json").read_text())
    info["taxonomy_version"] = "2022.0"
    (old / "model.json").write_text(json.dumps(info))
    with pytest.raises(ModelError, match="taxonomy 2022.0"):
        load_classifier(old)
    broken = tmp_path / "broken"
    shutil.copytree(trained_dir, broken)
    (broken / "text_model.npz").write_bytes(b"garbage" * 10)
    with pytest.raises(ModelError, match="corrupt"):
        load_classifier(broken)


def test_default_model_is_the_last_trained_else_built_in(ews_home, trained_dir):
    assert load_classifier().kind in ("rules", "text")  # shipped or built-in
    models = ews_home / "models"
    models.mkdir(parents=True)
    shutil.copytree(trained_dir, models / "2025-01")
    assert load_classifier(models_dir=models).version == load_classifier(trained_dir).version
    assert load_classifier().version != load_classifier(trained_dir).version  # only the directory it is given


# -- the commands ----------------------------------------------------------------------------

def _run(*args, cwd=None):
    return subprocess.run([str(EWS), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_classify_command_contract(tmp_path):
    lines = [{"id": "a", "text": "양자컴퓨터를 개발한다", "lang": "ko"},
             {"id": 7, "title": "Memory", "text": "A DRAM cell.", "cpc": ["H10B 12/00"]},
             {"id": "c", "text": "A fishing hook."}]
    src = tmp_path / "in.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as f:
        f.write("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    out = tmp_path / "out.jsonl"
    r = _run("classify", "--input", str(src), "--output", str(out))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in rows] == ["a", "7", "c"]
    assert rows[0]["technologies"][0]["id"] == "quantum.computing"
    assert [t["id"] for t in rows[1]["technologies"]] == ["semi.memory"] and rows[1]["fields"] == ["semi"]
    assert rows[2] == {"id": "c", "technologies": [], "fields": []}
    assert set(rows[0]) == {"id", "technologies", "fields"}


def test_classify_command_bad_lines(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "a", "text": "DRAM"}\nnot json\n{"text": "no id"}\n{"id": "d", "text": "caf\xe9"}\n'
                    b'{"id": "e", "text": "ok"}\n')
    out = tmp_path / "out.jsonl"
    r = _run("classify", "--input", str(src), "--output", str(out))
    assert r.returncode != 0 and not out.exists()
    for line, problem in [(2, "not JSON"), (3, "id"), (4, "not UTF-8")]:
        assert f"{src}:{line}:" in r.stderr and problem in r.stderr, r.stderr
    r = _run("classify", "--input", str(src), "--output", str(out), "--skip-bad")
    assert r.returncode == 0, r.stderr
    assert "skipped 3 bad lines" in r.stderr
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["a", "e"]


def test_classify_command_empty_and_missing_input(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    out = tmp_path / "out.jsonl"
    r = _run("classify", "--input", str(empty), "--output", str(out))
    assert r.returncode == 0 and out.read_text() == ""
    r = _run("classify", "--input", str(tmp_path / "nope.jsonl"), "--output", str(out))
    assert r.returncode != 0 and "nope.jsonl" in r.stderr and "Traceback" not in r.stderr
    r = _run("classify", "--input", str(empty), "--output", str(out), "--model", str(tmp_path / "nomodel"))
    assert r.returncode != 0 and "nomodel" in r.stderr and "Traceback" not in r.stderr


def test_train_then_classify_commands(tmp_path):
    src = tmp_path / "train.jsonl"
    src.write_text("\n".join(r.model_dump_json() for r in synthetic_records()) + "\n")
    model = tmp_path / "model"
    r = _run("train", "--input", str(src), "--output", str(model))
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["version"] in r.stderr and (model / "model.json").exists()
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "q", "text": _doc(random.Random(5), ["qubit", "quantum error correction"])}) + "\n")
    out = tmp_path / "out.jsonl"
    r = _run("classify", "--input", str(docs), "--output", str(out), "--model", str(model), "--explain")
    assert r.returncode == 0, r.stderr
    row = json.loads(out.read_text())
    assert row["technologies"][0]["id"] == "quantum.computing" and row["technologies"][0]["evidence"]
    bad = tmp_path / "none.jsonl"
    bad.write_text('{"id": "x", "text": "t", "labels": ["no.such"]}\n')
    r = _run("train", "--input", str(bad), "--output", str(tmp_path / "m2"))
    assert r.returncode != 0 and "no.such" in r.stderr and "Traceback" not in r.stderr


# -- the text model's own parts ----------------------------------------------------------------

def test_korean_particles_inside_a_phrase():
    m = technology_matcher(load_taxonomy())
    assert "cyber.data_ai_security" in m.find("AI의 보안 및 회복 탄력성 기준 제고")
    assert "cyber.data_ai_security" in m.find("AI 보안 기준")
    # a particle is only dropped between words: the word itself must still be there
    assert "cyber.data_ai_security" not in m.find("AI의 보상 체계")


def test_numpy_tfidf_and_sparse_dot_match_scipy():
    import scipy.sparse as sp

    from models.classify.text_model import SparseWeights, Vocabulary, sparse_dot

    docs = [["quantum", "bit", "error", "correction"], [], ["bit", "error", "bit"], ["quantum", "bit"], ["unknown"], []]
    voc = Vocabulary.fit([d for d in docs if d != ["unknown"]] * 3, min_df=2, max_df=1.0)
    assert "quantum bit" in voc.terms and "bit error" in voc.terms
    ptr, ind, dat = voc.transform(docs)
    X = sp.csr_matrix((dat, ind, ptr), shape=(len(docs), len(voc.terms)))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1))).ravel()
    assert np.allclose(norms, [1, 0, 1, 1, 0, 0], atol=1e-6)  # l2 rows; empty rows stay empty
    W = np.random.default_rng(0).normal(size=(len(voc.terms), 3)).astype(np.float32)
    assert np.allclose(sparse_dot(ptr, ind, dat, W), X @ W, atol=1e-5)
    W[1:3] = 0  # features without weights are skipped, same result
    assert np.allclose(sparse_dot(ptr, ind, dat, W, np.any(W != 0, axis=1)), X @ W, atol=1e-5)
    assert np.allclose(SparseWeights(W).dot(ptr, ind, dat), X @ W, atol=1e-5)
    W[np.abs(W) < 0.8] = 0  # pruned: zeros scattered through the rows, as in a trained model
    assert np.allclose(SparseWeights(W).dot(ptr, ind, dat), X @ W, atol=1e-5)


def test_common_threshold_and_shrinkage():
    from models.classify.text_model import THRESHOLD_SHRINK, choose_thresholds

    rng = np.random.default_rng(0)
    Y = (rng.random((400, 3)) < [0.2, 0.05, 0.0]).astype(int)
    P = np.clip(Y * 0.5 + rng.random(Y.shape) * 0.45, 0, 1)  # positives 0.5-0.95, negatives 0-0.45
    common, th = choose_thresholds(P, Y, np.array([True, True, False]))
    assert 0.3 < common <= 0.55
    assert th[2] == common  # no positives: the common threshold
    # each technology's threshold lies between the common one and its own optimum, weighted by its positives
    for j in (0, 1):
        own, n = best_threshold(P[:, j], Y[:, j], floor=0.1), Y[:, j].sum()
        assert np.isclose(th[j], (n * own + THRESHOLD_SHRINK * common) / (n + THRESHOLD_SHRINK))
        assert min(own, common) <= th[j] <= max(own, common)


def test_text_model_inference_imports_no_sklearn(trained_dir):
    code = ("import sys; from models.classify import load_classifier; from ews.kernel.schema import ClassifyInput\n"
            f"c = load_classifier({str(trained_dir)!r})\n"
            "t = c.predict([ClassifyInput(id='q', text='qubit and quantum error correction')])\n"
            "assert t[0].technologies, t\n"
            "bad = [m for m in ('sklearn', 'joblib', 'kiwipiepy') if m in sys.modules]\n"
            "assert not bad, bad\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 0, r.stderr


def test_model_files_are_plain_data(trained_dir):
    names = {p.name for p in trained_dir.iterdir()}
    assert names == {"model.json", "text_model.npz", "vocabulary.json"}
    with np.load(trained_dir / "text_model.npz", allow_pickle=False) as z:  # no pickled objects inside
        assert z["thresholds"].shape == (50,)


def test_shipped_model_says_where_its_data_came_from():
    from models.classify.store import SHIPPED_DIR

    info = json.loads((SHIPPED_DIR / "model.json").read_text())
    assert info["kind"] == "text" and info["heldout"]["micro"]["f1"] > 0.4
    readme = (SHIPPED_DIR.parent / "README.md").read_text()
    for must in ("Open Government Licence v3.0", "CC BY 4.0", "PatentsView", "public domain"):
        assert must in readme
