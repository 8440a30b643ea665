"""The `ews` command: the project's public face (see the README and design/cli-contract.md)."""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Technology-security early-warning system.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
# piped output (CI logs, files) gets a wide fixed width so series keys are never cut
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

MAX_LISTED_BAD = 20


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def report_bad(bad, skip_bad: bool, what: str) -> None:
    """Name every bad record (up to a limit); stop unless told to skip them."""
    if not bad:
        return
    for b in bad[:MAX_LISTED_BAD]:
        err.print(str(b), highlight=False, soft_wrap=True, markup=False)
    if len(bad) > MAX_LISTED_BAD:
        err.print(f"… and {len(bad) - MAX_LISTED_BAD} more bad {what}", highlight=False)
    if not skip_bad:
        fail(f"{len(bad)} bad {what}; nothing written (use --skip-bad to skip them)")
    from collections import Counter

    kinds = Counter(b.problem.split(":")[0] for b in bad)
    err.print(f"skipped {len(bad)} bad {what}: " + ", ".join(f"{n} {k}" for k, n in kinds.most_common()),
              highlight=False)


@app.command()
def taxonomy(as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
             version: Annotated[Optional[str], typer.Option(help="taxonomy version")] = None) -> None:
    """Print the 12 fields and 50 technologies of the active taxonomy version."""
    from ews.taxonomy import TaxonomyError, load_taxonomy

    try:
        tax = load_taxonomy(version)
    except TaxonomyError as e:
        fail(str(e))
    if as_json:
        sys.stdout.write(json.dumps(tax.to_json(), ensure_ascii=False, indent=1) + "\n")
        return
    t = Table(title=f"Taxonomy {tax.version} (effective {tax.effective_date}): "
                    f"{len(tax.fields)} fields, {len(tax.technologies)} technologies")
    for c in ("id", "name (ko)", "name (en)", "CPC"):
        t.add_column(c)
    for f in tax.fields:
        t.add_row(f"[bold]{f.id}[/]", f"[bold]{f.name_ko}[/]", f"[bold]{f.name_en}[/]", "")
        for tech in f.technologies:
            t.add_row("  " + tech.id, tech.name_ko, tech.name_en, ", ".join(tech.cpc[:3]) + (" …" if len(tech.cpc) > 3 else ""))
    out.print(t)


@app.command()
def classify(input: Annotated[Path, typer.Option("--input", help="documents, JSON Lines (.gz accepted)")],
             output: Annotated[Path, typer.Option("--output", help="tags, JSON Lines")],
             model: Annotated[Optional[Path], typer.Option("--model", help="model directory")] = None,
             skip_bad: Annotated[bool, typer.Option("--skip-bad", help="skip malformed lines and report them")] = False,
             explain: Annotated[bool, typer.Option("--explain", help="add the evidence behind each technology")] = False) -> None:
    """Tag documents with technologies (one output line per input line, same order)."""
    from ews.records import InputError, read_jsonl, write_jsonl_atomic
    from ews.schema import ClassifyInput
    from models.classify import ModelError, load_classifier

    try:
        res = read_jsonl(input, ClassifyInput)
    except InputError as e:
        fail(str(e))
    report_bad(res.bad, skip_bad, "lines")
    try:
        clf = load_classifier(model)
    except ModelError as e:
        fail(str(e))
    taggings = clf.predict(res.records)
    rows = [t.model_dump() if explain else t.public() for t in taggings]
    try:
        n = write_jsonl_atomic(output, rows)
    except InputError as e:
        fail(str(e))
    err.print(f"tagged {n} documents with model {clf.version} → {output}", highlight=False)


@app.command()
def train(input: Annotated[Path, typer.Option("--input", help="labelled documents, JSON Lines (.gz accepted)")],
          output: Annotated[Path, typer.Option("--output", help="model directory to write")],
          skip_bad: Annotated[bool, typer.Option("--skip-bad")] = False) -> None:
    """Train the technology classifier from labelled documents."""
    from ews.records import InputError, read_jsonl
    from ews.schema import ClassifyInput
    from models.classify import ModelError, train_classifier

    try:
        res = read_jsonl(input, ClassifyInput)
    except InputError as e:
        fail(str(e))
    report_bad(res.bad, skip_bad, "lines")
    try:
        info = train_classifier(res.records, output, source=str(input))
    except ModelError as e:
        fail(str(e))
    err.print(f"model {info['version']} written to {output}", highlight=False)
    sys.stdout.write(json.dumps(info, ensure_ascii=False, indent=1) + "\n")


