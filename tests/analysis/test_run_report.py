"""The HTML report: written, self-contained, charted, escaped."""
from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest
from matplotlib import font_manager

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
    assert not re.search(r'<(img|script|link)[^>]+(src|href)="https?://', html)  # nothing fetched from the network


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


def test_report_names_technologies_draws_alerted_series_and_links_evidence(tmp_path):
    """What an analyst needs from the page: names in both languages, the cut-off, one chart per alerted
    series with the detector's band, and evidence as 'k of N documents' linked to the original and the
    archived copy in the review app."""
    store = _store(tmp_path)
    alert = store.list_alerts()[0]
    alert.evidence["contributors"] = {"documents": [{"id": "doc1", "title": "HBM stack", "url": "https://example.org/p1",
                                                     "kind": "patent"}], "documents_total": 16}
    store.upsert_alerts([alert])
    html = write_report(store, tmp_path / "out", app_url="http://127.0.0.1:8080").read_text(encoding="utf-8")
    assert "메모리" in html or "Memory" in html  # taxonomy names, not only ids
    assert "1 of 16 documents" in html
    assert 'href="https://example.org/p1"' in html and 'href="http://127.0.0.1:8080/documents/doc1/archived"' in html
    assert f'href="http://127.0.0.1:8080/alerts/{alert.id}"' in html
    assert html.count("<figure>") == 2  # both count alerts drawn with their band
    for f in ("반도체", "이차전지"):
        assert f in html  # the per-field summary lists the 12 fields by name


def test_report_stops_at_the_cut_off_and_shades_incomplete_months(tmp_path, monkeypatch):
    import datetime as dt

    from analysis import run_report

    store = _store(tmp_path)
    monkeypatch.setattr(type(store), "data_cutoff", lambda self: dt.date(2023, 9, 30))
    seen = {}
    real = run_report._shade_incomplete

    def spy(ax, series, cutoff):
        seen["cutoff"] = cutoff
        real(ax, series, cutoff)
        seen["shaded"] = any(p.get_label() == "incomplete" for p in ax.patches)

    monkeypatch.setattr(run_report, "_shade_incomplete", spy)
    counts = store.read_counts()
    clipped = run_report._until_cutoff(counts, dt.date(2023, 9, 30))
    assert clipped["period"].max() == "2023-09" and counts["period"].max() == "2023-12"
    html = write_report(store, tmp_path / "out").read_text(encoding="utf-8")
    assert "Data cut-off: <strong>2023-09-30</strong>" in html and "incomplete" in html
    assert seen == {"cutoff": dt.date(2023, 9, 30), "shaded": True}


def test_korean_labels_are_drawn_with_a_korean_font_when_the_system_has_one(tmp_path):
    """A CJK font installed after matplotlib listed the fonts (the usual order on a new machine) is still
    used: no Hangul glyph falls back to a font without it."""
    if not any("CJK" in p or "Nanum" in p for p in font_manager.findSystemFonts()):
        pytest.skip("no CJK font on this machine (make os-packages installs one)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_report(_store(tmp_path), tmp_path / "out")
    assert not [w for w in caught if "missing from font" in str(w.message)]
