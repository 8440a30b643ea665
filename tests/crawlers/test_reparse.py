"""`ews reparse`: documents made again from the archive, idempotent, without any fetch; and after a change."""
import json

import pytest
from typer.testing import CliRunner

from crawlers.reparse import reparse
from ews.kernel.store import Store

pytestmark = pytest.mark.integration


def test_reparse_after_a_crawl_and_again_writes_nothing_new(api_crawl):
    for run in api_crawl["reparse"]:
        for source, r in run.items():
            assert r.inserted == 0 and r.updated == 0, (source, r)
        assert run["t-bulk"].unchanged == 500 and run["t-epo"].unchanged == 230
        assert run["t-bulletin"].unchanged == 2 and run["t-synd-a"].near_duplicates + run["t-synd-b"].near_duplicates == 1
        assert run["t-reports"].unchanged == 2 and any("r2.pdf" in m for m in run["t-reports"].errors)


def test_reparse_restores_lost_documents_and_one_source_only(api_crawl, tmp_path):
    import shutil

    home = tmp_path / "copy"
    shutil.copytree(api_crawl["home"], home)
    with Store(home) as store:
        store._conn.execute("DELETE FROM documents WHERE source='t-fr'")
        before = store.count_documents()
    reports = reparse(home, api_crawl["sources"], "t-fr")
    assert [r.source for r in reports] == ["t-fr"] and reports[0].inserted == 25
    with Store(home) as store:
        assert store.count_documents() == before + 25
    with pytest.raises(KeyError, match="unknown source"):
        reparse(home, api_crawl["sources"], "nope")


def test_ews_reparse_command(tmp_path, monkeypatch):
    from ews.app.cli import app

    monkeypatch.setenv("EWS_HOME", str(tmp_path))
    res = CliRunner().invoke(app, ["reparse", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == []
    res = CliRunner().invoke(app, ["reparse", "--source", "nope"])
    assert res.exit_code == 2 and "unknown source" in res.output
