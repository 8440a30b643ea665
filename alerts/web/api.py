"""The JSON API: alerts and their review, trends, movers, silences, documents, tag feedback, users.

Every route needs a bearer token or a login session (401 otherwise); writes need
the analyst role, user management the admin role (403 otherwise). The actor
recorded for any action is the authenticated user: a name sent by the client is
ignored.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from contextlib import contextmanager
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
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
from alerts.web.auth import require
from alerts.web.deps import get_library, get_store
from alerts.web.feedback import FeedbackStore, training_records
from alerts.web.search import DocQuery, search_elastic, search_embedded
from alerts.web.users import ROLES, User, UserError
from ews.kernel.schema import AlertDirection, AlertKind
from ews.kernel.store import Store

MAX_COMPARE = 5
E401 = {"description": "no credentials, or an invalid token"}
E403 = {"description": "the role may not do this, or the CSRF token is missing (session writes)"}
E404 = {"description": "no such object"}
E409 = {"description": "the alert changed since the version given: reload and apply the review again"}
E422 = {"description": "invalid input: the message names the field and the problem"}
E503 = {"description": "the configured store (Elasticsearch) cannot be reached"}
READ_ERRORS = {401: E401, 422: E422, 503: E503}
WRITE_ERRORS = {401: E401, 403: E403, 404: E404, 409: E409, 422: E422, 503: E503}

viewer = require("viewer")
analyst = require("analyst")
admin = require("admin")

router = APIRouter(prefix="/api")

StatusName = Literal["new", "triaged", "confirmed", "dismissed", "escalated"]


class ReviewIn(BaseModel):
    version: str = Field(min_length=1, description="the alert's version as last read")
    status: StatusName | None = None
    assignee: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=4000)


class BulkItem(BaseModel):
    id: str
    version: str


class BulkReviewIn(BaseModel):
    alerts: list[BulkItem] = Field(min_length=1, max_length=500)
    status: StatusName | None = None
    assignee: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=4000)


class SilenceIn(BaseModel):
    series: str = Field(min_length=1, max_length=300)
    direction: AlertDirection | None = None
    hours: float = Field(default=24 * 7, gt=0, le=24 * 366)
    reason: str = Field(default="", max_length=1000)


class TagsIn(BaseModel):
    technologies: list[str] = Field(max_length=50, description="technology ids; an empty list: none of the 50")


class UserIn(BaseModel):
    name: str
    role: Literal["viewer", "analyst", "admin"]
    password: str = Field(min_length=8, max_length=1000)


def alert_query(q: str | None = Query(None, max_length=500, description="free text"),
                status: StatusName | None = None, series: str | None = None, technology: str | None = None,
                field: str | None = None, direction: AlertDirection | None = None,
                kind: AlertKind | None = Query(None, description="the alert kind"),
                country: str | None = None,
                min_severity: float | None = Query(None, ge=0, le=1), period_from: str | None = None,
                period_to: str | None = None, assignee: str | None = None, include_silenced: bool = False,
                size: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0)) -> AlertQuery:
    return AlertQuery(text=q or None, status=[status] if status else None, series=series or None,
                      technology=technology or None, field=field or None, direction=direction or None,
                      kind=kind or None, country=(country or "").upper() or None, min_severity=min_severity,
                      period_from=period_from or None, period_to=period_to or None, assignee=assignee or None,
                      include_silenced=include_silenced, size=size, offset=offset)


def with_history(store: AlertStore, r) -> dict:
    return {**r.public(), "history": [h.model_dump(mode="json") for h in store.history(r.alert.id)]}


@contextmanager
def review_errors():
    """A review's store errors as HTTP errors: no such alert 404, a stale version 409, a refused change 422."""
    try:
        yield
    except AlertNotFound as e:
        raise HTTPException(404, str(e)) from None
    except ReviewConflict as e:
        raise HTTPException(409, str(e)) from None
    except (InvalidTransition, AlertStoreError) as e:
        raise HTTPException(422, str(e)) from None


def apply_review(store: AlertStore, alert_id: str, user: User, version: str, status: str | None,
                 assignee: str | None, note: str):
    """One review as the authenticated user; store errors become HTTP errors."""
    with review_errors():
        return store.review(alert_id, actor=user.name, version=version, status=status,
                            assignee=assignee or None, note=note)


def apply_incident_review(store: AlertStore, incident, user: User, versions: dict[str, str], status: str | None,
                          assignee: str | None, note: str):
    """One review of every alert of an incident as the authenticated user (alerts.incidents.review_incident)."""
    from alerts.incidents import review_incident

    with review_errors():
        return review_incident(store, incident, actor=user.name, versions=versions, status=status,
                               assignee=assignee or None, note=note)


@router.get("/me", responses=READ_ERRORS, summary="the authenticated user")
def me(user: User = Depends(viewer)) -> dict:
    return user.model_dump(mode="json")


