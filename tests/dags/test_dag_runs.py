"""The DAGs run for real with `dag.test()` on the demo sources served from 127.0.0.1."""
import datetime as dt

import pytest

from ews.kernel.store import Store

pytestmark = pytest.mark.integration


@pytest.fixture
def demo_site(monkeypatch):
    from crawlers.demo import DemoSite

    with DemoSite() as site:
        monkeypatch.setenv("EWS_DEMO_BASE_URL", site.url)
        yield site


def load_dag(dag_id):
    from airflow.dag_processing.dagbag import DagBag

    from tests.dags.conftest import DAGS

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags[dag_id]


def states(dag_run):
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}


def test_crawl_dag_crawls_its_data_interval_and_twice_changes_nothing(airflow_home, demo_site, ews_home):
    dag = load_dag("ews_crawl_patent")
    assert len(dag.tasks) == 1  # the demo registry has one patent source
    day = dt.datetime(2023, 10, 1, tzinfo=dt.UTC)
    run = dag.test(logical_date=day)
    assert set(states(run).values()) == {"success"}, states(run)
    with Store(ews_home) as store:
        first = store.count_documents()
        docs = list(store.iter_documents(kind="patent"))
    assert first > 0
    start, end = run.data_interval_start.date(), run.data_interval_end.date()
    # the window is the data interval: every patent crawled falls inside it
    assert all(start <= (d.published or start) < end for d in docs), (start, end)
    run = dag.test(logical_date=day + dt.timedelta(seconds=1))
    assert set(states(run).values()) == {"success"}
    with Store(ews_home) as store:
        assert store.count_documents() == first


def test_monitoring_dag_runs_end_to_end(airflow_home, demo_site, ews_home):
    from crawlers.demo import DEMO_WINDOW
    from crawlers.registry import load_registry
    from ews.app import pipeline
    from ews.kernel.config import load_settings

    with Store(ews_home) as store:
        pipeline.crawl(store, load_registry(demo=True, base_url=demo_site.url), *DEMO_WINDOW, load_settings())
    dag = load_dag("ews_monitoring")
    run = dag.test()
    assert states(run) == {t: "success" for t in ("classify", "count", "detect", "index", "report")}, states(run)
    with Store(ews_home) as store:
        stats = store.stats()
        assert stats["tagged"] == stats["documents"] > 0 and stats["alerts"] > 0
    assert (ews_home / "reports" / "report.html").exists()
    again = dag.test()
    assert set(states(again).values()) == {"success"}
    with Store(ews_home) as store:
        assert store.stats() == stats


def test_the_dag_and_the_command_give_one_answer_on_one_store(airflow_home, demo_site, ews_home, tmp_path, monkeypatch):
    """The scheduled path (the monitoring DAG) and the command path (`pipeline.monitor`, what `ews run`
    runs after crawling) on copies of one crawled store: every count row and every alert is the same."""
    import shutil

    from alerts.embedded import EmbeddedAlertStore
    from crawlers.demo import DEMO_WINDOW
    from crawlers.registry import load_registry
    from ews.app import pipeline
    from ews.kernel.config import load_settings

    with Store(ews_home) as store:
        pipeline.crawl(store, load_registry(demo=True, base_url=demo_site.url), *DEMO_WINDOW, load_settings())
        cutoff = store.data_cutoff()
    assert cutoff == DEMO_WINDOW[1] - dt.timedelta(days=1)
    command_home = tmp_path / "command"
    shutil.copytree(ews_home, command_home)
    run = load_dag("ews_monitoring").test()
    assert set(states(run).values()) == {"success"}, states(run)
    with Store(command_home) as store:
        pipeline.monitor(store, EmbeddedAlertStore(store), load_settings(home=command_home))
        command_counts = store.read_counts()
        command_alerts = {(a.id, a.series, a.period, a.direction, a.observed) for a in store.list_alerts()}
    with Store(ews_home) as store:
        dag_counts = store.read_counts()
        dag_alerts = {(a.id, a.series, a.period, a.direction, a.observed) for a in store.list_alerts()}
    key = ["series", "period"]
    assert len(dag_counts) == len(command_counts) > 0
    assert dag_counts.sort_values(key).reset_index(drop=True).equals(command_counts.sort_values(key).reset_index(drop=True))
    assert dag_alerts == command_alerts and dag_alerts
    # the cut-off reaches the newest complete month, not the last filing: the series run to the crawl's end
    assert dag_counts["period"].max() == cutoff.strftime("%Y-%m")
