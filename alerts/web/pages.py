"""Server-rendered pages: login, the 12 fields, a field's dashboard, the queue, an alert, trends, search, documents.

Every value is autoescaped by Jinja; chart data travels as JSON in
`<script type="application/json">` blocks (escaped by `tojson`) read by the
static chart script, so no page has inline script. Forms that change state
carry the session's CSRF token and need the analyst role.
"""
from __future__ import annotations

import math
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from alerts.base import TRANSITIONS, AlertQuery, AlertStore, AlertStoreError
from alerts.web import views
from alerts.web.api import MAX_COMPARE, alert_query, apply_review, compare_table, record_tags, run_document_search
from alerts.web.auth import SESSION_USER, require
from alerts.web.deps import get_library, get_store
from alerts.web.feedback import FeedbackStore
from alerts.web.i18n import templates, translator
from alerts.web.search import DocQuery
from alerts.web.security import csrf_ok, csrf_token
from alerts.web.users import ROLES, User, UserError
from ews.kernel.schema import ALERT_DIRECTIONS, ALERT_KINDS
from ews.kernel.store import Store

PAGE_SIZE = 25
STATUSES = ["new", "triaged", "confirmed", "dismissed", "escalated"]
DIRECTIONS = list(ALERT_DIRECTIONS)
KINDS = list(ALERT_KINDS)

router = APIRouter(include_in_schema=False)
viewer = require("viewer", page=True)
analyst = require("analyst", page=True)


def render(request: Request, name: str, status_code: int = 200, **context):
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, status_code: int, message: str):
    return render(request, "error.html", status_code=status_code, code=status_code, message=message)


def _safe_next(target: str | None) -> str:
    # only paths of this app: never '//host' or 'https://...' (an open redirect)
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# login ---------------------------------------------------------------------------
@router.get("/login")
def login_form(request: Request, next: str | None = None):
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), csrf_token_: str = Form("", alias="csrf_token"),
          next: str = Form("/")):
    t = translator_of(request)
    limiter = request.app.state.limiter
    if not csrf_ok(request, csrf_token_):
        return render(request, "login.html", status_code=403, next=_safe_next(next), error=t("login.csrf"))
    wait = limiter.retry_after(_client(request), username)
    if wait:
        resp = render(request, "login.html", status_code=429, next=_safe_next(next),
                      error=t("login.too_many", seconds=wait))
        resp.headers["Retry-After"] = str(wait)
        return resp
    user = request.app.state.users.authenticate(username, password)
    if user is None:
        limiter.failed(_client(request), username)
        return render(request, "login.html", status_code=401, next=_safe_next(next), error=t("login.failed"))
    limiter.succeeded(_client(request), username)
    lang = request.session.get("lang")
    request.session.clear()  # a fresh session (and CSRF token) at login: no fixation
    request.session[SESSION_USER] = user.name
    if lang:
        request.session["lang"] = lang
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token_: str = Form("", alias="csrf_token")):
    if not csrf_ok(request, csrf_token_):
        raise HTTPException(403, "missing or wrong CSRF token")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def translator_of(request: Request):
    from alerts.web.i18n import language

    return translator(language(request))


# fields ----------------------------------------------------------------------------
@router.get("/")
def landing(request: Request, store: AlertStore = Depends(get_store), user: User = Depends(viewer)):
    return render(request, "landing.html", fields=views.landing(store, request.app.state.taxonomy))


@router.get("/fields/{field_id}")
def field_dashboard(field_id: str, request: Request, store: AlertStore = Depends(get_store),
                    library: Store = Depends(get_library), user: User = Depends(viewer)):
    taxonomy = request.app.state.taxonomy
    if field_id not in taxonomy.field_ids:
        raise HTTPException(404, f"no field {field_id}")
    field = taxonomy.field(field_id)
    alerts, total = views.open_alerts(store, field_id)
    sparks = views.sparklines(store, [t.id for t in field.technologies])
    return render(request, "field.html", field=field, alerts=alerts[:15], total=total,
                  bands=views.by_severity(alerts), sparks=sparks, movers=views.field_movers(store, field_id),
                  documents=views.newest_documents(library, field_id))


