"""`ews ingest`: load documents in the document schema into the store (bulk history before the crawls)."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from ews.app.cli._app import app, err, fail, report_bad, settings

BATCH = 2000               # documents per store transaction: bounded memory whatever the file's size
PROGRESS_EVERY = 50_000    # lines between two plain progress lines when stderr is not a terminal


def _records(path: Path, loaded_at: dt.datetime, bad: list) -> Iterator:
    """The good documents of `path`, in order; bad lines (and second lines of an id) appended to `bad`."""
    from ews.kernel.ingest import document_from_record
    from ews.kernel.records import BadRecord, iter_jsonl

    first_line: dict[str, int] = {}
    for line, rec in iter_jsonl(path, lambda obj: document_from_record(obj, loaded_at)):
        if isinstance(rec, BadRecord):
            bad.append(rec)
            continue
        seen = first_line.setdefault(rec.id, line)
        if seen != line:
            bad.append(BadRecord(str(path), line, f"duplicate id {rec.id!r}: already on line {seen}"))
            continue
        yield line, rec


def _scan(path: Path, loaded_at: dt.datetime, bad: list, what: str, store=None) -> tuple[Counter, int]:
    """Read `path` once; with a store, write its good documents in batches. Returns the store's counts and
    the number of good documents."""
    from ews.app.progress import Progress

    totals: Counter = Counter()
    batch, good = [], 0
    # a bar on a terminal, else a plain line every PROGRESS_EVERY lines (the summary follows: no last line)
    progress = Progress.for_console(err, transient=True, final_lines=False)
    task = progress.task(what, unit="lines", every=PROGRESS_EVERY)
    try:
        for line, doc in _records(path, loaded_at, bad):
            good += 1
            if store is not None:
                batch.append(doc)
                if len(batch) >= BATCH:
                    totals.update(store.upsert_documents(batch))
                    batch = []
            task.update(line)
        if store is not None and batch:
            totals.update(store.upsert_documents(batch))
    finally:
        task.finish()
        progress.close()
    return totals, good


@app.command()
def ingest(input: Annotated[Path, typer.Option("--input", help="documents in the document schema, JSON Lines (.gz accepted)")],
           skip_bad: Annotated[bool, typer.Option("--skip-bad", help="store the good lines, skip the bad ones and report them")] = False) -> None:
    """Load documents into the store (bulk history); ids are derived from source and source key, so loading
    a file twice changes nothing. Without --skip-bad a file with a bad line stores nothing."""
    from ews.kernel.records import InputError
    from ews.kernel.store import Store, StoreError

    loaded_at = dt.datetime.now(dt.UTC)
    bad: list = []
    try:
        if not skip_bad:  # the whole file is checked first, so a bad line stores nothing
            _, good = _scan(input, loaded_at, bad, f"checking {input.name}")
            report_bad(bad, False, "lines")
            if not good:
                fail(f"{input}: no documents to ingest (the file is empty)")
            bad = []
        config = settings()
        with Store(config.home) as store:
            totals, good = _scan(input, loaded_at, bad, f"ingesting {input.name}", store)
    except InputError as e:
        fail(str(e))
    except StoreError as e:
        fail(str(e))
    if skip_bad:
        report_bad(bad, True, "lines")
        if not good and not bad:
            fail(f"{input}: no documents to ingest (the file is empty)")
    err.print(f"ingested {good:,} documents from {input} into {config.home}: {totals['inserted']:,} new, "
              f"{totals['updated']:,} updated, {totals['unchanged']:,} unchanged", highlight=False, soft_wrap=True)
