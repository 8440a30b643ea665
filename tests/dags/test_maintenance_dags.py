"""The maintenance DAGs and the failure callback, run for real with `dag.test()` on a store crawled from the demo site."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket

import pytest

from ews.kernel.store import Store
from tests.dags.test_dag_runs import load_dag as _load_dag
from tests.dags.test_dag_runs import states

pytestmark = pytest.mark.integration
UTC = dt.UTC


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """A data directory with the demo sources crawled, classified, counted and detected (built once per module)."""
    from alerts.embedded import EmbeddedAlertStore
    from crawlers.demo import DEMO_AS_OF, DEMO_WINDOW, DemoSite
    from crawlers.registry import load_registry
    from ews.app import pipeline
    from ews.kernel.config import load_settings

    home = tmp_path_factory.mktemp("demo-store")
    settings = load_settings(home=home)
    with DemoSite() as site, Store(home) as store:
        pipeline.crawl(store, load_registry(demo=True, base_url=site.url), *DEMO_WINDOW, settings)
        pipeline.classify(store, settings)  # the built-in model: nothing trained in this home
        pipeline.count(store, as_of=DEMO_AS_OF)
        pipeline.detect_and_alert(store, EmbeddedAlertStore(store), as_of=DEMO_AS_OF)
    return home


@pytest.fixture
def populated(demo_store, ews_home):
    shutil.copytree(demo_store, ews_home)
    return ews_home


def load_dag(dag_id):
    """The DAG as the scheduler parses it, but failing at once: dag.test() would sit out each retry's backoff."""
    dag = _load_dag(dag_id)
    for t in dag.tasks:
        assert t.retries >= 1 and t.on_failure_callback
        t.retries = 0
    return dag


def _decisions(home):
    return [json.loads(line) for line in (home / "models" / "retrain.jsonl").read_text().splitlines()]


def _use_builtin_classifier(home):
    """Make the built-in keyword classifier the current model (whatever model the project ships)."""
    from ews.kernel.taxonomy import load_taxonomy
    from models.classify.promotion import _promote

    rules = home / "models" / "versions" / "builtin-rules"
    rules.mkdir(parents=True)
    (rules / "model.json").write_text(json.dumps({"kind": "rules", "version": "rules-builtin",
                                                  "taxonomy_version": load_taxonomy().version}))
    _promote(home / "models", rules)


def test_retrain_promotes_a_better_model_and_rerun_changes_nothing(airflow_home, populated):
    from models.classify import load_classifier

    _use_builtin_classifier(populated)
    assert load_classifier(None, models_dir=populated / "models").kind == "rules"
    dag = load_dag("ews_retrain")
    run = dag.test(logical_date=dt.datetime(2026, 7, 2, 4, tzinfo=UTC))
    assert states(run) == {"retrain": "success"}, states(run)
    (d,) = _decisions(populated)
    assert d["status"] == "promoted", d
    assert d["heldout"] >= 50 and d["train"] > 3 * d["heldout"]
    assert d["current"].startswith("rules-")  # the built-in keyword classifier
    assert d["candidate_scores"]["micro_f1"] >= d["current_scores"]["micro_f1"]
    current = populated / "models" / "current"
    assert current.is_symlink() and os.readlink(current) == f"versions/{d['candidate']}"
    assert load_classifier(None, models_dir=populated / "models").version == json.loads((current / "model.json").read_text())["version"]
    assert load_classifier(None, models_dir=populated / "models").kind == "text"

    again = dag.test(logical_date=dt.datetime(2026, 7, 2, 4, 0, 1, tzinfo=UTC))
    assert states(again) == {"retrain": "success"}
    last = _decisions(populated)[-1]
    assert last["status"] == "unchanged" and last["candidate"] == d["candidate"], last
    assert os.readlink(current) == f"versions/{d['candidate']}"
    assert sorted(p.name for p in (populated / "models" / "versions").iterdir()) == sorted([d["candidate"], "builtin-rules"])


