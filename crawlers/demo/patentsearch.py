"""A subset of the PatentsView PatentSearch API query language, enough to serve the demo patents.

Supported: q with _and/_or/_not, _gt/_gte/_lt/_lte, _begins, _eq, {field: value} and {field: [values]};
f (field projection by top-level name); s (sort, patent_id asc/desc); o.size (max 1000) and o.after (cursor).
Errors answer 400 with the reason in the body and the X-Status-Reason header, as the real API does.
"""
from __future__ import annotations

import json

from crawlers.demo.server import Reply, Request, json_reply

MAX_SIZE = 1000


class QueryError(ValueError):
    pass


def _values(record: dict, path: str) -> list:
    """All values at a dotted path, descending into lists (application.filing_date → every filing date)."""
    current = [record]
    for part in path.split("."):
        nxt = []
        for c in current:
            if isinstance(c, list):
                nxt.extend(x.get(part) for x in c if isinstance(x, dict) and part in x)
            elif isinstance(c, dict) and part in c:
                nxt.append(c[part])
        current = [y for x in nxt for y in (x if isinstance(x, list) else [x])]
    return current


_CMP = {"_gt": lambda a, b: a > b, "_gte": lambda a, b: a >= b, "_lt": lambda a, b: a < b,
        "_lte": lambda a, b: a <= b, "_eq": lambda a, b: a == b, "_neq": lambda a, b: a != b,
        "_begins": lambda a, b: isinstance(a, str) and a.startswith(b)}


def matches(record: dict, q) -> bool:
    if not isinstance(q, dict) or len(q) != 1:
        raise QueryError(f"each criterion must be an object with one key, got {json.dumps(q)[:80]}")
    (key, value), = q.items()
    if key == "_and":
        return all(matches(record, x) for x in _as_list(key, value))
    if key == "_or":
        return any(matches(record, x) for x in _as_list(key, value))
    if key == "_not":
        return not matches(record, value)
    if key in _CMP:
        if not isinstance(value, dict) or len(value) != 1:
            raise QueryError(f"{key} takes one {{field: value}}")
        (field_, operand), = value.items()
        return any(v is not None and _CMP[key](v, operand) for v in _values(record, field_))
    if key.startswith("_"):
        raise QueryError(f"unsupported operator {key}")
    wanted = value if isinstance(value, list) else [value]
    return any(v in wanted for v in _values(record, key))


def _as_list(key: str, value) -> list:
    if not isinstance(value, list):
        raise QueryError(f"{key} takes a list")
    return value


def _param(req: Request, name: str, default):
    raw = req.arg(name)
    if raw is None and req.method == "POST" and req.body:
        try:
            raw_obj = json.loads(req.body).get(name)
        except (ValueError, AttributeError) as e:
            raise QueryError(f"request body is not a JSON object: {e}") from None
        return default if raw_obj is None else raw_obj
    if raw is None:
        return default
    try:
        return json.loads(raw)
    except ValueError as e:
        raise QueryError(f"parameter {name} is not valid JSON: {e}") from None


def search(records: tuple[dict, ...], req: Request) -> Reply:
    try:
        q = _param(req, "q", None)
        if q is None:
            raise QueryError("parameter q is required")
        fields = _param(req, "f", None)
        sort = _param(req, "s", [{"patent_id": "asc"}])
        opts = _param(req, "o", {})
        size = int(opts.get("size", 100))
        if not 1 <= size <= MAX_SIZE:
            raise QueryError(f"o.size must be 1..{MAX_SIZE}")
        hits = [r for r in records if matches(r, q)]
    except (QueryError, TypeError, ValueError) as e:
        return Reply(400, json.dumps({"error": True, "reason": str(e)}).encode(),
                     {"Content-Type": "application/json", "X-Status-Reason": str(e)[:200]})
    descending = bool(sort) and list(sort[0].values())[0] == "desc"
    hits.sort(key=lambda r: int(r["patent_id"]), reverse=descending)
    after = opts.get("after")
    if after is not None:
        hits_after = [r for r in hits if (int(r["patent_id"]) < int(after) if descending else int(r["patent_id"]) > int(after))]
    else:
        hits_after = hits
    page = hits_after[:size]
    if fields:
        keep = {f.split(".")[0] for f in fields}
        page = [{k: v for k, v in r.items() if k in keep} for r in page]
    return json_reply({"error": False, "count": len(page), "total_hits": len(hits), "patents": page})
