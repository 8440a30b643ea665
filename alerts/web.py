"""The analyst review app: a JSON API over the alert store and a plain HTML page.

`ews serve` runs `create_app()` under uvicorn. The page needs no JavaScript:
lists and forms are server-rendered, every value autoescaped.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, Field

from alerts.base import (
    AlertNotFound,
    AlertQuery,
    AlertStore,
    AlertStoreError,
    InvalidTransition,
    ReviewConflict,
    Silence,
    now_utc,
)
from ews.kernel.schema import ALERT_DIRECTIONS, ALERT_STATUSES, AlertDirection, AlertStatus

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}th{background:#f2f2f2}
.surge{color:#b00020}.drop{color:#0b5394}.silent,.failure{color:#7a4a00}.err{color:#b00020;font-weight:bold}</style></head><body>
<h1>{{ title }}</h1>{% block body %}{% endblock %}</body></html>"""

_LIST = _PAGE.replace("{% block body %}{% endblock %}", """
<form method="get" action="/">
<input name="q" placeholder="search" value="{{ q or '' }}">
<select name="status"><option value="">any status</option>
{% for s in statuses %}<option value="{{ s }}" {% if s == status %}selected{% endif %}>{{ s }}</option>{% endfor %}</select>
<select name="direction"><option value="">any direction</option>
{% for d in directions %}<option value="{{ d }}" {% if d == direction %}selected{% endif %}>{{ d }}</option>{% endfor %}</select>
<button>filter</button></form>
<p>{{ alerts|length }} alerts shown.</p>
<table><tr><th>severity</th><th>series</th><th>period</th><th>direction</th><th>observed</th><th>expected</th>
<th>status</th><th>assignee</th><th>explanation</th></tr>
{% for r in alerts %}<tr><td>{{ '%.2f' % r.alert.severity }}</td>
<td><a href="/alerts/{{ r.alert.id }}">{{ r.alert.series }}</a></td><td>{{ r.alert.period }}</td>
<td class="{{ r.alert.direction }}">{{ r.alert.direction }}</td><td>{{ '—' if r.alert.observed is none else '%g' % r.alert.observed }}</td>
<td>{{ '—' if r.alert.expected is none else '%.1f' % r.alert.expected }}</td><td>{{ r.alert.status }}</td><td>{{ r.assignee or '' }}</td>
<td>{{ r.alert.explanation }}</td></tr>{% endfor %}</table>""")

_DETAIL = _PAGE.replace("{% block body %}{% endblock %}", """
<p><a href="/">all alerts</a></p>
{% if error %}<p class="err">{{ error }}</p>{% endif %}
<table>{% for k, v in fields %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}</table>
<h2>Trend of {{ r.alert.series }}</h2>
<table><tr><th>period</th><th>count</th></tr>{% for p in trend %}<tr{% if p.period == r.alert.period %} style="font-weight:bold"{% endif %}>
<td>{{ p.period }}</td><td>{{ p.count }}</td></tr>{% endfor %}</table>
<h2>Review</h2>
<form method="post" action="/alerts/{{ r.alert.id }}/review">
<input type="hidden" name="version" value="{{ r.version }}">
<label>you <input name="actor" required></label>
<label>status <select name="status"><option value="">(unchanged)</option>
{% for s in next_statuses %}<option value="{{ s }}">{{ s }}</option>{% endfor %}</select></label>
<label>assignee <input name="assignee" value=""></label>
<label>note <input name="note" size="60"></label><button>save</button></form>
<h2>History</h2>
<table><tr><th>when</th><th>who</th><th>what</th><th>note</th></tr>
{% for h in history %}<tr><td>{{ h.at.strftime('%Y-%m-%d %H:%M') }}</td><td>{{ h.actor }}</td>
<td>{{ h.action }} {{ h.from_status or '' }}{% if h.to_status %} → {{ h.to_status }}{% endif %}{{ ' ' ~ h.assignee if h.assignee else '' }}</td>
<td>{{ h.note }}</td></tr>{% endfor %}</table>""")


class ReviewIn(BaseModel):
    actor: str = Field(min_length=1)
    version: str = Field(min_length=1)
    status: AlertStatus | None = None
    assignee: str | None = None
    note: str = ""