def test_retrain_keeps_the_current_model_when_the_new_one_scores_worse(airflow_home, populated):
    """A month whose crawl brought garbage text (a parser broke): the model trained on it must not replace a good one."""
    from models.classify import load_classifier
    from models.classify.promotion import retrain
    from models.classify.store import is_heldout

    models = populated / "models"
    _use_builtin_classifier(populated)
    with Store(populated) as store:
        assert retrain(store, models)["status"] == "promoted"  # a model trained on good text is current
        good = load_classifier(None, models_dir=populated / "models").version
        target = os.readlink(models / "current")
        # the training part of this month's patents lost its text; the held-out part is intact
        words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt".split()
        broken = [d.model_copy(update={"title": f"Page {i}", "content_hash": "",
                                       "text": " ".join(words[(i * k + k * k) % len(words)] for k in range(1, 12))})
                  for i, d in enumerate(store.iter_documents(kind="patent")) if not is_heldout(d.id)]
        store.upsert_documents([type(d).model_validate(d.model_dump()) for d in broken])

    run = load_dag("ews_retrain").test(logical_date=dt.datetime(2026, 8, 2, 4, tzinfo=UTC))
    assert states(run) == {"retrain": "success"}
    d = _decisions(populated)[-1]
    assert d["status"] == "kept", d
    assert d["candidate_scores"]["micro_f1"] < d["current_scores"]["micro_f1"]
    assert "current model stays" in d["reason"] and d["current"] == good
    assert os.readlink(models / "current") == target
    assert load_classifier(None, models_dir=populated / "models").version == good
    assert (models / "versions" / d["candidate"] / "model.json").is_file()  # kept for inspection, not used


def test_retrain_with_too_few_patents_keeps_the_current_model(airflow_home, ews_home):
    run = load_dag("ews_retrain").test(logical_date=dt.datetime(2026, 7, 2, 4, tzinfo=UTC))
    assert states(run) == {"retrain": "success"}
    (d,) = _decisions(ews_home)
    assert d["status"] == "skipped" and "too few" in d["reason"], d
    assert not (ews_home / "models" / "current").exists()


def test_annual_report_counts_the_year_of_its_data_interval(airflow_home, populated):
    from ews.kernel.series import SeriesKey

    run = load_dag("ews_annual_report").test(logical_date=dt.datetime(2024, 1, 1, 5, tzinfo=UTC))
    assert states(run) == {"annual_report": "success"}, states(run)
    assert (run.data_interval_start.year, run.data_interval_end.year) == (2023, 2024)
    base = populated / "reports" / "annual" / "2023"
    data = json.loads((base / "trends.json").read_text())
    assert data["year"] == 2023 and len(data["fields"]) == 12
    assert {p.name for p in base.glob("*.md")} == {"index.md"} | {f"{f['id']}.md" for f in data["fields"]}
    # the yearly figures agree with the aggregator's monthly series, counted by independent code
    with Store(populated) as store:
        counts = store.read_counts()
    yearly = {}
    for series, period, n in counts.itertuples(index=False):
        key = SeriesKey.parse(series)
        if key.subject_kind == "tech" and key.dimension is None and key.corpus == "patent":
            yearly[(key.subject, period[:4])] = yearly.get((key.subject, period[:4]), 0) + n
    techs = [t for f in data["fields"] for t in f["technologies"]]
    assert sum(t["patents"]["2023"] for t in techs) > 100
    for t in techs:
        for y in ("2022", "2023"):
            assert t["patents"][y] == yearly.get((t["id"], y), 0), (t["id"], y)
    semi = next(f for f in data["fields"] if f["id"] == "semi")
    # the planted surge: Samsung's memory filings x4 in 2023-09..11 make it the field's top applicant, alerted
    assert semi["top_applicants"][0]["applicant"] == "SAMSUNG ELECTRONICS"
    assert semi["top_applicants"][0]["patents"] > semi["top_applicants"][0]["previous_year"]
    assert any(a["direction"] == "surge" and a["period"].startswith("2023") and "semi.memory" in a["series"]
               for a in semi["alerts"]), semi["alerts"]
    assert [c["country"] for c in semi["countries"]][0] == "KR"
    md = (base / "semi.md").read_text()
    assert "SAMSUNG ELECTRONICS" in md and "| High-density" in md and "## Alerts 2023" in md


