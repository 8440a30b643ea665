"""The run report: one self-contained HTML file (charts embedded as base64 PNG, no network).

Every value that reaches the page goes through Jinja2's autoescaping: document
titles and series keys come from crawled sources and may carry hostile HTML.
"""
from __future__ import annotations

import base64
import datetime as dt
import io
from collections import Counter
from pathlib import Path

import pandas as pd
from jinja2 import Environment, select_autoescape

from alerts.base import AlertStore
from alerts.embedded import EmbeddedAlertStore
from ews.kernel.files import write_text_atomic
from ews.kernel.periods import PeriodError, to_period
from ews.kernel.schema import ALERT_DIRECTIONS
from ews.kernel.series import SeriesKey

TOP_TECHNOLOGIES = 6

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ title }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f2f2f2} td.num{text-align:right;font-variant-numeric:tabular-nums}
.surge{color:#b00020}.drop{color:#0b5394}.silent,.failure{color:#7a4a00} img{max-width:100%}
</style></head><body>
<h1>{{ title }}</h1>
<p>Generated {{ generated }}.</p>
<h2>Run statistics</h2>
<table>{% for k, v in stats %}<tr><th>{{ k }}</th><td class="num">{{ v }}</td></tr>{% endfor %}</table>
<h2>Monthly counts of the leading technologies</h2>
{% if chart %}<img alt="counts per period of the leading technologies, alert periods marked" src="data:image/png;base64,{{ chart }}">
<p>Markers: ▲ surge alert, ▼ drop alert, on the series they were raised for.</p>
{% else %}<p>No count series yet.</p>{% endif %}
<h2>Alerts ({{ alerts|length }})</h2>
{% if alerts %}<table>
<tr><th>severity</th><th>series</th><th>period</th><th>direction</th><th>observed</th><th>expected</th><th>status</th><th>explanation</th></tr>
{% for a in alerts %}<tr id="alert-{{ a.id }}">
<td class="num">{{ '%.2f' % a.severity }}</td><td>{{ a.series }}</td><td>{{ a.period }}</td>
<td class="{{ a.direction }}">{{ a.direction }}</td><td class="num">{{ '—' if a.observed is none else '%g' % a.observed }}</td>
<td class="num">{{ '—' if a.expected is none else '%.1f' % a.expected }}</td><td>{{ a.status }}</td><td>{{ a.explanation }}
{% set docs = (a.evidence.get('contributors') or {}).get('documents') or [] %}
{% if docs %}<details><summary>{{ docs|length }} documents</summary><ul>
{% for d in docs %}<li>{{ d.title }}{% if d.url %} — {{ d.url }}{% endif %}</li>{% endfor %}</ul></details>{% endif %}
</td></tr>{% endfor %}
</table>{% else %}<p>No alerts.</p>{% endif %}
</body></html>
"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def _period_start(p: str):
    try:
        return to_period(p).start_time
    except PeriodError:
        return None


def technology_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Counts per technology and period: the technology-level series (no facet) where present, else summed over facets."""
    if counts.empty:
        return pd.DataFrame(columns=["technology", "period", "count"])
    df = counts.copy()
    parts = df["series"].map(SeriesKey.read)
    df["technology"] = parts.map(lambda p: p.technology)
    df["faceted"] = parts.map(lambda p: p.facet is not None)
    df = df.dropna(subset=["technology"])
    plain = df[~df["faceted"]]
    summed = df[df["faceted"] & ~df["technology"].isin(set(plain["technology"]))]
    out = pd.concat([plain, summed])
    return out.groupby(["technology", "period"], as_index=False)["count"].sum()


def chart_png(counts: pd.DataFrame, alerts: list, top: int = TOP_TECHNOLOGIES) -> str | None:
    """A line chart of the top technologies' counts with alert periods marked, as base64 PNG."""
    from matplotlib.figure import Figure  # the object API needs no pyplot state and no display

    tc = technology_counts(counts)
    if tc.empty:
        return None
    tc["start"] = tc["period"].map(_period_start)
    tc = tc.dropna(subset=["start"])
    leaders = tc.groupby("technology")["count"].sum().sort_values(ascending=False).head(top).index.tolist()
    fig = Figure(figsize=(10, 4.8), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    for tech in leaders:
        s = tc[tc["technology"] == tech].sort_values("start")
        (line,) = ax.plot(s["start"], s["count"], label=tech, linewidth=1.5)
        by_period = dict(zip(s["period"], s["count"]))
        for a in alerts:
            if SeriesKey.read(a.series).technology != tech or a.period not in by_period:
                continue
            ax.scatter([_period_start(a.period)], [by_period[a.period]], marker="^" if a.direction == "surge" else "v",
                       s=80, color=line.get_color(), edgecolors="black", zorder=3)
    ax.set_ylabel("documents per period")
    ax.set_title("Leading technologies (alert periods marked)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def render_report(counts: pd.DataFrame, alerts: list, stats: dict, title: str = "Technology-security early warning") -> str:
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    by_dir = Counter(a.direction for a in alerts)
    by_status = Counter(a.status for a in alerts)
    rows = list(stats.items()) + [(f"alerts: {d}", by_dir.get(d, 0)) for d in ALERT_DIRECTIONS
                                  if d in ("surge", "drop") or by_dir.get(d)]
    rows += [(f"alerts: {s}", n) for s, n in sorted(by_status.items())]
    return _env.from_string(_TEMPLATE).render(
        title=title, generated=generated, stats=rows, chart=chart_png(counts, alerts), alerts=alerts)


def write_report(store, out_dir: Path, alerts: AlertStore | None = None) -> Path:
    """Write out_dir/report.html from the store's counts and the alerts with their review status (from
    `alerts`, the alert store the entry point selected; default the embedded one on `store`); returns its path."""
    path = Path(out_dir) / "report.html"
    listed = (alerts or EmbeddedAlertStore(store)).all_alerts()
    write_text_atomic(path, render_report(store.read_counts(), listed, store.stats()))  # never half a report
    return path
