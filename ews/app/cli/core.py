"""The stage-1 commands: taxonomy, classify, train, detect, sources, run, serve, reparse."""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ews.app.cli._app import app, err, fail, out, report_bad, settings


@app.command()
def taxonomy(as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
             version: Annotated[Optional[str], typer.Option(help="taxonomy version")] = None) -> None:
    """Print the 12 fields and 50 technologies of the active taxonomy version."""
    from ews.kernel.taxonomy import TaxonomyError, load_taxonomy

    try:
        tax = load_taxonomy(version or settings().taxonomy_version)
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


def _read_documents(input: Path, check_output, skip_bad: bool):
    """The classify/train input: the output checked first, then every line read, duplicates and bad lines
    reported (the command stops unless told to skip them)."""
    from ews.kernel.records import InputError, read_jsonl
    from ews.kernel.schema import ClassifyInput

    try:
        check_output()
        res = read_jsonl(input, ClassifyInput)
    except InputError as e:
        fail(str(e))
    res.drop_duplicate_ids(str(input))
    report_bad(res.bad, skip_bad, "lines")
    return res


@app.command()
def classify(input: Annotated[Path, typer.Option("--input", help="documents, JSON Lines (.gz accepted)")],
             output: Annotated[Path, typer.Option("--output", help="tags, JSON Lines")],
             model: Annotated[Optional[Path], typer.Option("--model", help="model directory")] = None,
             skip_bad: Annotated[bool, typer.Option("--skip-bad", help="skip malformed lines and report them")] = False,
             explain: Annotated[bool, typer.Option("--explain", help="add the evidence behind each technology")] = False) -> None:
    """Tag documents with technologies (one output line per input line, same order)."""
    from ews.kernel.records import InputError, check_output_file, write_jsonl_atomic
    from models.classify import ModelError, load_classifier

    res = _read_documents(input, lambda: check_output_file(output), skip_bad)
    try:
        clf = load_classifier(model, models_dir=None if model else settings().models_dir)
    except ModelError as e:
        fail(str(e))
    from ews.app.pipeline import CLASSIFY_BATCH
    from ews.app.progress import Progress

    taggings = []
    with Progress.for_console(err, transient=True) as progress, \
            progress.task("classify", total=len(res.records), unit="documents") as task:
        for i in range(0, len(res.records), CLASSIFY_BATCH):  # as the pipeline's stage does: a batch at a time
            taggings += clf.predict(res.records[i:i + CLASSIFY_BATCH])
            task.update(len(taggings))
    rows = [t.model_dump() if explain else t.public() for t in taggings]
    try:
        n = write_jsonl_atomic(output, rows)
    except InputError as e:
        fail(str(e))
    err.print(f"tagged {n} documents with model {clf.version} → {output}", highlight=False)


@app.command()
def train(input: Annotated[Path, typer.Option("--input", help="labelled documents, JSON Lines (.gz accepted)")],
          output: Annotated[Path, typer.Option("--output", help="model directory to write")],
          skip_bad: Annotated[bool, typer.Option("--skip-bad", help="skip malformed lines and report how many and why")] = False,
          corrections: Annotated[bool, typer.Option("--corrections/--no-corrections",
                                                    help="use the analysts' tag judgements stored in the data directory: "
                                                         "they outrank the input's labels and CPC classes")] = True) -> None:
    """Train the technology classifier from labelled documents (and the analysts' tag corrections)."""
    from ews.kernel.feedback import latest_judgements
    from ews.kernel.records import check_output_dir
    from ews.kernel.store import Store
    from models.classify import ModelError, train_classifier
    from models.classify.feedback import apply_judgements

    res = _read_documents(input, lambda: check_output_dir(output), skip_bad)
    records, feedback = res.records, None
    if corrections:
        home = settings().home
        judgements = latest_judgements(home)
        if judgements:
            with Store(home) as store:
                records, feedback = apply_judgements(records, judgements,
                                                     (d for d in store.iter_documents() if d.id in judgements))
            err.print(f"{feedback['analyst_labels']} documents labelled by analysts "
                      f"({feedback['corrections']} corrections, {feedback['confirmations']} confirmations)", highlight=False)
    try:
        info = train_classifier(records, output, source=str(input))
    except ModelError as e:
        fail(str(e))
    if feedback is not None:
        info["feedback"] = feedback
    err.print(f"model {info['version']} written to {output}", highlight=False)
    sys.stdout.write(json.dumps(info, ensure_ascii=False, indent=1) + "\n")


@app.command()
def detect(input: Annotated[Path, typer.Option("--input", help="CSV with series,period,count")],
           output: Annotated[Path, typer.Option("--output", help="flags, JSON Lines")],
           skip_bad: Annotated[bool, typer.Option("--skip-bad", help="skip malformed rows and report how many and why")] = False,
           as_of: Annotated[Optional[str], typer.Option("--as-of", help="data cut-off date YYYY-MM-DD: later periods are incomplete")] = None) -> None:
    """Flag surges and drops in count series."""
    import pandas as pd

    from ews.kernel.records import InputError, check_output_file, read_count_csv, write_jsonl_atomic
    from models.detect import SensitivityError, run_detection

    cutoff = None
    if as_of:
        try:
            cutoff = dt.date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of {as_of!r} is not a date YYYY-MM-DD")
    try:
        check_output_file(output)
        res = read_count_csv(input)
    except InputError as e:
        fail(str(e))
    report_bad(res.bad, skip_bad, "rows")
    good = [r for _, r in res.records]
    df = pd.DataFrame([r.model_dump() for r in good], columns=["series", "period", "count"])
    from alerts.build import alerts_from_detections
    from ews.app.progress import Progress

    try:
        with Progress.for_console(err, transient=True) as progress, \
                progress.task("detect", total=df["series"].nunique() if len(df) else 0, unit="series judged") as task:
            run = run_detection(df, as_of=cutoff, progress=task.update)
    except SensitivityError as e:
        fail(str(e))
    alerts = alerts_from_detections(run.alarms)
    alerts.sort(key=lambda a: (a.series, a.period))
    if run.withheld:
        err.print(f"{len(run.withheld)} flags withheld: {run.withheld_summary()}", highlight=False)
    try:
        n = write_jsonl_atomic(output, [a.public() for a in alerts])
    except InputError as e:
        fail(str(e))
    err.print(f"{len(df)} rows in {df['series'].nunique() if len(df) else 0} series → {n} flags in {output}", highlight=False)


