"""Korean and English: the label catalogue (`messages.yaml`), the language of a request, names from the taxonomy.

The language comes from `?lang=` (remembered in the session), else the
session, else the browser's Accept-Language; Korean or English, default English.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from fastapi import Request
from fastapi.templating import Jinja2Templates

from alerts.web.security import CSRF_FORM_FIELD, csrf_token
from ews.kernel.series import SeriesKey

HERE = Path(__file__).parent
LANGUAGES = ("ko", "en")
SEVERITY_BANDS = (("high", 0.7), ("medium", 0.4), ("low", 0.0))


class MissingLabel(KeyError):
    pass


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    path = HERE / "messages.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, texts in data.items():
        missing = [lang for lang in LANGUAGES if not (texts or {}).get(lang)]
        if missing:
            raise ValueError(f"{path}: label {key!r} has no {'/'.join(missing)} text")
    return data


def translator(lang: str):
    labels = catalogue()

    def t(key: str, **values) -> str:
        try:
            text = labels[key][lang]
        except KeyError:
            raise MissingLabel(f"no label {key!r} in messages.yaml") from None
        return text.format(**values) if values else text

    return t


def language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        request.session["lang"] = asked
        return asked
    if request.session.get("lang") in LANGUAGES:
        return request.session["lang"]
    accept = request.headers.get("accept-language", "").lower()
    return "ko" if accept.startswith("ko") else "en"


def severity_band(severity: float) -> str:
    return next(name for name, floor in SEVERITY_BANDS if severity >= floor)


def _namer(request: Request, lang: str):
    taxonomy = request.app.state.taxonomy
    techs = {t.id: t for t in taxonomy.technologies}
    fields = {f.id: f for f in taxonomy.fields}

    def name(obj) -> str:
        return obj.name_ko if lang == "ko" else obj.name_en

    def tech_name(tid: str | None) -> str:
        return name(techs[tid]) if tid in techs else (tid or "")

    def field_name(fid: str | None) -> str:
        return name(fields[fid]) if fid in fields else (fid or "")

    def series_label(series: str) -> str:
        """'tech:battery.li_ion|jurisdiction:US' → 'Lithium-ion batteries · jurisdiction US' in the page's language."""
        p = SeriesKey.read(series)
        head = tech_name(p.technology) if p.technology else field_name(p.field) if p.field else series.partition("|")[0]
        if not p.facet:
            return head
        dim, _, value = p.facet.partition(":")
        t = translator(lang)
        dim_label = t(f"facet.{dim}") if f"facet.{dim}" in catalogue() else dim
        return f"{head} · {dim_label} {value}"

    return name, tech_name, field_name, series_label


def _context(request: Request) -> dict:
    lang = language(request)
    name, tech_name, field_name, series_label = _namer(request, lang)
    return {"lang": lang, "t": translator(lang), "csrf_field": CSRF_FORM_FIELD, "csrf_token": csrf_token(request),
            "user": getattr(request.state, "user", None), "name": name, "tech_name": tech_name,
            "field_name": field_name, "series_label": series_label, "severity_band": severity_band,
            "taxonomy": request.app.state.taxonomy}


templates = Jinja2Templates(directory=HERE / "templates", context_processors=[_context])
