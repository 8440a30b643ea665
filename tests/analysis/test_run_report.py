"""The HTML report: written, self-contained, charted, escaped."""
from __future__ import annotations

import re

import pandas as pd

from alerts.build import alerts_from_detections
from analysis.run_report import write_report
from ews.kernel.schema import Detection
from ews.kernel.store import Store

HOSTILE = '<script>alert("x")</script>'


def _store(tmp_path):
    store = Store(tmp_path / "home")
    rows = [(t, f"2023-{m:02d}", 10 + m * (3 if t == "semi.memory" else 1))
            for t in ("semi.memory", "battery.li_ion", "ai.ml") for m in range(1, 13)]
    store.replace_counts(pd.DataFrame(rows, columns=["series", "period", "count"]))
    ds = [Detection(series="semi.memory", period="2023-07", observed=41, expected=12.5, lower=5, upper=20,
                    alarm=True, direction="surge", score=0.97, method=f"poisson {HOSTILE}"),
          Detection(series="battery.li_ion", period="2023-05", observed=1, expected=15, lower=7, upper=23,
                    alarm=True, direction="drop", score=0.9, method="poisson")]
    store.upsert_alerts(alerts_from_detections(ds))
    return store


def test_report_is_written_with_a_chart_and_the_alert_rows(tmp_path):
    store = _store(tmp_path)
    path = write_report(store, tmp_path / "out")
    assert path == tmp_path / "out" / "report.html" and path.exists()
    html = path.read_text(encoding="utf-8")
    assert re.search(r'<img[^>]+src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', html)
    for a in store.list_alerts():
        assert f'id="alert-{a.id}"' in html
    assert "semi.memory" in html and "2023-07" in html and "surge" in html and "drop" in html
    assert "http://" not in html and "https://" not in html  # nothing fetched from the network


def test_hostile_text_is_escaped(tmp_path):
    store = _store(tmp_path)
    html = write_report(store, tmp_path / "out").read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;" in html


def test_empty_store_still_writes_a_report(tmp_path):
    html = write_report(Store(tmp_path / "h"), tmp_path / "o").read_text(encoding="utf-8")
    assert "No alerts" in html


def test_report_shows_alerts_without_a_count(tmp_path):
    from alerts.build import pipeline_failure_alert

    store = _store(tmp_path)
    failed = pipeline_failure_alert("ews_monitoring", "index", None, None, "manual__1", "boom")
    store.upsert_alerts([failed])
    html = write_report(store, tmp_path / "out").read_text(encoding="utf-8")
    assert f'id="alert-{failed.id}"' in html and "alerts: failure" in html
