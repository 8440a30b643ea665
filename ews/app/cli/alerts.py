"""`ews alerts`: the alerts of the configured store (embedded or Elasticsearch), grouped into incidents."""
from __future__ import annotations

import json
import sys
from typing import Annotated, Optional, get_args

import typer
from rich.markup import escape
from rich.table import Table

from ews.app.cli._app import app, fail, out, settings


def _check_choice(what: str, value: str | None, allowed: list[str]) -> None:
    if value is not None and value not in allowed:
        fail(f"unknown {what} {value!r}; allowed: {', '.join(allowed)}")


@app.command("alerts")
def list_alerts(as_json: Annotated[bool, typer.Option("--json", help="print as JSON (one object: incidents and counts)")] = False,
                status: Annotated[Optional[str], typer.Option("--status", help="only alerts with this review status")] = None,
                field: Annotated[Optional[str], typer.Option("--field", help="only alerts of this field (taxonomy id)")] = None,
                limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="at most this many alerts")] = 1000) -> None:
    """List alerts from the configured store, highest severity first, related alerts grouped into incidents."""
    from alerts.base import AlertQuery, AlertStoreError, Status
    from alerts.incidents import group_incidents, incident_counts
    from alerts.stores import open_alert_store
    from ews.kernel.secrets import scrub
    from ews.kernel.taxonomy import TaxonomyError, load_taxonomy

    config = settings()
    _check_choice("status", status, list(get_args(Status)))
    if field is not None:
        try:
            fields = [f.id for f in load_taxonomy(config.taxonomy_version).fields]
        except TaxonomyError as e:
            fail(str(e))
        _check_choice("field", field, fields)
    query = AlertQuery(status=[status] if status else None, field=field, size=limit)
    try:
        with open_alert_store(config) as store:
            reviewed = store.search(query)
    except (AlertStoreError, OSError, ValueError) as e:
        fail(f"cannot read the alert store: {scrub(str(e))}")
    except Exception as e:  # the Elasticsearch client's transport errors: named, without credentials
        fail(f"cannot read the alert store: {type(e).__name__}: {scrub(str(e))}")
    incidents = group_incidents(reviewed)
    if as_json:
        doc = {"count": len(reviewed), "incidents_count": len(incidents), "by_status": incident_counts(incidents),
               "incidents": [inc.public() | {"members": [m.public() for m in inc.members]} for inc in incidents]}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
        return
    t = Table(title=f"{len(incidents)} incidents, {len(reviewed)} alerts")
    for c in ("severity", "status", "period", "direction", "series", "observed", "expected", "assignee", "alert id"):
        t.add_column(c)
    for inc in incidents:
        for n, r in enumerate(inc.members):
            a = r.alert
            series = a.series if n == 0 else f"  ↳ {a.series}"
            # series keys carry crawled applicant names: '[' must not be read as rich markup
            t.add_row(*(escape(str(c)) for c in (f"{a.severity:.2f}", a.status, a.period, a.direction, series,
                                                  f"{a.observed:g}", f"{a.expected:.1f}", r.assignee or "", a.id)))
    out.print(t)