@router.get("/alerts", responses=READ_ERRORS, summary="alerts matching the filters, highest severity first")
def list_alerts(query: AlertQuery = Depends(alert_query), store: AlertStore = Depends(get_store),
                user: User = Depends(viewer)) -> dict:
    """`count` is the number of matching alerts in all pages; `alerts` is the page asked for."""
    page, total = store.search_page(query)
    return {"alerts": [r.public() for r in page], "count": total}


@router.get("/alerts/{alert_id}", responses={**READ_ERRORS, 404: E404}, summary="one alert with version and history")
def get_alert(alert_id: str, store: AlertStore = Depends(get_store), user: User = Depends(viewer)) -> dict:
    r = store.get(alert_id)
    if r is None:
        raise HTTPException(404, f"no alert {alert_id}")
    return with_history(store, r)


@router.post("/alerts/{alert_id}/review", responses=WRITE_ERRORS, summary="change status, assignee and/or add a note")
def review_alert(alert_id: str, body: ReviewIn, store: AlertStore = Depends(get_store),
                 user: User = Depends(analyst)) -> dict:
    r = apply_review(store, alert_id, user, body.version, body.status, body.assignee, body.note)
    return with_history(store, r)


@router.post("/alerts/bulk-review", responses=WRITE_ERRORS, summary="one review applied to several alerts")
def bulk_review(body: BulkReviewIn, store: AlertStore = Depends(get_store), user: User = Depends(analyst)) -> dict:
    """Each alert is reviewed on its own: one stale version does not stop the others."""
    results = []
    for item in body.alerts:
        try:
            r = apply_review(store, item.id, user, item.version, body.status, body.assignee, body.note)
            results.append({"id": item.id, "ok": True, "version": r.version})
        except HTTPException as e:
            results.append({"id": item.id, "ok": False, "status_code": e.status_code, "error": e.detail})
    return {"results": results, "ok": sum(r["ok"] for r in results), "failed": sum(not r["ok"] for r in results)}


@router.get("/trends", responses=READ_ERRORS, summary="one count series")
def trends(series: str, period_from: str | None = None, period_to: str | None = None,
           store: AlertStore = Depends(get_store), user: User = Depends(viewer)) -> dict:
    points = store.trend(series, period_from, period_to)
    return {"series": series, "points": [{"period": p.period, "count": p.count} for p in points]}


def compare_table(store: AlertStore, series: list[str], period_from: str | None, period_to: str | None
                  ) -> tuple[list[str], dict[str, dict[str, int]]]:
    if not series:
        raise HTTPException(422, "series: give at least one series")
    if len(series) > MAX_COMPARE:
        raise HTTPException(422, f"series: at most {MAX_COMPARE} series can be compared, got {len(series)}")
    table = {s: {p.period: p.count for p in store.trend(s, period_from, period_to)} for s in series}
    periods = sorted({p for t in table.values() for p in t})
    return periods, table


@router.get("/trends/compare", responses=READ_ERRORS, summary=f"up to {MAX_COMPARE} series on common periods")
def compare(series: list[str] = Query(...), period_from: str | None = None, period_to: str | None = None,
            store: AlertStore = Depends(get_store), user: User = Depends(viewer)) -> dict:
    periods, table = compare_table(store, series, period_from, period_to)
    return {"periods": periods, "series": [{"series": s, "counts": [table[s].get(p, 0) for p in periods]}
                                           for s in series]}


@router.get("/trends.csv", responses=READ_ERRORS, summary="the compared series as CSV (series,period,count)",
            response_class=Response)
def trends_csv(series: list[str] = Query(...), period_from: str | None = None, period_to: str | None = None,
               store: AlertStore = Depends(get_store), user: User = Depends(viewer)) -> Response:
    periods, table = compare_table(store, series, period_from, period_to)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["series", "period", "count"])
    for s in series:
        for p in periods:
            w.writerow([s, p, table[s].get(p, 0)])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="trends.csv"'})


@router.get("/movers", responses=READ_ERRORS, summary="technologies ranked by change from the previous period")
def movers(n: int = Query(10, ge=1, le=100),
           period: str | None = Query(None, description="default: the newest period with data that the data "
                                                         "cut-off covers whole (never a zero-filled one)"),
           store: AlertStore = Depends(get_store), user: User = Depends(viewer)) -> dict:
    return {"movers": [m.model_dump() for m in store.top_movers(n, period)]}


@router.get("/silences", responses=READ_ERRORS, summary="silences (active ones by default)")
def list_silences(active: bool = True, store: AlertStore = Depends(get_store), user: User = Depends(viewer)) -> dict:
    return {"silences": [s.model_dump(mode="json") for s in store.silences(now_utc() if active else None)]}


@router.post("/silences", status_code=201, responses=WRITE_ERRORS, summary="hide matching alerts for a while")
def add_silence(body: SilenceIn, store: AlertStore = Depends(get_store), user: User = Depends(analyst)) -> dict:
    """`series` is a series key or a glob (* and ?) that must match a series with count rows or alerts: a
    silence of a misspelt key would hide nothing and look as if it worked."""
    if not store.series_exists(body.series):
        raise HTTPException(422, f"series: no series {body.series!r} has counts or alerts (a series key such as "
                                 "'tech:semi.memory' or a glob such as 'tech:semi.*')")
    start = now_utc()
    s = Silence(series=body.series, direction=body.direction, starts=start,
                ends=start + dt.timedelta(hours=body.hours), reason=body.reason, created_by=user.name)
    return store.add_silence(s).model_dump(mode="json")


