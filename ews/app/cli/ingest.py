"""`ews ingest`: load documents in the document schema into the store (bulk history before the crawls)."""
from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer

from ews.app.cli._app import app, err, fail, report_bad, settings

BATCH = 2000               # documents per store transaction: bounded memory whatever the file's size
LOOKUP = 1000              # lines whose digests are looked up in the store in one query
PROGRESS_EVERY = 50_000    # lines between two plain progress lines when stderr is not a terminal


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(items, size)):
        yield chunk


def _records(path: Path, loaded_at: dt.datetime, bad: list, store) -> Iterator[tuple[int, object, str]]:
    """(line, document, digest) for the good lines of `path`, in order; a line the store holds a document of
    (the same digest) is not parsed again and comes with None. Bad lines (and second lines of an id) are
    appended to `bad`."""
    from ews.kernel.ingest import document_from_record, line_digest
    from ews.kernel.records import BadRecord, iter_lines, parse_json_line

    name = str(path)
    first_line: dict[str, int] = {}
    for chunk in _chunks(iter_lines(path), LOOKUP):
        digests = {line: line_digest(text) for line, text in chunk if not isinstance(text, BadRecord)}
        known = store.documents_of_inputs(digests.values())
        for line, text in chunk:
            if isinstance(text, BadRecord):
                bad.append(text)
                continue
            digest = digests[line]
            doc, doc_id = None, known.get(digest)
            if doc_id is None:
                doc = parse_json_line(name, line, text, lambda obj: document_from_record(obj, loaded_at))
                if isinstance(doc, BadRecord):
                    bad.append(doc)
                    continue
                doc_id = doc.id
            seen = first_line.setdefault(doc_id, line)
            if seen != line:
                bad.append(BadRecord(name, line, f"duplicate id {doc_id!r}: already on line {seen}"))
                continue
            yield line, doc, digest


def _scan(path: Path, loaded_at: dt.datetime, bad: list, what: str, store, write: bool) -> tuple[Counter, int]:
    """Read `path` once; if `write`, store its good documents in batches. Returns the store's counts and the
    number of good documents."""
    from ews.app.progress import Progress

    totals: Counter = Counter()
    batch, good = [], 0
    # a bar on a terminal, else a plain line every PROGRESS_EVERY lines (the summary follows: no last line)
    progress = Progress.for_console(err, transient=True, final_lines=False)
    task = progress.task(what, unit="lines", every=PROGRESS_EVERY)
    try:
        for line, doc, digest in _records(path, loaded_at, bad, store):
            good += 1
            if write:
                if doc is None:
                    totals["unchanged"] += 1
                else:
                    batch.append((doc, digest))
                if len(batch) >= BATCH:
                    totals.update(store.upsert_documents(*zip(*batch)))
                    batch = []
            task.update(line)
        if write and batch:
            totals.update(store.upsert_documents(*zip(*batch)))
    finally:
        task.finish()
        progress.close()
    return totals, good


@app.command()
def ingest(input: Annotated[Path | None, typer.Option("--input", help="documents in the document schema, JSON Lines (.gz accepted)")] = None,
           patentsview: Annotated[Path | None, typer.Option(
               "--patentsview", help="a directory holding the PatentsView bulk tables (g_patent.tsv.zip, g_application, "
                                     "g_cpc_current, g_assignee_disambiguated, g_inventor_disambiguated; "
                                     "g_patent_abstract and g_location_disambiguated used when present)")] = None,
           source: Annotated[str, typer.Option("--source", help="with --patentsview: the source id the patents are "
                                                                "stored under (the API crawl's by default, so it takes over)")] = "us-patentsview",
           cpc_filter: Annotated[str, typer.Option("--cpc-filter", help="with --patentsview: keep patents of the "
                                                                        "taxonomy's classes (taxonomy), all (none), or "
                                                                        "of these comma-separated class prefixes")] = "taxonomy",
           skip_bad: Annotated[bool, typer.Option("--skip-bad", help="store the good lines, skip the bad ones and report them")] = False,
           reload: Annotated[bool, typer.Option("--reload", help="with --patentsview: read the tables again even when "
                                                                 "these very tables were loaded before and no "
                                                                 "document of theirs changed since")] = False) -> None:
    """Load documents into the store (bulk history); ids are derived from source and source key, so loading
    a file twice changes nothing. Without --skip-bad a file with a bad line stores nothing."""
    from ews.kernel.records import InputError
    from ews.kernel.store import Store, StoreError

    if (input is None) == (patentsview is None):
        fail("give --input FILE (documents in the document schema) or --patentsview DIR (PatentsView bulk tables)")
    if patentsview is not None:
        _ingest_patentsview(patentsview, source, cpc_filter, skip_bad, reload)
        return
    loaded_at = dt.datetime.now(dt.UTC)
    bad: list = []
    config = settings()
    try:
        with Store(config.home) as store:
            if not skip_bad:  # the whole file is checked first, so a bad line stores nothing
                _, good = _scan(input, loaded_at, bad, f"checking {input.name}", store, write=False)
                report_bad(bad, False, "lines")
                if not good:
                    fail(f"{input}: no documents to ingest (the file is empty)")
                bad = []
            totals, good = _scan(input, loaded_at, bad, f"ingesting {input.name}", store, write=True)
    except (InputError, StoreError) as e:
        fail(str(e))
    if skip_bad:
        report_bad(bad, True, "lines")
        if not good and not bad:
            fail(f"{input}: no documents to ingest (the file is empty)")
    err.print(f"ingested {good:,} documents from {input} into {config.home}: {totals['inserted']:,} new, "
              f"{totals['updated']:,} updated, {totals['unchanged']:,} unchanged", highlight=False, soft_wrap=True)


