"""Defaults and checks of the API a new user meets first: the movers' period, silences of unknown series."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ews.kernel.schema import SourceHealth
from ews.kernel.store import Store


def _auth(seeded, user="ana"):
    return {"Authorization": f"Bearer {seeded['tokens'][user]}"}


def test_movers_default_to_the_newest_complete_period_with_data_not_the_zero_padding(anon, seeded, ews_home):
    with Store(ews_home) as store:
        counts = store.read_counts()
        # as the count stage leaves it with a cut-off of 2024-03-14: every series zero-filled to 2024-03
        pad = [(s, f"2024-{m:02d}", 0) for s in counts["series"].unique() for m in (1, 2, 3)]
        store.replace_counts(pd.concat([counts, pd.DataFrame(pad, columns=["series", "period", "count"])]))
        now = dt.datetime(2024, 3, 15, tzinfo=dt.UTC)
        store.record_health(SourceHealth(source="uspto-test", started_at=now, finished_at=now,
                                         window_start=dt.date(2024, 3, 8), window_end=dt.date(2024, 3, 15)))
    r = anon.get("/api/movers", headers=_auth(seeded, "vera"))
    assert r.status_code == 200, r.text
    movers = r.json()["movers"]
    assert movers and {(m["period"], m["previous_period"]) for m in movers} == {("2023-12", "2023-11")}
    assert any(m["count"] for m in movers)
    # tech:battery.li_ion went 31 -> 32 from 2023-11 to 2023-12 in the seed
    li = next(m for m in movers if m["series"] == "tech:battery.li_ion")
    assert (li["previous"], li["count"]) == (31, 32)
    # asked for, the padded period is still answered
    asked = anon.get("/api/movers", params={"period": "2024-02"}, headers=_auth(seeded, "vera")).json()["movers"]
    assert {m["period"] for m in asked} == {"2024-02"}


def test_silence_of_an_unknown_series_is_refused_naming_it(anon, seeded):
    h = _auth(seeded)
    before = anon.get("/api/silences", headers=h).json()["silences"]
    for bad in ("tech:battery.li_ionn", "tech:zzz.*", "battery.li_ion"):
        r = anon.post("/api/silences", headers=h, json={"series": bad, "hours": 1})
        assert r.status_code == 422, (bad, r.status_code, r.text)
        assert bad in r.json()["detail"] and r.json()["detail"].startswith("series:")
    assert anon.get("/api/silences", headers=h).json()["silences"] == before
    # a key with counts only, one with an alert, and a glob matching some: accepted
    for good in ("tech:semi.ai_chip", "tech:battery.li_ion|jurisdiction:US", "tech:battery.*"):
        r = anon.post("/api/silences", headers=h, json={"series": good, "hours": 1})
        assert r.status_code == 201, (good, r.text)
        assert r.json()["series"] == good