def test_taxonomy_review_finds_a_planted_term_that_fits_no_technology(airflow_home, populated):
    from ews.app import pipeline
    from ews.kernel.config import load_settings
    from ews.kernel.schema import Document
    from ews.kernel.taxonomy import load_taxonomy

    now = dt.datetime(2026, 1, 1, tzinfo=UTC)
    planted = [Document.build(source="test-feed", source_key=f"agri-{i}", kind="policy", lang="en",
                              title=f"Ministry widens agrivoltaic farming pilots in region {i}",
                              text="Farmers share fields with solar canopies; agrivoltaic farming pilots grow.",
                              published=dt.date(2025, 1 + i, 10), fetched_at=now, jurisdiction="KR")
               for i in range(6)]
    with Store(populated) as store:
        store.upsert_documents(planted)
        pipeline.classify(store, load_settings())
        claimed = {t.doc_id for t in store.iter_tagged() if t.tagging.technologies}
    assert not claimed & {d.id for d in planted}, "the planted documents must fit none of the 50"

    run = load_dag("ews_taxonomy_review").test(logical_date=now)
    assert states(run) == {"taxonomy_review": "success"}, states(run)
    assert (run.data_interval_start.date(), run.data_interval_end.date()) == (dt.date(2024, 1, 1), dt.date(2026, 1, 1))
    data = json.loads((populated / "reports" / "taxonomy-review" / "2024-01-01_2026-01-01.json").read_text())
    terms = [t["term"] for t in data["terms"]]
    assert terms[0] == "agrivoltaic farming", terms[:5]
    top = data["terms"][0]
    assert top["df_recent"] == 6 and top["df_before"] == 0
    known = {k.lower() for t in load_taxonomy().technologies for k in (*t.keywords_en, *t.keywords_ko)}
    assert not [t for t in terms if any(k in t or t in k for k in known)]
    model_terms = [t["term"] for t in data["emergence_model"]]
    assert any("farming" in t for t in model_terms[:10]), model_terms  # the project's emergence model sees it too
    assert "agrivoltaic farming" in (populated / "reports" / "taxonomy-review" / "2024-01-01_2026-01-01.md").read_text()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_failing_source_raises_a_pipeline_alert_once_per_interval_without_its_credentials(
        airflow_home, ews_home, monkeypatch, capfd):
    from ews.kernel.ids import alert_id

    # a dead source whose URL carries credentials, as a misconfigured proxy or API URL might
    monkeypatch.setenv("EWS_DEMO_BASE_URL", f"http://crawler:hunter2-secret@127.0.0.1:{_closed_port()}")
    dag = load_dag("ews_crawl_patent")  # retries off: fail at once instead of waiting out the backoff
    (task,) = dag.tasks
    day = dt.datetime(2023, 10, 2, 2, tzinfo=UTC)
    for logical in (day, day + dt.timedelta(seconds=1)):  # the same data interval twice
        run = dag.test(logical_date=logical)
        assert states(run) == {task.task_id: "failed"}, states(run)
    with Store(ews_home) as store:
        alerts = [a for a in store.list_alerts() if a.detector == "pipeline"]
    assert len(alerts) == 1, alerts
    (a,) = alerts
    interval = f"{run.data_interval_start.isoformat()}/{run.data_interval_end.isoformat()}"
    assert a.id == alert_id("pipeline", f"pipeline:ews_crawl_patent|task:{task.task_id}", interval)
    assert a.evidence["source"] == "demo-patentsview" and a.period == "2023-09"
    assert "source demo-patentsview" in a.explanation and a.status == "new"
    assert "hunter2-secret" not in a.model_dump_json()
    out = capfd.readouterr()
    assert "source demo-patentsview failed" in out.out + out.err  # the task log was captured ...
    assert "hunter2-secret" not in out.out + out.err              # ... without the credential


def test_briefings_write_the_month_of_their_data_interval(airflow_home, populated):
    # a run after 2024-12-01 covers the interval 2024-11-01 .. 2024-12-01: the November briefing
    run = load_dag("ews_briefings").test(logical_date=dt.datetime(2024, 12, 1, 5, tzinfo=UTC),
                                         run_conf={"fields": ["battery"]})
    assert states(run) == {"briefings": "success"}, states(run)
    assert (run.data_interval_start.month, run.data_interval_end.month) == (11, 12)
    out = populated / "reports" / "briefings" / "2024-11"
    assert {p.name for p in out.iterdir()} == {"briefing-battery-2024-11.html", "briefing-battery-2024-11.pdf"}
    assert out.joinpath("briefing-battery-2024-11.pdf").read_bytes().startswith(b"%PDF")