def _patentsview_source(source: str) -> dict:
    """The settings of `source` in the registry (its document URL template), {} for a source not in it."""
    from crawlers.registry import RegistryError, load_registry

    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", source):
        fail(f"--source {source!r}: a source id is lower-case letters, digits, '.', '_' and '-'")
    try:
        entry = next((s for s in load_registry() if s.id == source), None)
    except RegistryError as e:
        fail(str(e))
    if entry is not None and entry.kind != "patent":
        fail(f"--source {source!r} is a {entry.kind} source in the registry; PatentsView tables hold patents")
    return dict(entry.settings) if entry is not None else {}


def _cpc_keep(spec: str):
    from crawlers.cpcfilter import CpcFilter

    value = spec.strip()
    if value not in ("taxonomy", "none"):
        value = [p.strip() for p in value.split(",") if p.strip()]
        if not value:
            fail("--cpc-filter: 'taxonomy', 'none' or comma-separated CPC class prefixes (H01M,H10B)")
    try:
        return CpcFilter(value)
    except ValueError as e:
        fail(f"--cpc-filter: {e}")


def _tables_state_key(source: str) -> str:
    return f"{source}#patentsview-tables"


def _already_loaded(store, source: str, digest: str) -> dict | None:
    """The record of the load that gave these tables' digest, if every document it stored still holds what it
    gave (a crawl that changed one clears its digest, and the tables are then read again to restore it)."""
    done = store.get_state(_tables_state_key(source))
    if done.get("digest") != digest or store.count_documents_of_input(digest) != done.get("documents"):
        return None
    return done


def _ingest_patentsview(directory: Path, source: str, cpc_filter: str, skip_bad: bool, reload: bool = False) -> None:
    """Stage the side tables, then stream g_patent joined batch by batch into the store; without --skip-bad a
    checking pass over the joined patents comes first, so a bad row stores nothing. The same tables loaded
    again under the same code and settings are not read again (`_already_loaded`), unless `reload`."""
    from crawlers.parsers.patentsview_tables import PatentsViewTables
    from ews.app.progress import Progress
    from ews.kernel.records import InputError
    from ews.kernel.store import Store, StoreError

    loaded_at = dt.datetime.now(dt.UTC)
    registry_settings = _patentsview_source(source)
    keep = _cpc_keep(cpc_filter)
    config = settings()
    bad: list = []
    totals: Counter = Counter()
    try:
        with PatentsViewTables(directory, Path(config.home) / "bulk-tmp", source=source, fetched_at=loaded_at,
                               settings=registry_settings, keep=keep) as tables:
            digest = tables.digest(json.dumps({"source": source, "cpc_filter": cpc_filter.strip(),
                                               "settings": registry_settings}, sort_keys=True, default=str))
            with Store(config.home) as store:
                done = None if reload else _already_loaded(store, source, digest)
            if done is not None:
                err.print(f"the PatentsView tables in {directory} were loaded into {config.home} on {done['at'][:16]} "
                          f"UTC with these settings ({done['documents']:,} documents, none changed since): nothing to "
                          "load (--reload reads them again)", highlight=False, soft_wrap=True)
                return
            progress = Progress.for_console(err, transient=True, final_lines=False)
            try:
                staging: list = []  # one task per side table: its own line numbers

                def staged(name: str, line: int) -> None:
                    if not staging or staging[-1][0] != name:
                        if staging:
                            staging[-1][1].finish()
                        staging.append((name, progress.task(f"staging {name}", unit="lines", every=PROGRESS_EVERY)))
                    staging[-1][1].update(line)
                try:
                    tables.stage(bad, staged)
                finally:
                    if staging:
                        staging[-1][1].finish()
                if not skip_bad:
                    with progress.task("checking g_patent", unit="lines", every=PROGRESS_EVERY) as checking:
                        for _ in tables.batches(bad, checking.update):
                            pass
                    report_bad(bad, False, "rows")
                    bad = []
                with progress.task("ingesting g_patent", unit="lines", every=PROGRESS_EVERY) as writing, \
                        Store(config.home) as store:
                    for docs in tables.batches(bad, writing.update):
                        if docs:
                            totals.update(store.upsert_documents(docs, input_digests=[digest] * len(docs)))
                    store.set_state(_tables_state_key(source), {"digest": digest, "at": loaded_at.isoformat(),
                                                                "documents": store.count_documents_of_input(digest)})
            finally:
                progress.close()
            stats = tables.stats
    except (InputError, StoreError) as e:
        fail(str(e))
    if skip_bad:
        report_bad(bad, True, "rows")
    for note in stats.notes:
        err.print(f"note: {note}", highlight=False, soft_wrap=True)
    if not stats.patents and not bad:
        fail(f"{directory}: no patents to ingest (g_patent has no rows)")
    err.print(f"ingested {stats.documents:,} documents from the PatentsView tables in {directory} into {config.home} "
              f"(source {source}): {totals['inserted']:,} new, {totals['updated']:,} updated, "
              f"{totals['unchanged']:,} unchanged; of {stats.patents:,} patents read, {stats.outside_filter:,} outside "
              f"the CPC filter ({cpc_filter}), {stats.without_application:,} without an application row "
              "(dated by their grant)", highlight=False, soft_wrap=True)
