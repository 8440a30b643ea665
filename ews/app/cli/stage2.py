"""The stage-2 commands: forecast, risk, issues, report (analysis/, seed 001 l.1509-1515)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ews.app.cli._app import app, err, fail, report_bad, settings

MAX_HORIZON = 120


@app.command()
def forecast(input: Annotated[Optional[Path], typer.Option("--input", help="CSV with series,period,count (as ews detect)")] = None,
             horizon: Annotated[int, typer.Option("--horizon", help="periods ahead")] = 3,
             output: Annotated[Path, typer.Option("--output", help="forecasts, JSON Lines")] = Path("forecast.jsonl"),
             policy: Annotated[bool, typer.Option("--policy", help="policy activity per field x country from the store")] = False,
             skip_bad: Annotated[bool, typer.Option("--skip-bad", help="skip malformed rows and report them")] = False) -> None:
    """Forecast count series with 80 % and 95 % intervals, the model chosen per series by rolling origin."""
    import pandas as pd

    from analysis.forecast import ForecastError, forecast_counts, policy_activity_forecast
    from ews.kernel.records import InputError, check_output_file, read_count_csv, write_jsonl_atomic

    if not 1 <= horizon <= MAX_HORIZON:
        fail(f"--horizon must be between 1 and {MAX_HORIZON}, got {horizon}")
    if input is None and not policy:
        fail("give --input SERIES.csv, or --policy to forecast the stored policy activity")
    try:
        check_output_file(output)
    except InputError as e:
        fail(str(e))
    if input is not None:
        try:
            res = read_count_csv(input)
        except InputError as e:
            fail(str(e))
        report_bad(res.bad, skip_bad, "rows")
        df = pd.DataFrame([r.model_dump() for _, r in res.records], columns=["series", "period", "count"])
    else:
        from ews.kernel.store import Store

        with Store.from_settings(settings()) as store:
            df = store.read_counts()
    try:
        forecasts = policy_activity_forecast(df, horizon) if policy else forecast_counts(df, horizon)
    except ForecastError as e:
        fail(str(e))
    try:
        n = write_jsonl_atomic(output, [row for f in forecasts for row in f.rows()])
    except InputError as e:
        fail(str(e))
    err.print(f"{len(forecasts)} series, horizon {horizon} → {n} forecasts in {output}", highlight=False)


def _field_or_fail(field_id: str | None):
    """The taxonomy and the field (None: all fields); an unknown field id names the known ones."""
    from ews.kernel.taxonomy import TaxonomyError, load_taxonomy

    try:
        tax = load_taxonomy(settings().taxonomy_version)
    except TaxonomyError as e:
        fail(str(e))
    if field_id is not None and field_id not in tax.field_ids:
        fail(f"--field {field_id!r} is not a field of taxonomy {tax.version}; known: {', '.join(tax.field_ids)}")
    return tax


def _stage1(documents: bool = True):
    from analysis.inputs import load_stage1

    try:
        return load_stage1(settings(), documents=documents)
    except Exception as e:  # a store that cannot be opened or read: say which and why, no traceback
        fail(f"cannot read the stored stage-1 data: {type(e).__name__}: {e}")


@app.command()
def risk(field: Annotated[Optional[str], typer.Option("--field", help="field id, e.g. battery")] = None,
         as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
         as_of: Annotated[Optional[str], typer.Option("--as-of", help="last period to use, e.g. 2024-06")] = None) -> None:
    """Risk score per technology in [0, 1] with its components (weights in analysis/data/risk_weights.yaml)."""
    import json

    from rich.table import Table

    from analysis.risk import risk_scores
    from ews.app.cli._app import out
    from ews.kernel.periods import PeriodError, granularity

    tax = _field_or_fail(field)
    if as_of is not None:
        try:
            granularity(as_of)
        except PeriodError as e:
            fail(f"--as-of: {e}")
    techs = [t.id for t in tax.technologies if field is None or t.field_id == field]
    data = _stage1()
    rows = risk_scores(data.counts, alerts=data.alerts, documents=data.documents, tagged=data.tagged,
                       technologies=techs, as_of=as_of)
    if as_json:
        sys.stdout.write(json.dumps([r.public() for r in rows], ensure_ascii=False, indent=1) + "\n")
        return
    t = Table(title=f"Risk per technology{' in ' + field if field else ''} (1 = most at risk)")
    for c in ("technology", "score", "largest components"):
        t.add_column(c)
    for r in rows:
        main = sorted(((k, v) for k, v in r.components.items() if "." not in k), key=lambda kv: -kv[1])[:4]
        t.add_row(r.technology, f"{r.score:.3f}", ", ".join(f"{k} {v:.2f}" for k, v in main))
    out.print(t)


@app.command()
def issues(field: Annotated[str, typer.Option("--field", help="field id, e.g. battery")],
           period: Annotated[Optional[str], typer.Option("--period", help="last period of the window: YYYY-MM, YYYY-Qn or YYYY (default: the newest month)")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False) -> None:
    """The field's issues: key phrases in Korean and English, growth, security relevance, documents, alerts."""
    import json

    from rich.table import Table

    from analysis.issues import IssueError, IssueHistory, discover_issues
    from analysis.summarise import summarise_issues
    from ews.app.cli._app import out
    from ews.kernel.periods import PeriodError, granularity

    tax = _field_or_fail(field)
    if period is not None:
        try:
            granularity(period)
        except PeriodError as e:
            fail(f"--period: {e}")
    data = _stage1()
    history = IssueHistory(settings().home / "analysis" / "issues" / f"{field}.json")
    try:
        found = discover_issues(data.documents, data.tagged, field, period=period, alerts=data.alerts,
                                history=history, taxonomy=tax)
    except IssueError as e:
        fail(str(e))
    summarise_issues(found, data.documents)
    if as_json:
        sys.stdout.write(json.dumps([i.public() for i in found], ensure_ascii=False, indent=1) + "\n")
        return
    t = Table(title=f"Issues in {field}" + (f" up to {found[0].period}" if found else ": none (no documents in the window)"))
    for c in ("id", "status", "key phrases (ko / en)", "documents", "growth", "relevance", "alerts"):
        t.add_column(c)
    for i in found:
        t.add_row(i.id, i.status, " · ".join(i.phrases["ko"][:3]) + " / " + " · ".join(i.phrases["en"][:3]),
                  str(i.size), f"{i.growth:+.2f}", f"{i.relevance:.2f}", str(len(i.alerts)))
    out.print(t)


