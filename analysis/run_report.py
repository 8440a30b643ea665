"""The run report: one self-contained HTML file (charts embedded as base64 PNG, no network).

What an analyst opens after a run: the data cut-off, a summary per field, source health, the leading
technologies and every alerted series drawn with the detector's expected value and bounds, and the
alerts with their evidence ("5 of 16 documents", links to the originals and to the archived copies
served by the review app). Periods after the cut-off are not drawn; periods the publication lag
leaves incomplete are shaded, so a not-yet-published month never reads like a collapse.

Every value that reaches the page goes through Jinja2's autoescaping (the template is
`templates/run_report.html.j2`): document titles and series keys come from crawled sources and may
carry hostile HTML.
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import io
from collections import Counter
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from alerts.base import AlertStore
from alerts.embedded import EmbeddedAlertStore
from ews.kernel.files import write_text_atomic
from ews.kernel.periods import PeriodError, to_period
from ews.kernel.schema import ALERT_DIRECTIONS
from ews.kernel.series import SeriesKey
from models.detect.lag import complete_until, is_complete, lag_months_for

TOP_TECHNOLOGIES = 6
MAX_SERIES_CHARTS = 12
HIGH_SEVERITY = 0.7
CJK_FONTS = ["Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "Malgun Gothic", "DejaVu Sans"]

_env = Environment(loader=PackageLoader("analysis", "templates"), autoescape=select_autoescape(default=True))


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


@functools.cache
def _korean_fonts_known() -> None:
    """Matplotlib lists the system's fonts once and caches the list; a CJK font installed after that (by
    `make os-packages`) stays unknown and Korean labels turn into boxes. Add such fonts to the list."""
    from matplotlib import font_manager

    if {f.name for f in font_manager.fontManager.ttflist} & set(CJK_FONTS[:-1]):
        return
    for path in font_manager.findSystemFonts():
        if any(mark in Path(path).name for mark in ("CJK", "Nanum", "malgun")):
            font_manager.fontManager.addfont(path)


def _figure(width: float, height: float):
    from matplotlib import rcParams
    from matplotlib.figure import Figure  # the object API needs no pyplot state and no display

    _korean_fonts_known()
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = CJK_FONTS + list(rcParams["font.sans-serif"])
    fig = Figure(figsize=(width, height), dpi=100)
    return fig, fig.add_subplot(1, 1, 1)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _shade_incomplete(ax, series: str, cutoff: dt.date | None) -> None:
    if cutoff is None:
        return
    start = complete_until(series, cutoff)
    if start < cutoff:
        ax.axvspan(pd.Timestamp(start), pd.Timestamp(cutoff), color="#999", alpha=0.18, lw=0, label="incomplete")


def _until_cutoff(df: pd.DataFrame, cutoff: dt.date | None) -> pd.DataFrame:
    df = df.assign(start=df["period"].map(_period_start)).dropna(subset=["start"])
    return df[df["start"] <= pd.Timestamp(cutoff)] if cutoff is not None else df


def chart_png(counts: pd.DataFrame, alerts: list, names: dict[str, str], cutoff: dt.date | None = None,
              top: int = TOP_TECHNOLOGIES) -> str | None:
    """The top technologies' counts up to the cut-off, incomplete months shaded, alert periods marked."""
    tc = technology_counts(counts)
    if tc.empty:
        return None
    tc = _until_cutoff(tc, cutoff)
    if tc.empty:
        return None
    leaders = tc.groupby("technology")["count"].sum().sort_values(ascending=False).head(top).index.tolist()
    fig, ax = _figure(10, 4.8)
    for tech in leaders:
        s = tc[tc["technology"] == tech].sort_values("start")
        (line,) = ax.plot(s["start"], s["count"], label=names.get(tech, tech), linewidth=1.5)
        by_period = dict(zip(s["period"], s["count"]))
        for a in alerts:
            if a.kind != "count_deviation" or SeriesKey.read(a.series).technology != tech or a.period not in by_period:
                continue
            ax.scatter([_period_start(a.period)], [by_period[a.period]], marker="^" if a.direction == "surge" else "v",
                       s=80, color=line.get_color(), edgecolors="black", zorder=3)
    _shade_incomplete(ax, f"tech:{leaders[0]}" if leaders else "", cutoff)
    ax.set_ylabel("documents per period")
    ax.set_title("Leading technologies (alert periods marked)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    return _png(fig)


def _verdicts(rows: pd.DataFrame, series: str):
    """Every period's verdict of the detector `ews detect` uses for this series (not only the alarms)."""
    from models.detect.counts import series_from_rows
    from models.detect.select import default_detector, is_policy_series, policy_detector

    det = policy_detector() if is_policy_series(series) else default_detector()
    return det.detect(series_from_rows(rows, series))


def series_chart_png(counts: pd.DataFrame, alert, label: str, cutoff: dt.date | None) -> str | None:
    """One alerted series: observed, the detector's expected value and band, flagged periods, incomplete shaded."""
    rows = counts[counts["series"] == alert.series]
    if rows.empty:
        return None
    # flagged as `detect_counts` flags: a drop in a period the publication lag leaves incomplete is not one
    v = pd.DataFrame([{"period": d.period, "observed": d.observed, "expected": d.expected, "lower": d.lower,
                       "upper": d.upper,
                       "alarm": d.alarm and (d.direction != "drop" or is_complete(d.period, alert.series, cutoff))}
                      for d in _verdicts(rows, alert.series)])
    if v.empty:
        return None
    v = _until_cutoff(v, cutoff).sort_values("start")
    fig, ax = _figure(6.2, 3.0)
    band = v.dropna(subset=["lower", "upper"])
    if not band.empty:
        ax.fill_between(band["start"], band["lower"], band["upper"], color="#4a90d9", alpha=0.2, lw=0, label="expected range")
    ax.plot(v["start"], v["expected"], "--", color="#4a90d9", linewidth=1, label="expected")
    ax.plot(v["start"], v["observed"], color="#222", linewidth=1.3, label="observed")
    flagged = v[v["alarm"]]
    ax.scatter(flagged["start"], flagged["observed"], color="#b00020", zorder=3, s=24, label="flagged")
    here = v[v["period"] == alert.period]
    ax.scatter(here["start"], here["observed"], facecolors="none", edgecolors="#b00020", s=140, zorder=4)
    _shade_incomplete(ax, alert.series, cutoff)
    ax.set_title(label, fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="x-small")
    fig.autofmt_xdate()
    return _png(fig)


def _labels(taxonomy) -> dict[str, str]:
    names = {t.id: f"{t.name_ko} · {t.name_en}" for t in taxonomy.technologies}
    names.update({f.id: f"{f.name_ko} · {f.name_en}" for f in taxonomy.fields})
    return names


def series_label(series: str, names: dict[str, str]) -> str:
    key = SeriesKey.read(series)
    subject = names.get(key.technology or key.field or "", key.technology or key.field or series)
    if getattr(key, "dimension", None) and getattr(key, "value", None):
        return f"{subject} — {key.dimension} {key.value}"
    return subject


def field_summary(taxonomy, counts: pd.DataFrame, alerts: list, cutoff: dt.date | None) -> list[dict]:
    totals: Counter = Counter()
    if not counts.empty:
        upto = _until_cutoff(counts, cutoff)
        for series, n in upto.groupby("series")["count"].sum().items():
            key = SeriesKey.read(series)
            if key.field and key.technology is None and key.facet is None:
                totals[key.field] += int(n)
    out = []
    for f in taxonomy.fields:
        mine = [a for a in alerts if SeriesKey.read(a.series).field == f.id]
        is_open = [a for a in mine if a.status in ("new", "triaged", "confirmed")]
        out.append({"id": f.id, "name_ko": f.name_ko, "name_en": f.name_en, "documents": totals[f.id],
                    "open": len(is_open), "high": sum(a.severity >= HIGH_SEVERITY for a in is_open),
                    "reviewed": sum(a.status != "new" for a in mine)})
    return out


def latest_health(store) -> list:
    latest = {}
    for h in store.health_records():
        latest[h.source] = h  # oldest first: the last one kept is the newest
    return sorted(latest.values(), key=lambda h: h.source)


def render_report(counts: pd.DataFrame, alerts: list, stats: dict, taxonomy, cutoff: dt.date | None = None,
                  health: list | None = None, app_url: str | None = None,
                  title: str = "Technology-security early warning") -> str:
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    names = _labels(taxonomy)
    by_dir = Counter(a.direction for a in alerts)
    by_status = Counter(a.status for a in alerts)
    rows = list(stats.items()) + [(f"alerts: {d}", by_dir.get(d, 0)) for d in ALERT_DIRECTIONS
                                  if d in ("surge", "drop") or by_dir.get(d)]
    rows += [(f"alerts: {s}", n) for s, n in sorted(by_status.items())]
    listed = []
    for a in alerts:
        contrib = a.evidence.get("contributors") or {}
        docs = contrib.get("documents") or []
        listed.append({"alert": a, "label": series_label(a.series, names), "documents": docs,
                       "documents_total": contrib.get("documents_total", len(docs))})
    charts = []
    for a in sorted((a for a in alerts if a.kind == "count_deviation"), key=lambda a: -a.severity)[:MAX_SERIES_CHARTS]:
        label = f"{series_label(a.series, names)}, {a.period} {a.direction}"
        png = series_chart_png(counts, a, label, cutoff)
        if png:
            charts.append({"label": label, "png": png})
    return _env.get_template("run_report.html.j2").render(
        title=title, generated=generated, cutoff=cutoff, lag_months=lag_months_for("tech:x"), app_url=app_url,
        fields=field_summary(taxonomy, counts, alerts, cutoff), health=health or [], stats=rows,
        chart=chart_png(counts, alerts, names, cutoff), series_charts=charts, alerts=listed)


def write_report(store, out_dir: Path, alerts: AlertStore | None = None, app_url: str | None = None) -> Path:
    """Write out_dir/report.html from the store's counts and the alerts with their review status (from
    `alerts`, the alert store the entry point selected; default the embedded one on `store`); returns its path."""
    from ews.kernel.taxonomy import load_taxonomy

    path = Path(out_dir) / "report.html"
    listed = (alerts or EmbeddedAlertStore(store)).all_alerts()
    html = render_report(store.read_counts(), listed, store.stats(), load_taxonomy(), cutoff=store.data_cutoff(),
                         health=latest_health(store), app_url=app_url)
    write_text_atomic(path, html)  # never half a report
    return path
