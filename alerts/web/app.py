"""The review app's factory: middleware, routers, static files, offline API docs, error handling."""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from alerts.base import AlertStore
from alerts.web import api, pages, reports
from alerts.web.auth import LoginRequired
from alerts.web.deps import StoreUnavailable, unavailable_reason
from alerts.web.i18n import templates
from alerts.web.security import LoginRateLimiter, SecurityHeaders, session_secret
from alerts.web.users import UserStore
from ews.kernel.taxonomy import load_taxonomy

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
SESSION_HOURS = 12

DESCRIPTION = """The analysts' workbench of the technology-security early-warning system.

**Authentication**: every `/api/` route needs `Authorization: Bearer <token>` (a token made by
`ews user token NAME`) or a login session cookie. Without either it answers **401**. A role that may
not do something gets **403**: viewers read, analysts also review, assign, silence and correct tags,
admins also manage users. A state-changing request authenticated by the session cookie must send the
session's CSRF token in the `X-CSRF-Token` header.

**Errors** are JSON `{"detail": "..."}` naming the field and the problem: 404 no such object,
409 a stale alert version (reload and review again), 422 invalid input, 429 too many failed logins,
503 the configured store (Elasticsearch) cannot be reached.
"""


def _describe(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "request"


def create_app(store_factory: Callable[[], AlertStore] | None = None, settings=None,
               limiter: LoginRateLimiter | None = None, secure_cookies: bool | None = None) -> FastAPI:
    """The app; `store_factory` opens an alert store (default: the one the settings select), one per request."""
    from alerts.stores import open_alert_store
    from ews.kernel.config import load_settings

    settings = settings or load_settings()
    app = FastAPI(title="Technology-security early warning: analysts' workbench", version="2",
                  description=DESCRIPTION, docs_url=None, redoc_url=None)
    app.state.home = Path(settings.home)
    app.state.reports_dir = Path(settings.reports_dir)
    app.state.store_factory = store_factory or (lambda: open_alert_store(settings))
    app.state.users = UserStore(settings.home)
    app.state.limiter = limiter or LoginRateLimiter()
    app.state.taxonomy = load_taxonomy(settings.taxonomy_version)
    app.state.elastic = bool(settings.es_url)

    app.add_middleware(SecurityHeaders)
    # same_site=strict: the cookie never rides on a cross-site request; the CSRF token is the second lock
    app.add_middleware(SessionMiddleware, secret_key=session_secret(settings.home), session_cookie="ews_session",
                       max_age=SESSION_HOURS * 3600, same_site="strict",
                       https_only=bool(secure_cookies))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(reports.router)

    def _is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = []
        for e in exc.errors():
            where = _describe(e.get("loc", ()))
            got = e.get("input")
            shown = "" if isinstance(got, (dict, list)) or got is None else f" (got {str(got)[:80]!r})"
            problems.append(f"{where}: {e.get('msg', 'invalid')}{shown}")
        detail = "invalid request: " + "; ".join(problems)
        if _is_api(request):
            return JSONResponse({"detail": detail}, status_code=422)
        return pages.error_page(request, 422, detail)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        if _is_api(request) or request.method != "GET":
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return pages.error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(request: Request, exc: StoreUnavailable):
        return _service_unavailable(request, str(exc))

    from elastic_transport import TransportError
    from elasticsearch import ApiError

    # registered by class (not under Exception) so they are answered here and not re-raised as server errors
    @app.exception_handler(TransportError)
    @app.exception_handler(ApiError)
    async def _elastic(request: Request, exc: Exception):
        reason = unavailable_reason(exc)
        if reason:
            return _service_unavailable(request, reason)
        log.error("Elasticsearch refused %s %s: %s", request.method, request.url.path, exc)
        detail = f"Elasticsearch refused the request ({type(exc).__name__}); see the server log"
        if _is_api(request):
            return JSONResponse({"detail": detail}, status_code=502)
        return pages.error_page(request, 502, detail)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        if _is_api(request):
            return JSONResponse({"detail": f"internal error ({type(exc).__name__}); see the server log"},
                                status_code=500)
        return pages.error_page(request, 500, f"internal error ({type(exc).__name__}); see the server log")

    def _service_unavailable(request: Request, reason: str):
        log.warning("store unavailable on %s: %s", request.url.path, reason)
        if _is_api(request):
            return JSONResponse({"detail": reason}, status_code=503, headers={"Retry-After": "30"})
        return pages.error_page(request, 503, reason)

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request):
        return templates.TemplateResponse(request, "docs.html", {"openapi_url": app.openapi_url})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"ok": True}

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        comps = schema.setdefault("components", {})
        comps.setdefault("securitySchemes", {}).update({
            "bearer": {"type": "http", "scheme": "bearer", "description": "a token from `ews user token NAME`"},
            "session": {"type": "apiKey", "in": "cookie", "name": "ews_session",
                        "description": "the login session; writes also need the X-CSRF-Token header"}})
        schema["security"] = [{"bearer": []}, {"session": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
    return app
