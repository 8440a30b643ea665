"""`ews risk`: scores with components from the store, an unknown field named with the known ones."""
import json
import os

import pandas as pd

from tests.app.cli import ews


def test_risk_json_lists_the_field_technologies_with_components():
    from ews.kernel.store import Store

    rows = [(f"tech:battery.li_ion|country:{c}", str(y), n * (4 if c == "CN" and y >= 2022 else 1))
            for y in range(2016, 2025) for c, n in (("KR", 30), ("CN", 20), ("JP", 25))]
    with Store(os.environ["EWS_HOME"]) as store:
        store.replace_counts(pd.DataFrame(rows, columns=["series", "period", "count"]))
    r = ews("risk", "--field", "battery", "--json")
    assert r.returncode == 0, r.stderr
    got = {x["technology"]: x for x in json.loads(r.stdout)}
    assert set(got) == {"battery.li_ion", "battery.next_gen", "battery.module_system", "battery.reuse_recycling"}
    li = got["battery.li_ion"]
    assert li["components"]["foreign_momentum.CN"] > 0.5 and 0 <= li["score"] <= 1
    assert li["score"] == max(x["score"] for x in got.values())
    table = ews("risk", "--field", "battery")
    assert table.returncode == 0 and "battery.li_ion" in table.stdout


def test_bad_field_and_period_are_named():
    r = ews("risk", "--field", "batteries")
    assert r.returncode != 0 and "'batteries' is not a field" in r.stderr and "battery" in r.stderr
    assert "Traceback" not in r.stderr
    r = ews("risk", "--as-of", "2024-13")
    assert r.returncode != 0 and "--as-of" in r.stderr and "Traceback" not in r.stderr
