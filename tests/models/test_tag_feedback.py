"""Analysts' tag corrections train the next model: `retrain` and `ews train` use them over the CPC-concordance
labels, the decision says how many went in, and the new model's output on those documents changes."""
from __future__ import annotations

import json
import shutil

import pytest

from ews.kernel.feedback import TagFeedback, latest_judgements
from ews.kernel.schema import ClassifyInput
from ews.kernel.store import Store
from models.classify import load_classifier
from models.classify.feedback import apply_judgements, training_lines
from models.classify.promotion import retrain
from tests.app.cli import ews

pytestmark = pytest.mark.integration

WRONG, RIGHT = "robot.hri", "robot.dexterous_manipulation"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The demo crawled and classified, and a model retrained on it without any feedback."""
    from crawlers.demo import DEMO_AS_OF, DEMO_WINDOW, DemoSite
    from crawlers.registry import load_registry
    from ews.app import pipeline
    from ews.kernel.config import load_settings

    home = tmp_path_factory.mktemp("feedback") / "home"
    settings = load_settings(home=home)
    with DemoSite() as site, Store(home) as store:
        pipeline.crawl(store, load_registry(demo=True, base_url=site.url), *DEMO_WINDOW, settings)
        pipeline.classify(store, settings)  # the built-in model: nothing trained in this home
        pipeline.count(store, as_of=DEMO_AS_OF)
        decision = retrain(store, home / "models-before")
    assert decision["analyst_labels"] == 0 and decision["corrections"] == 0
    return home, load_classifier(home / "models-before" / "versions" / decision["candidate"])


def _judge(home, model):
    """Analysts say the documents the model tags robot.hri (one recurring kind of patent) are about dexterous
    manipulation: the concordance's mapping of their class is what they correct."""
    with Store(home) as store:
        patents = list(store.iter_documents(kind="patent"))
    predicted = dict(zip([d.id for d in patents], model.predict_ids([ClassifyInput.from_document(d) for d in patents])))
    judged = [d for d in patents if WRONG in predicted[d.id]]
    assert len(judged) >= 10 and all(RIGHT not in predicted[d.id] for d in judged)
    with TagFeedback(home) as fb:
        for d in judged:
            fb.record(d.id, [RIGHT], predicted[d.id], actor="analyst-kim")
        fb.record(patents[0].id, predicted[patents[0].id], predicted[patents[0].id], actor="analyst-lee")  # a confirmation
    return judged


def test_corrections_outrank_weak_labels_and_change_the_retrained_model(trained, tmp_path):
    source, before = trained
    home = tmp_path / "home"
    shutil.copytree(source, home)
    judged = _judge(home, before)
    with Store(home) as store:
        decision = retrain(store, home / "models")
    assert decision["status"] == "promoted", decision
    assert decision["corrections"] == len(judged) and decision["analyst_labels"] == len(judged) + 1
    assert decision["confirmations"] == 1
    decisions = [json.loads(x) for x in (home / "models" / "retrain.jsonl").read_text().splitlines()]
    assert decisions[-1]["corrections"] == len(judged)  # the log says it too
    after = load_classifier(home / "models" / "versions" / decision["candidate"])
    inputs = [ClassifyInput.from_document(d) for d in judged]
    assert all(RIGHT not in p for p in before.predict_ids(inputs))
    now = after.predict_ids(inputs)
    assert all(RIGHT in p for p in now), now


def test_judged_documents_get_the_analysts_labels_whatever_their_classes(trained, tmp_path):
    source, before = trained
    home = tmp_path / "home"
    shutil.copytree(source, home)
    judged = _judge(home, before)
    judgements = latest_judgements(home)
    records = [ClassifyInput.from_document(d) for d in judged]
    assert all(r.cpc and r.labels is None for r in records)
    out, counts = apply_judgements(records, judgements)
    assert [r.labels for r in out] == [[RIGHT]] * len(judged)
    assert counts["corrections"] == len(judged)
    lines = list(training_lines(judged, judgements))
    assert lines[0]["labels"] == [RIGHT] and lines[0]["labelled_by"] == "analyst-kim"
    assert lines[0]["label_source"] == "analyst"


def test_ews_train_uses_the_corrections(trained, tmp_path, monkeypatch):
    source, before = trained
    home = tmp_path / "home"
    shutil.copytree(source, home)
    judged = _judge(home, before)
    monkeypatch.setenv("EWS_HOME", str(home))
    data = tmp_path / "patents.jsonl"
    with Store(home) as store:
        data.write_text("".join(json.dumps(ClassifyInput.from_document(d).model_dump(mode="json")) + "\n"
                                for d in store.iter_documents(kind="patent")), encoding="utf-8")
    plain = ews("train", "--input", str(data), "--output", str(tmp_path / "plain"), "--no-corrections")
    assert plain.returncode == 0, plain.stderr
    assert "feedback" not in json.loads(plain.stdout)
    fed = ews("train", "--input", str(data), "--output", str(tmp_path / "fed"))
    assert fed.returncode == 0, fed.stderr
    assert json.loads(fed.stdout)["feedback"]["corrections"] == len(judged)
    assert f"({len(judged)} corrections, 1 confirmations)" in fed.stderr
    inputs = [ClassifyInput.from_document(d) for d in judged]
    assert all(RIGHT not in p for p in load_classifier(tmp_path / "plain").predict_ids(inputs))
    assert all(RIGHT in p for p in load_classifier(tmp_path / "fed").predict_ids(inputs))
