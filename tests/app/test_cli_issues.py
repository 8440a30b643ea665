"""`ews issues` on a store holding hand-made documents: the JSON contract, stable ids, bad input named."""
import json
import os

from tests.analysis.issue_docs import planted_corpus
from tests.app.cli import ews


def fill_store():
    from ews.kernel.store import Store

    docs, tags, solid = planted_corpus()
    with Store(os.environ["EWS_HOME"]) as store:
        store.upsert_documents(docs)
        store.upsert_tagged(tags)
    return solid


def test_issues_json_has_the_contract_fields_and_stable_ids():
    solid = fill_store()
    r = ews("issues", "--field", "battery", "--period", "2024-06", "--json")
    assert r.returncode == 0, r.stderr
    issues = json.loads(r.stdout)
    assert issues and all({"id", "phrases", "growth", "relevance", "status", "documents", "alerts"} <= set(i)
                          for i in issues)
    assert set(issues[0]["documents"]) == set(solid) and set(issues[0]["phrases"]) == {"ko", "en"}
    assert issues[0]["summary"]["en"] and issues[0]["summary"]["ko"]
    again = json.loads(ews("issues", "--field", "battery", "--period", "2024-06", "--json").stdout)
    assert [i["id"] for i in again] == [i["id"] for i in issues]
    table = ews("issues", "--field", "battery", "--period", "2024-06")
    assert table.returncode == 0 and issues[0]["id"] in table.stdout


def test_bad_field_and_period_are_named():
    r = ews("issues", "--field", "nope")
    assert r.returncode != 0 and "'nope' is not a field" in r.stderr and "Traceback" not in r.stderr
    r = ews("issues", "--field", "battery", "--period", "June")
    assert r.returncode != 0 and "--period" in r.stderr and "Traceback" not in r.stderr
    r = ews("issues")
    assert r.returncode != 0 and "--field" in r.stderr