@app.command()
def report(field: Annotated[str, typer.Option("--field", help="field id, e.g. battery")],
           output: Annotated[Path, typer.Option("--output", help="directory to write the HTML and PDF into")],
           period: Annotated[Optional[str], typer.Option("--period", help="month of the briefing, YYYY-MM (default: the latest complete month of the data)")] = None,
           annual: Annotated[Optional[int], typer.Option("--annual", help="write the annual patent-trend report of this year instead")] = None) -> None:
    """Write the field's monthly briefing (or, with --annual, its annual patent-trend report) as HTML and PDF."""
    from analysis.briefing import BriefingError, write_annual, write_briefing
    from analysis.issues import IssueError
    from ews.kernel.periods import PeriodError, granularity
    from ews.kernel.store import Store

    tax = _field_or_fail(field)
    if period is not None and annual is not None:
        fail("give either --period YYYY-MM or --annual YYYY, not both")
    if annual is not None and not 1900 <= annual <= 2999:
        fail(f"--annual {annual}: not a year")
    if period is not None:
        try:
            granularity(period)
        except PeriodError as e:
            fail(f"--period: {e}")
    if output.exists() and not output.is_dir():
        fail(f"--output {output}: exists and is not a directory")
    config = settings()
    data = _stage1()
    try:
        if annual is not None:
            with Store(config.home) as store:
                paths = write_annual(store, data, field, annual, output, tax, home=config.home)
        else:
            paths = write_briefing(data, field, period, output, tax, home=config.home)
    except (BriefingError, IssueError, PeriodError) as e:
        fail(str(e))
    except OSError as e:
        fail(f"cannot write the report into {output}: {e}")
    for kind, path in paths.items():
        sys.stdout.write(f"{kind}\t{path}\n")