@app.command()
def detect(input: Annotated[Path, typer.Option("--input", help="CSV with series,period,count")],
           output: Annotated[Path, typer.Option("--output", help="flags, JSON Lines")],
           skip_bad: Annotated[bool, typer.Option("--skip-bad")] = False,
           as_of: Annotated[Optional[str], typer.Option("--as-of", help="data cut-off date YYYY-MM-DD: later periods are incomplete")] = None) -> None:
    """Flag surges and drops in count series."""
    import pandas as pd

    from ews.periods import PeriodError, granularity
    from ews.records import InputError, read_csv, write_jsonl_atomic
    from ews.schema import CountRow
    from models.detect import detect_counts

    def parse(row: dict) -> CountRow:
        period = (row["period"] or "").strip()
        granularity(period)
        raw = (row["count"] or "").strip()
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"count {raw!r} is not a number") from None
        if value != int(value):
            raise ValueError(f"count {raw!r} is not a whole number")
        return CountRow(series=(row["series"] or "").strip(), period=period, count=int(value))

    cutoff = None
    if as_of:
        try:
            cutoff = dt.date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of {as_of!r} is not a date YYYY-MM-DD")
    try:
        res = read_csv(input, ["series", "period", "count"], parse)
    except (InputError, PeriodError) as e:
        fail(str(e))
    # one granularity per series, no duplicate (series, period)
    from ews.records import BadRecord

    seen: dict[str, str] = {}
    keys: set[tuple[str, str]] = set()
    good = []
    for lineno, r in res.records:
        g = granularity(r.period)
        if seen.setdefault(r.series, g) != g:
            res.bad.append(BadRecord(str(input), lineno, f"mixed granularity: series {r.series!r} has {seen[r.series]} periods, this row a {g}"))
            continue
        if (r.series, r.period) in keys:
            res.bad.append(BadRecord(str(input), lineno, f"duplicate row: series {r.series!r} period {r.period} appears twice"))
            continue
        keys.add((r.series, r.period))
        good.append(r)
    res.bad.sort(key=lambda b: b.line)
    report_bad(res.bad, skip_bad, "rows")
    df = pd.DataFrame([r.model_dump() for r in good], columns=["series", "period", "count"])
    from alerts.build import alerts_from_detections

    alerts = alerts_from_detections(detect_counts(df, as_of=cutoff))
    alerts.sort(key=lambda a: (a.series, a.period))
    try:
        n = write_jsonl_atomic(output, [a.public() for a in alerts])
    except InputError as e:
        fail(str(e))
    err.print(f"{len(df)} rows in {df['series'].nunique() if len(df) else 0} series → {n} flags in {output}", highlight=False)


@app.command()
def sources(as_json: Annotated[bool, typer.Option("--json")] = False,
            demo: Annotated[bool, typer.Option("--demo", help="the bundled demo sources")] = False) -> None:
    """List the source registry with each source's last health record."""
    from crawlers.registry import RegistryError, load_registry
    from ews.store import Store

    try:
        regs = load_registry(demo=demo)
    except RegistryError as e:
        fail(str(e))
    with Store.from_settings() as store:
        rows = []
        for s in regs:
            h = store.last_health(s.id)
            rows.append({**s.public(), "last_run": None if h is None else {
                "time": h.finished_at.isoformat(), "items": h.items, "errors": h.errors}})
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    t = Table(title=f"{len(rows)} sources")
    for c in ("id", "kind", "country", "language", "schedule", "endpoint", "last run"):
        t.add_column(c)
    for r in rows:
        lr = r["last_run"]
        t.add_row(r["id"], r["kind"], r["country"], r["language"], r["schedule"], r["endpoint"],
                  "never" if lr is None else f"{lr['time'][:16]} {lr['items']} items, {lr['errors']} errors")
    out.print(t)


@app.command()
def run(demo: Annotated[bool, typer.Option("--demo", help="crawl the bundled sample sources served on 127.0.0.1")] = False,
        start: Annotated[Optional[str], typer.Option(help="crawl window start YYYY-MM-DD")] = None,
        end: Annotated[Optional[str], typer.Option(help="crawl window end YYYY-MM-DD (exclusive)")] = None) -> None:
    """Run the whole pipeline once: crawl, classify, count, detect, alert, report."""
    from ews.runner import run_pipeline

    try:
        window = (dt.date.fromisoformat(start) if start else None, dt.date.fromisoformat(end) if end else None)
    except ValueError as e:
        fail(f"bad window date: {e}")
    summary = run_pipeline(demo=demo, window=window)
    from ews.runner import print_summary

    print_summary(summary, out)
    if any(not h.ok for h in summary.health):
        raise typer.Exit(1)


from ews.cli_users import user_app  # noqa: E402

app.add_typer(user_app, name="user")


@app.command()
def serve(host: Annotated[str, typer.Option()] = "127.0.0.1",
          port: Annotated[int, typer.Option()] = 8080) -> None:
    """Serve the analyst review web app and its JSON API."""
    import uvicorn

    from alerts.web import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info")


@app.command()
def reparse(source: Annotated[Optional[str], typer.Option("--source", help="only this source id")] = None,
            as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Re-parse documents from the raw archive without fetching (idempotent: a second run writes nothing)."""
    from crawlers.registry import RegistryError, load_registry
    from crawlers.reparse import reparse as run_reparse
    from ews.config import get_settings

    try:
        regs = load_registry() + load_registry(demo=True)
    except RegistryError as e:
        fail(str(e))
    try:
        reports = run_reparse(get_settings().home, regs, source)
    except KeyError as e:
        fail(str(e.args[0]))
    rows = [r.public() for r in reports]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
    else:
        t = Table(title=f"reparsed {sum(r['raw'] for r in rows)} archived responses")
        for c in ("source", "raw", "documents", "inserted", "updated", "unchanged", "near-dup", "errors"):
            t.add_column(c)
        for r in rows:
            t.add_row(r["source"], *(str(r[k]) for k in ("raw", "documents", "inserted", "updated", "unchanged",
                                                           "near_duplicates", "errors")))
        out.print(t)
        for r in rows:
            for m in r["error_messages"][:5]:
                err.print(f"{r['source']}: {m}", highlight=False, soft_wrap=True, markup=False)
    if any(r["errors"] for r in rows):
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