def run_document_search(request: Request, store: AlertStore, library: Store, q: DocQuery):
    es, names = getattr(store, "es", None), getattr(store, "names", None)
    if es is not None and names and "documents" in names:
        return search_elastic(es, names["documents"].read, q)
    tagged = {t.doc_id: t for t in library.iter_tagged()}
    return search_embedded(library.iter_documents(), tagged, q)


@router.get("/documents", responses=READ_ERRORS, summary="full-text document search with filters")
def documents(request: Request, q: str = Query("", max_length=500), kind: str | None = None,
              source: str | None = None, country: str | None = None, lang: str | None = None,
              technology: str | None = None, field: str | None = None, date_from: str | None = None,
              date_to: str | None = None, size: int = Query(20, ge=1, le=200), offset: int = Query(0, ge=0),
              store: AlertStore = Depends(get_store), library: Store = Depends(get_library),
              user: User = Depends(viewer)) -> dict:
    query = DocQuery(text=q, kind=kind, source=source, country=country, lang=lang, technology=technology,
                     field=field, date_from=date_from, date_to=date_to, size=size, offset=offset)
    hits, total = run_document_search(request, store, library, query)
    return {"documents": [h.model_dump() for h in hits], "count": total}


@router.get("/documents/{doc_id}", responses={**READ_ERRORS, 404: E404}, summary="one document with its tags")
def get_document(doc_id: str, request: Request, library: Store = Depends(get_library),
                 user: User = Depends(viewer)) -> dict:
    doc = library.get_document(doc_id)
    if doc is None:
        raise HTTPException(404, f"no document {doc_id}")
    tagged = library.get_tagged(doc_id)
    fb = FeedbackStore(request.app.state.home)
    return {**doc.model_dump(mode="json"), "tagging": tagged.tagging.model_dump() if tagged else None,
            "feedback": [j.model_dump(mode="json") for j in fb.history(doc_id)]}


def record_tags(request: Request, library: Store, doc_id: str, technologies: list[str], user: User):
    taxonomy = request.app.state.taxonomy
    unknown = sorted(set(technologies) - set(taxonomy.technology_ids))
    if unknown:
        raise HTTPException(422, f"technologies: unknown ids {', '.join(unknown)} (taxonomy {taxonomy.version})")
    if library.get_document(doc_id) is None:
        raise HTTPException(404, f"no document {doc_id}")
    tagged = library.get_tagged(doc_id)
    previous = [t.id for t in tagged.tagging.technologies] if tagged else []
    return FeedbackStore(request.app.state.home).record(doc_id, technologies, previous, user.name)


@router.post("/documents/{doc_id}/tags", responses=WRITE_ERRORS, summary="confirm or correct a document's technologies")
def tag_document(doc_id: str, body: TagsIn, request: Request, library: Store = Depends(get_library),
                 user: User = Depends(analyst)) -> dict:
    return record_tags(request, library, doc_id, body.technologies, user).model_dump(mode="json")


@router.get("/tag-feedback.jsonl", responses=READ_ERRORS, response_class=Response,
            summary="the analysts' judgements as `ews train` input (JSON Lines with explicit labels)")
def tag_feedback_export(request: Request, user: User = Depends(analyst)) -> Response:
    lines = [json.dumps(r, ensure_ascii=False) for r in training_records(request.app.state.home)]
    return Response("\n".join(lines) + ("\n" if lines else ""), media_type="application/x-ndjson",
                    headers={"Content-Disposition": 'attachment; filename="tag-feedback.jsonl"'})


@router.get("/users", responses={**READ_ERRORS, 403: E403}, summary="the app's users (admin)")
def list_users(request: Request, user: User = Depends(admin)) -> dict:
    return {"users": [u.model_dump(mode="json") for u in request.app.state.users.list()], "roles": list(ROLES)}


@router.post("/users", status_code=201, responses=WRITE_ERRORS, summary="add a user (admin)")
def add_user(body: UserIn, request: Request, user: User = Depends(admin)) -> dict:
    try:
        return request.app.state.users.add(body.name, body.role, body.password).model_dump(mode="json")
    except UserError as e:
        raise HTTPException(409 if "exists" in str(e) else 422, str(e)) from None


@router.delete("/users/{name}", responses=WRITE_ERRORS, summary="remove a user and their tokens (admin)")
def remove_user(name: str, request: Request, user: User = Depends(admin)) -> dict:
    if name == user.name:
        raise HTTPException(422, "you cannot remove yourself")
    try:
        request.app.state.users.remove(name)
    except UserError as e:
        raise HTTPException(404, str(e)) from None
    return {"removed": name}