@app.command()
def sources(as_json: Annotated[bool, typer.Option("--json", help="print as a JSON array")] = False,
            demo: Annotated[bool, typer.Option("--demo", help="the bundled demo sources")] = False) -> None:
    """List the source registry with each source's last health record."""
    from crawlers.registry import RegistryError, load_registry
    from ews.kernel.store import Store

    try:
        regs = load_registry(demo=demo)
    except RegistryError as e:
        fail(str(e))
    with Store.from_settings(settings()) as store:
        rows = []
        for s in regs:
            h = store.last_health(s.id)
            rows.append({**s.public(), "last_run": None if h is None else {
                "time": h.finished_at.isoformat(), "items": h.items, "errors": h.errors},
                # whether each key is there, never its value
                "credentials": {v: bool(os.environ.get(v)) for v in s.credential_variables()}})
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    t = Table(title=f"{len(rows)} sources")
    for c in ("id", "kind", "country", "language", "schedule", "endpoint", "keys", "last run"):
        t.add_column(c)
    for r in rows:
        lr = r["last_run"]
        keys = ", ".join(f"{v} {'set' if ok else '[red]missing[/]'}" for v, ok in r["credentials"].items()) or "none needed"
        endpoint = r["endpoint"].replace("http://127.0.0.1:0/", "http://127.0.0.1:<port>/")
        t.add_row(r["id"], r["kind"], r["country"], r["language"], r["schedule"], endpoint, keys,
                  "never" if lr is None else f"{lr['time'][:16]} {lr['items']} items, {lr['errors']} errors")
    out.print(t)
    if demo:
        out.print("The demo sources are served by `ews run --demo` on a free port of 127.0.0.1 chosen at each run "
                  "(<port>), and stop with it.", highlight=False)


@app.command()
def run(demo: Annotated[bool, typer.Option("--demo", help="crawl the bundled sample sources served on 127.0.0.1")] = False,
        no_crawl: Annotated[bool, typer.Option("--no-crawl", help="skip crawling: run the monitoring stages on what is stored")] = False,
        start: Annotated[Optional[str], typer.Option(help="crawl window start YYYY-MM-DD")] = None,
        end: Annotated[Optional[str], typer.Option(help="crawl window end YYYY-MM-DD (exclusive)")] = None) -> None:
    """Run the whole pipeline once: crawl, classify, count, detect, alert, index, report.

    Exit code 0 when all went well, 1 when a source failed, 3 when indexing into Elasticsearch did not
    complete (what is pending stays in the outbox for the next run)."""
    from ews.app.progress import Progress
    from ews.app.runner import exit_code, print_summary, run_pipeline
    from ews.kernel.store import StoreError

    if demo and no_crawl:
        fail("--demo crawls the sample sources and --no-crawl crawls nothing: choose one")

    try:
        window = (dt.date.fromisoformat(start) if start else None, dt.date.fromisoformat(end) if end else None)
    except ValueError as e:
        fail(f"bad window date: {e}")
    if window[0] and window[1] and window[0] >= window[1]:
        fail(f"empty crawl window: --start {window[0]} is not before --end {window[1]}")
    config = settings()
    out.print(f"data directory: {config.home} (set EWS_HOME to use another)", highlight=False)
    try:
        with Progress.for_console(err) as progress:  # on stderr: stdout keeps the summary alone
            summary = run_pipeline(config, demo=demo, window=window, crawl=not no_crawl, progress=progress)
    except StoreError as e:
        fail(str(e))
    print_summary(summary, out)
    code = exit_code(summary)
    if code:
        raise typer.Exit(code)


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to listen on (loopback by default)")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port to listen on")] = 8080) -> None:
    """Serve the analyst review web app and its JSON API."""
    import uvicorn

    from alerts.web import create_app

    uvicorn.run(create_app(settings=settings()), host=host, port=port, log_level="info")


@app.command()
def reparse(source: Annotated[Optional[str], typer.Option("--source", help="only this source id")] = None,
            as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False) -> None:
    """Re-parse documents from the raw archive without fetching (idempotent: a second run writes nothing)."""
    from crawlers.registry import RegistryError, load_registry
    from crawlers.reparse import reparse as run_reparse

    try:
        regs = load_registry() + load_registry(demo=True)
    except RegistryError as e:
        fail(str(e))
    from ews.app.progress import Progress

    config = settings()
    try:
        with Progress.for_console(err, transient=True) as progress, \
                progress.task("reparse", unit="archived responses") as task:
            reports = run_reparse(config.home, regs, source, progress=lambda done, total: task.update(done, total))
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