# queue ------------------------------------------------------------------------------
@router.get("/queue")
def queue(request: Request, page: int = 1, store: AlertStore = Depends(get_store), user: User = Depends(viewer)):
    params = {k: v for k, v in request.query_params.items() if v and k not in ("page", "lang", "size", "offset")}
    page = max(1, page)
    query: AlertQuery = alert_query(
        q=params.get("q"), status=params.get("status") if params.get("status") in STATUSES else None,
        series=None, technology=params.get("technology"), field=params.get("field"),
        direction=params.get("direction") if params.get("direction") in DIRECTIONS else None,
        kind=params.get("kind") if params.get("kind") in KINDS else None, country=params.get("country"),
        min_severity=_float(params.get("min_severity")), period_from=params.get("period_from"),
        period_to=params.get("period_to"), assignee=params.get("assignee"), include_silenced=False,
        size=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    alerts, total = store.search_page(query)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return render(request, "queue.html", alerts=alerts, total=total, page=page, pages=pages, params=params,
                  statuses=STATUSES, directions=DIRECTIONS, kinds=KINDS,
                  page_url=lambda n: "/queue?" + urlencode({**params, "page": n}),
                  notice=request.query_params.get("notice"))


def _float(v: str | None) -> float | None:
    try:
        f = float(v) if v else None
    except ValueError:
        return None
    return f if f is None or 0 <= f <= 1 else None


@router.post("/queue/bulk")
async def queue_bulk(request: Request, store: AlertStore = Depends(get_store), user: User = Depends(analyst)):
    form = await request.form()
    t = translator_of(request)
    picked = form.getlist("alert")  # each 'id@version'
    status = form.get("status") or None
    assignee = (form.get("assignee") or "").strip() or None
    ok = failed = 0
    problems = []
    for item in picked[:500]:
        alert_id, _, version = str(item).rpartition("@")
        try:
            apply_review(store, alert_id, user, version, status, assignee, str(form.get("note") or ""))
            ok += 1
        except HTTPException as e:
            failed += 1
            problems.append(str(e.detail))
    notice = t("queue.bulk_done", ok=ok, failed=failed) + (f" {problems[0]}" if problems else "")
    back = _safe_next(str(form.get("back") or "/queue"))
    sep = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{sep}notice={quote(notice)}", status_code=303)


# alert ---------------------------------------------------------------------------------
@router.get("/alerts/{alert_id}")
def alert_detail(alert_id: str, request: Request, store: AlertStore = Depends(get_store),
                 library: Store = Depends(get_library), user: User = Depends(viewer)):
    r = store.get(alert_id)
    if r is None:
        raise HTTPException(404, f"no alert {alert_id}")
    return render(request, "alert.html", r=r, chart=views.alert_chart(store, r), evidence=views.evidence(library, r),
                  history=store.history(alert_id), next_statuses=sorted(TRANSITIONS.get(r.alert.status, ())),
                  error=request.query_params.get("error"), notice=request.query_params.get("notice"))


@router.post("/alerts/{alert_id}/review")
def review_form(alert_id: str, request: Request, version: str = Form(...), status: str = Form(""),
                assignee: str = Form(""), note: str = Form(""), store: AlertStore = Depends(get_store),
                user: User = Depends(analyst)):
    t = translator_of(request)
    try:
        apply_review(store, alert_id, user, version, status or None, assignee.strip() or None, note)
    except HTTPException as e:
        if e.status_code == 404:
            raise
        message = t("alert.conflict") if e.status_code == 409 else str(e.detail)
        return RedirectResponse(f"/alerts/{quote(alert_id)}?error={quote(message)}", status_code=303)
    return RedirectResponse(f"/alerts/{quote(alert_id)}?notice={quote(t('alert.saved'))}", status_code=303)


@router.post("/alerts/{alert_id}/silence")
def silence_form(alert_id: str, request: Request, hours: float = Form(168), reason: str = Form(""),
                 store: AlertStore = Depends(get_store), user: User = Depends(analyst)):
    from alerts.web.api import SilenceIn, add_silence

    r = store.get(alert_id)
    if r is None:
        raise HTTPException(404, f"no alert {alert_id}")
    try:
        body = SilenceIn(series=r.alert.series, direction=r.alert.direction, hours=hours, reason=reason)
        add_silence(body, store, user)
    except (ValueError, AlertStoreError) as e:
        return RedirectResponse(f"/alerts/{quote(alert_id)}?error={quote(str(e)[:300])}", status_code=303)
    return RedirectResponse(f"/alerts/{quote(alert_id)}?notice={quote(translator_of(request)('alert.silenced'))}",
                            status_code=303)


# trends -------------------------------------------------------------------------------------
@router.get("/trends")
def trend_explorer(request: Request, store: AlertStore = Depends(get_store), library: Store = Depends(get_library),
                   user: User = Depends(viewer)):
    chosen = [s for s in request.query_params.getlist("series") if s.strip()][:MAX_COMPARE]
    period_from = request.query_params.get("period_from") or None
    period_to = request.query_params.get("period_to") or None
    chart = None
    if chosen:
        periods, table = compare_table(store, chosen, period_from, period_to)
        chart = {"periods": periods, "series": [{"series": s, "counts": [table[s].get(p, 0) for p in periods]}
                                                for s in chosen]}
    csv_url = "/api/trends.csv?" + urlencode([("series", s) for s in chosen] +
                                             [(k, v) for k, v in (("period_from", period_from),
                                                                  ("period_to", period_to)) if v])
    return render(request, "trends.html", chosen=chosen, chart=chart, choices=views.series_choices(library),
                  period_from=period_from or "", period_to=period_to or "", csv_url=csv_url, max_compare=MAX_COMPARE)


# documents ------------------------------------------------------------------------------------
@router.get("/search")
def search_page(request: Request, page: int = 1, store: AlertStore = Depends(get_store),
                library: Store = Depends(get_library), user: User = Depends(viewer)):
    p = request.query_params
    page = max(1, page)
    q = DocQuery(text=(p.get("q") or "")[:500], kind=p.get("kind") or None, source=p.get("source") or None,
                 country=(p.get("country") or "").upper() or None, lang=p.get("doc_lang") or None,
                 technology=p.get("technology") or None, date_from=p.get("date_from") or None,
                 date_to=p.get("date_to") or None, size=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    hits, total = run_document_search(request, store, library, q)
    params = {k: v for k, v in p.items() if v and k not in ("page", "lang")}
    return render(request, "search.html", q=q, hits=hits, total=total, page=page,
                  pages=max(1, math.ceil(total / PAGE_SIZE)), params=params,
                  page_url=lambda n: "/search?" + urlencode({**params, "page": n}))


@router.get("/documents/{doc_id}")
def document_page(doc_id: str, request: Request, library: Store = Depends(get_library), user: User = Depends(viewer)):
    doc = library.get_document(doc_id)
    if doc is None:
        raise HTTPException(404, f"no document {doc_id}")
    tagged = library.get_tagged(doc_id)
    feedback = FeedbackStore(request.app.state.home).history(doc_id)
    current = feedback[-1].technologies if feedback else [t.id for t in tagged.tagging.technologies] if tagged else []
    return render(request, "document.html", doc=doc, tagged=tagged, feedback=feedback, current=set(current),
                  notice=request.query_params.get("notice"))


@router.get("/documents/{doc_id}/archived")
def archived_copy(doc_id: str, library: Store = Depends(get_library), user: User = Depends(viewer)):
    """The response as archived when crawled. Served as plain text (or a PDF download) in a sandbox:
    a crawled page is hostile and must never run as this app's HTML."""
    doc = library.get_document(doc_id)
    if doc is None or not doc.raw_ref:
        raise HTTPException(404, f"no archived copy of document {doc_id}")
    try:
        meta, body = library.get_raw(doc.raw_ref)
    except KeyError:
        raise HTTPException(404, f"the archived response {doc.raw_ref} is gone") from None
    ctype = str({k.lower(): v for k, v in (meta.get("headers") or {}).items()}.get("content-type", "")).lower()
    headers = {"Content-Security-Policy": "sandbox; default-src 'none'", "X-Content-Type-Options": "nosniff"}
    if "pdf" in ctype or body[:5] == b"%PDF-":
        headers["Content-Disposition"] = f'attachment; filename="{doc_id}.pdf"'
        return Response(body, media_type="application/pdf", headers=headers)
    return Response(body, media_type="text/plain; charset=utf-8" if b"\0" not in body[:1024]
                    else "application/octet-stream", headers=headers)


@router.post("/documents/{doc_id}/tags")
async def tags_form(doc_id: str, request: Request, library: Store = Depends(get_library),
                    user: User = Depends(analyst)):
    form = await request.form()
    technologies = [str(x) for x in form.getlist("technology")]
    record_tags(request, library, doc_id, technologies, user)
    return RedirectResponse(f"/documents/{quote(doc_id)}?notice={quote(translator_of(request)('doc.tags_saved'))}",
                            status_code=303)


__all__ = ["router", "error_page", "csrf_token"]


# administration ---------------------------------------------------------------------------------
admin = require("admin", page=True)


@router.get("/admin/users")
def users_page(request: Request, user: User = Depends(admin)):
    return render(request, "users.html", users=request.app.state.users.list(), roles=list(ROLES),
                  notice=request.query_params.get("notice"), error=request.query_params.get("error"))


@router.post("/admin/users")
def add_user_form(request: Request, name: str = Form(...), role: str = Form(...), password: str = Form(...),
                  user: User = Depends(admin)):
    try:
        added = request.app.state.users.add(name.strip(), role, password)
    except UserError as e:
        return RedirectResponse(f"/admin/users?error={quote(str(e))}", status_code=303)
    return RedirectResponse(f"/admin/users?notice={quote(translator_of(request)('users.added', name=added.name))}",
                            status_code=303)


@router.post("/admin/users/{name}/remove")
def remove_user_form(name: str, request: Request, user: User = Depends(admin)):
    if name == user.name:
        return RedirectResponse(f"/admin/users?error={quote(translator_of(request)('users.not_yourself'))}",
                                status_code=303)
    try:
        request.app.state.users.remove(name)
    except UserError as e:
        return RedirectResponse(f"/admin/users?error={quote(str(e))}", status_code=303)
    return RedirectResponse(f"/admin/users?notice={quote(translator_of(request)('users.removed', name=name))}",
                            status_code=303)
