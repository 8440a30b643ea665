"""EPO Open Patent Services 3.2: OAuth client-credentials token, paged biblio search (XML).

Token: POST {auth_url} with HTTP Basic (key:secret) and `grant_type=client_credentials`; the JSON answer
carries `access_token` and `expires_in` (seconds). Search: GET {endpoint}?q=CQL&Range=1-100 with
`Authorization: Bearer <token>`; the answer is <ops:world-patent-data><ops:biblio-search
total-result-count="N"><ops:range begin= end=/><ops:search-result><exchange-documents>…
OPS serves at most 2,000 results of one query; narrower windows are the way past that.
An empty result is HTTP 404 with a <fault> whose code is SERVER.EntityNotFound: no documents, no error.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from urllib.parse import urlencode

from crawlers.parsers.base import ApiPage, PageContext, ParseError, window_params
from crawlers.parsers.patent_xml import epo_exchange_documents
from crawlers.parsers.xmlsafe import local, parse_xml

OPS_MAX_RESULTS = 2000


def token_request(client_id: str, client_secret: str) -> tuple[dict, bytes]:
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
    headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded",
               "Accept": "application/json"}
    return headers, b"grant_type=client_credentials"


def parse_token(body: bytes, where: str) -> tuple[str, int]:
    """(access token, seconds it lives)."""
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise ParseError(f"{where}: token response is not JSON: {e}") from None
    token = obj.get("access_token") if isinstance(obj, dict) else None
    if not token or not isinstance(token, str):
        raise ParseError(f"{where}: token response has no access_token "
                         f"({obj.get('error_description') or obj.get('error') if isinstance(obj, dict) else obj})")
    try:
        life = int(obj.get("expires_in") or 1199)
    except (TypeError, ValueError):
        life = 1199
    return token, life


def build_search_url(endpoint: str, start: dt.date, end: dt.date, settings: dict, first: int) -> str:
    cql = settings.get("cql") or 'pd within "{start:%Y%m%d},{end_inclusive:%Y%m%d}"'
    size = min(int(settings.get("range_size", 100)), 100)
    last = min(first + size - 1, OPS_MAX_RESULTS)
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(
        {"q": cql.format(**window_params(start, end)), "Range": f"{first}-{last}"})


def fault(body: bytes) -> str | None:
    """The code of an OPS <fault> answer, else None."""
    try:
        root = parse_xml(body, "fault")
    except ParseError:
        return None
    if local(root.tag) != "fault":
        return None
    code = root.find("{*}code")
    msg = root.find("{*}message")
    return f"{(code.text or '').strip() if code is not None else ''} {(msg.text or '').strip() if msg is not None else ''}".strip()


def parse_search(body: bytes, ctx: PageContext) -> ApiPage:
    root = parse_xml(body, ctx.where)
    if local(root.tag) == "fault":
        raise ParseError(f"{ctx.where}: OPS fault: {fault(body)}")
    search = next(root.iter("{*}biblio-search"), None)
    if search is None:
        raise ParseError(f"{ctx.where}: not an OPS biblio search answer (no <ops:biblio-search>)")
    try:
        total = int(search.get("total-result-count") or 0)
    except ValueError:
        raise ParseError(f"{ctx.where}: bad total-result-count {search.get('total-result-count')!r}") from None
    rng = next(search.iter("{*}range"), None)
    end = int(rng.get("end")) if rng is not None and (rng.get("end") or "").isdigit() else 0
    docs, errors = epo_exchange_documents(root, ctx)
    page = ApiPage(documents=docs, errors=errors, total=total)
    if end and end < min(total, OPS_MAX_RESULTS):
        page.extra["next_first"] = end + 1
    if total > OPS_MAX_RESULTS:
        page.extra["truncated"] = total
    return page
