"""The analysts' workbench: the review web app and its JSON API (`ews serve` runs `create_app()` under uvicorn).

Modules: `app` (factory, middleware, error handling), `auth` (who is asking, roles, CSRF),
`users` (user store), `security` (headers, CSRF tokens, login rate limit), `api` (JSON routes),
`pages` (server-rendered pages), `views` (what pages show), `search` (document search),
`feedback` (tag corrections), `i18n` (Korean/English labels in `messages.yaml`);
templates in `templates/`, scripts, styles and vendored libraries in `static/`.
"""
from alerts.web.app import create_app

__all__ = ["create_app"]