class SilenceIn(BaseModel):
    series: str = Field(min_length=1)
    direction: AlertDirection | None = None
    hours: float = Field(default=24 * 7, gt=0, le=24 * 366)
    reason: str = ""
    created_by: str = Field(min_length=1)


REPORT_TYPES = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf", ".md": "text/markdown; charset=utf-8",
                ".json": "application/json", ".png": "image/png"}
_pages = Environment(loader=PackageLoader("alerts", "pages"), autoescape=select_autoescape(default=True))


def list_reports(reports_dir: Path) -> list[dict]:
    """The report files under the reports folder (run report, briefings, annual reports), newest first."""
    if not reports_dir.is_dir():
        return []
    files = [p for p in reports_dir.rglob("*") if p.is_file() and p.suffix in REPORT_TYPES
             and not p.name.startswith(".")]
    files.sort(key=lambda p: (-p.stat().st_mtime, str(p)))
    return [{"path": p.relative_to(reports_dir).as_posix(), "kind": p.suffix[1:], "size": p.stat().st_size,
             "modified": dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d %H:%M")}
            for p in files]


def create_app(store_factory: Callable[[], AlertStore] | None = None, settings=None,
               reports_dir: Path | None = None) -> FastAPI:
    """The app; `store_factory` opens an alert store (default: the one `settings` select, the settings
    built once here when not given); `reports_dir` holds the reports it lists and serves (default: the
    settings' reports folder).

    A store is opened per request and closed after it: SQLite connections
    belong to one thread, and requests run in a thread pool.
    """
    from alerts.stores import open_alert_store

    if store_factory is None:
        if settings is None:
            from ews.kernel.config import load_settings

            settings = load_settings()
        chosen = settings

        def store_factory() -> AlertStore:
            return open_alert_store(chosen)
    factory = store_factory
    app = FastAPI(title="Technology-security early warning: alert review", version="1")

    def get_store() -> Iterator[AlertStore]:
        store = factory()
        try:
            yield store
        finally:
            store.close()

    def _query(q, status, series, technology, direction, min_severity, period_from, period_to, assignee,
               include_silenced, size, offset, field=None) -> AlertQuery:
        try:
            return AlertQuery(text=q or None, status=[status] if status else None, series=series or None,
                              technology=technology or None, field=field or None, direction=direction or None, min_severity=min_severity,
                              period_from=period_from or None, period_to=period_to or None, assignee=assignee or None,
                              include_silenced=include_silenced, size=size, offset=offset)
        except ValueError as e:
            raise HTTPException(422, str(e)) from None

    @app.get("/api/alerts")
    def list_alerts(store: AlertStore = Depends(get_store), q: str | None = None, status: str | None = None,
                    series: str | None = None, technology: str | None = None, field: str | None = None,
                    direction: str | None = None, min_severity: float | None = Query(None, ge=0, le=1), period_from: str | None = None,
                    period_to: str | None = None, assignee: str | None = None, include_silenced: bool = False,
                    size: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict:
        query = _query(q, status, series, technology, direction, min_severity, period_from, period_to, assignee,
                       include_silenced, size, offset, field)
        found = store.search(query)
        return {"alerts": [r.public() for r in found], "count": len(found)}

    @app.get("/api/alerts/{alert_id}")
    def get_alert(alert_id: str, store: AlertStore = Depends(get_store)) -> dict:
        r = store.get(alert_id)
        if r is None:
            raise HTTPException(404, f"no alert {alert_id}")
        return {**r.public(), "history": [h.model_dump(mode="json") for h in store.history(alert_id)]}

    @app.post("/api/alerts/{alert_id}/review")
    def review_alert(alert_id: str, body: ReviewIn, store: AlertStore = Depends(get_store)) -> dict:
        try:
            r = store.review(alert_id, actor=body.actor, version=body.version, status=body.status,
                             assignee=body.assignee or None, note=body.note)
        except AlertNotFound as e:
            raise HTTPException(404, str(e)) from None
        except ReviewConflict as e:
            raise HTTPException(409, str(e)) from None
        except (InvalidTransition, AlertStoreError) as e:
            raise HTTPException(422, str(e)) from None
        return {**r.public(), "history": [h.model_dump(mode="json") for h in store.history(alert_id)]}

    @app.get("/api/trends")
    def trends(series: str, period_from: str | None = None, period_to: str | None = None,
               store: AlertStore = Depends(get_store)) -> dict:
        points = store.trend(series, period_from, period_to)
        return {"series": series, "points": [{"period": p.period, "count": p.count} for p in points]}

    @app.get("/api/movers")
    def movers(n: int = Query(10, ge=1, le=100), period: str | None = None,
               store: AlertStore = Depends(get_store)) -> dict:
        return {"movers": [m.model_dump() for m in store.top_movers(n, period)]}

    @app.get("/api/silences")
    def list_silences(active: bool = True, store: AlertStore = Depends(get_store)) -> dict:
        return {"silences": [s.model_dump(mode="json") for s in store.silences(now_utc() if active else None)]}

    @app.post("/api/silences", status_code=201)
    def add_silence(body: SilenceIn, store: AlertStore = Depends(get_store)) -> dict:
        start = now_utc()
        s = Silence(series=body.series, direction=body.direction, starts=start,
                    ends=start + dt.timedelta(hours=body.hours), reason=body.reason, created_by=body.created_by)
        return store.add_silence(s).model_dump(mode="json")

    @app.get("/", response_class=HTMLResponse)
    def index(store: AlertStore = Depends(get_store), q: str | None = None, status: str | None = None,
              direction: str | None = None) -> str:
        query = _query(q, status, None, None, direction, None, None, None, None, False, 500, 0)
        return _env.from_string(_LIST).render(title="Alerts", alerts=store.search(query), q=q, status=status,
                                              direction=direction, directions=ALERT_DIRECTIONS,
                                              statuses=ALERT_STATUSES)

    @app.get("/alerts/{alert_id}", response_class=HTMLResponse)
    def detail(alert_id: str, request: Request, store: AlertStore = Depends(get_store)) -> str:
        from alerts.base import TRANSITIONS

        r = store.get(alert_id)
        if r is None:
            raise HTTPException(404, f"no alert {alert_id}")
        a = r.alert
        fields = [("kind", a.kind), ("series", a.series), ("period", a.period), ("direction", a.direction),
                  ("observed", "—" if a.observed is None else f"{a.observed:g}"),
                  ("expected", "—" if a.expected is None else f"{a.expected:.1f}"),
                  ("severity", f"{a.severity:.2f}"), ("status", a.status), ("assignee", r.assignee or ""),
                  ("method", a.method), ("explanation", a.explanation),
                  ("first seen", a.first_seen.isoformat()), ("last seen", a.last_seen.isoformat())]
        return _env.from_string(_DETAIL).render(
            title=f"Alert {a.series} {a.period}", r=r, fields=fields, trend=store.trend(a.series),
            history=store.history(alert_id), next_statuses=sorted(TRANSITIONS.get(a.status, ())),
            error=request.query_params.get("error"))

    @app.post("/alerts/{alert_id}/review")
    def review_form(alert_id: str, actor: str = Form(...), version: str = Form(...), status: str = Form(""),
                    assignee: str = Form(""), note: str = Form(""), store: AlertStore = Depends(get_store)):
        from urllib.parse import quote

        try:
            store.review(alert_id, actor=actor, version=version, status=status or None,
                         assignee=assignee or None, note=note)
        except AlertNotFound as e:
            raise HTTPException(404, str(e)) from None
        except AlertStoreError as e:  # conflict or invalid transition: show it on the page
            return RedirectResponse(f"/alerts/{quote(alert_id)}?error={quote(str(e))}", status_code=303)
        return RedirectResponse(f"/alerts/{quote(alert_id)}", status_code=303)

    @app.get("/reports", response_class=HTMLResponse)
    def reports_page() -> str:
        return _pages.get_template("reports.html.j2").render(files=list_reports(_reports_dir()))

    @app.get("/reports/{path:path}")
    def report_file(path: str) -> FileResponse:
        base = _reports_dir().resolve()
        target = (base / path).resolve()
        # a path that leaves the reports folder (.., absolute, symlink out) is not a report
        if not target.is_relative_to(base) or not target.is_file() or target.suffix not in REPORT_TYPES:
            raise HTTPException(404, f"no report {path}")
        return FileResponse(target, media_type=REPORT_TYPES[target.suffix])

    def _reports_dir() -> Path:
        if reports_dir is not None:
            return Path(reports_dir)
        if settings is not None:
            return settings.reports_dir
        from ews.kernel.config import load_settings

        return load_settings().reports_dir

    return app
