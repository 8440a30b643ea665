"""Reading input files record by record with errors that name the file, line and problem.

A bad record never crashes with a traceback and never silently disappears: it is
collected as a `BadRecord`; the command then stops (default) or skips it and
reports how many it skipped and why (`--skip-bad`).
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ews.kernel.files import temporary_sibling

T = TypeVar("T")
MAX_LINE_BYTES = 16 * 1024 * 1024


class InputError(Exception):
    """The input as a whole is unusable (missing, unreadable, wrong header)."""


@dataclass
class BadRecord:
    path: str
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem}"


@dataclass
class ReadResult:
    records: list = field(default_factory=list)
    bad: list[BadRecord] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line of each record, where the reader knows it

    def drop_duplicate_ids(self, name: str) -> None:
        """A second record with an id already read is a bad record (its line unknown here: counted by id)."""
        first: dict[str, int] = {}
        kept, kept_lines = [], []
        lines = self.lines or list(range(1, len(self.records) + 1))
        for line, r in zip(lines, self.records):
            rid = getattr(r, "id", None)
            if rid is not None and rid in first:
                self.bad.append(BadRecord(name, line, f"duplicate id {rid!r}: already on line {first[rid]}"))
                continue
            first.setdefault(rid, line)
            kept.append(r)
            kept_lines.append(line)
        self.records, self.lines = kept, kept_lines
        self.bad.sort(key=lambda b: b.line)

    def summary(self) -> str:
        kinds = Counter(b.problem.split(":")[0] for b in self.bad)
        return ", ".join(f"{n} × {k}" for k, n in kinds.most_common())


def open_binary(path: Path) -> io.BufferedIOBase:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a file")
    f = open(path, "rb")
    if f.peek(2)[:2] == b"\x1f\x8b":  # gzip magic, whatever the suffix says
        return gzip.open(f, "rb")  # type: ignore[return-value]
    return f  # type: ignore[return-value]


def _validation_problem(e: ValidationError) -> str:
    parts = []
    for err in e.errors()[:3]:
        loc = ".".join(str(x) for x in err["loc"]) or "record"
        parts.append(f"{loc}: {err['msg']}")
    return "invalid record: " + "; ".join(parts)


def _lost_rest(path: Path, f, lines_read: int, e: Exception) -> str:
    """What a damaged (truncated, corrupt) file costs: every record after the last line read. A truncated
    gzip stream does not say how long it was, so the count of lost records cannot be known; the bytes
    left unread can, when the damage is before the end."""
    text = f"file damaged after line {lines_read} ({e}): every record after it is lost"
    raw = getattr(f, "fileobj", None)
    try:
        consumed, total = (raw.tell(), path.stat().st_size) if raw is not None else (None, None)
    except (OSError, ValueError):
        consumed = total = None
    if consumed is not None and total and consumed < total:
        return text + f", {total - consumed:,} of {total:,} compressed bytes unread"
    return text + ", how many cannot be known from a truncated stream"


def iter_lines(path: Path) -> Iterator[tuple[int, str | BadRecord]]:
    """Yield (line number, the line's text stripped, or BadRecord) for each non-blank line of a JSON Lines file
    (gzip or plain): a line too long, not UTF-8, or a damaged stream is a BadRecord."""
    name = str(path)
    with open_binary(path) as f:
        lineno = 0
        while True:
            try:
                raw = f.readline(MAX_LINE_BYTES + 1)
            except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as e:
                yield lineno + 1, BadRecord(name, lineno + 1, _lost_rest(path, f, lineno, e))
                return
            if not raw:
                return
            lineno += 1
            if len(raw) > MAX_LINE_BYTES:
                yield lineno, BadRecord(name, lineno, f"line too long: over {MAX_LINE_BYTES} bytes")
                while raw and not raw.endswith(b"\n"):  # skip the rest of the oversized line
                    raw = f.readline(MAX_LINE_BYTES)
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield lineno, BadRecord(name, lineno, f"not UTF-8: byte {e.start} ({raw[e.start:e.start+1]!r})")
                continue
            text = text.lstrip("\ufeff").strip()
            if text:
                yield lineno, text


def parse_json_line(name: str, lineno: int, text: str, parse: Callable[[dict], T]) -> T | BadRecord:
    """One line's text (from `iter_lines`) as a JSON object given to `parse`, or the BadRecord saying why not."""
    try:
        obj: Any = json.loads(text)
    except json.JSONDecodeError as e:
        return BadRecord(name, lineno, f"not JSON: {e.msg} at column {e.colno}")
    except RecursionError:
        return BadRecord(name, lineno, "not JSON this reader accepts: nested too deeply")
    except ValueError as e:  # an integer of thousands of digits (Python's conversion limit)
        return BadRecord(name, lineno, f"not JSON this reader accepts: {str(e).split(';')[0]}")
    if not isinstance(obj, dict):
        return BadRecord(name, lineno, f"not a JSON object: got {type(obj).__name__}")
    try:
        return parse(obj)
    except ValidationError as e:
        return BadRecord(name, lineno, _validation_problem(e))
    except ValueError as e:
        return BadRecord(name, lineno, f"invalid record: {e}")


def iter_jsonl(path: Path, parse: Callable[[dict], T]) -> Iterator[tuple[int, T | BadRecord]]:
    """Yield (line number, parsed record or BadRecord); blank lines are skipped."""
    name = str(path)
    for lineno, text in iter_lines(path):
        yield lineno, text if isinstance(text, BadRecord) else parse_json_line(name, lineno, text, parse)


def read_jsonl(path: Path, model: type[BaseModel]) -> ReadResult:
    result = ReadResult()
    for line, rec in iter_jsonl(path, model.model_validate):
        if isinstance(rec, BadRecord):
            result.bad.append(rec)
        else:
            result.records.append(rec)
            result.lines.append(line)
    return result


def read_csv(path: Path, required: list[str], parse: Callable[[dict], T]) -> ReadResult:
    """CSV with a header row; rows numbered as lines of the file (header is line 1)."""
    name = str(path)
    result = ReadResult()
    with open_binary(path) as fb:
        try:
            data = fb.read()
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            raise InputError(f"{name}: unreadable: {e}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(f"{name}:{line}: not UTF-8 (byte {e.start}); re-encode the file as UTF-8") from None
    if not text.strip():
        raise InputError(f"{name}: empty file, expected a header with columns {','.join(required)}")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise InputError(f"{name}:1: header names column(s) {', '.join(twice)} more than once; which one counts is unclear")
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"{name}:1: header lacks column(s) {', '.join(missing)}; found {', '.join(header) or 'nothing'}")
    reader.fieldnames = header
    for row in reader:
        lineno = reader.line_num
        if None in row:
            result.bad.append(BadRecord(name, lineno, f"too many fields: {len(header) + len(row[None])} for {len(header)} columns"))
            continue
        if any(row.get(c) is None for c in required):
            result.bad.append(BadRecord(name, lineno, "too few fields"))
            continue
        try:
            result.records.append((lineno, parse(row)))
        except ValidationError as e:
            result.bad.append(BadRecord(name, lineno, _validation_problem(e)))
        except ValueError as e:
            result.bad.append(BadRecord(name, lineno, f"invalid row: {e}"))
    return result


def write_jsonl_atomic(path: Path, rows: Iterator[dict] | list[dict]) -> int:
    """Write all rows or nothing: a temporary file renamed into place at the end."""
    path = check_output_file(path)
    tmp = temporary_sibling(path)
    n = 0
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
                n += 1
        os.replace(tmp, path)
    except OSError as e:
        raise InputError(f"{path}: cannot write: {e.strerror or e}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return n


def check_output_file(path: Path) -> Path:
    """An output file path that can be written: checked before any work is done, so a long run
    never ends in an unwritable path."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a file name to write")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"{path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise InputError(f"{path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"{path}: not writable")
    return path


def check_output_dir(path: Path) -> Path:
    """An output directory that can be created or replaced."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: is a file, expected a directory to write into")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"{path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{path}: {parent} is not writable")
    return path


# ---- count series (the `ews detect` / `ews forecast` input) -----------------------------------------------------
# counts above 2**53 lose precision in the float arithmetic of the detectors: refused, not rounded
MAX_COUNT = 2**53
# the longest series a command fills in (missing periods count as 0): 200 years of any granularity
MAX_SERIES_YEARS = 200
_WHOLE_NUMBER = re.compile(r"^\d+(?:\.0*)?$")


def _shown(raw: str, limit: int = 40) -> str:
    return repr(raw) if len(raw) <= limit else repr(raw[:limit]) + "…"


def parse_count(raw: str) -> int:
    """A count as written in a CSV: a whole number of digits (no sign, exponent, separator, inf or nan)."""
    text = (raw or "").strip()
    if not _WHOLE_NUMBER.match(text):
        raise ValueError(f"count {_shown(raw)} is not a whole number written in digits")
    digits = text.split(".")[0]
    if len(digits) > 16 or int(digits) > MAX_COUNT:
        raise ValueError(f"count {_shown(raw)} ({len(digits)} digits) is larger than {MAX_COUNT:,}, beyond exact arithmetic")
    return int(digits)


def read_count_csv(path: Path) -> ReadResult:
    """The count-series CSV (`series,period,count`): rows validated one by one (a whole-number count, a
    real period, a safe series key), then per series one granularity, no duplicate period and a range of
    at most MAX_SERIES_YEARS; `records` holds (line, CountRow) pairs of the good rows."""
    from ews.kernel.periods import PeriodError, granularity, to_period
    from ews.kernel.schema import CountRow
    from ews.kernel.series import check_key_text

    def parse(row: dict) -> CountRow:
        period = (row["period"] or "").strip()
        try:
            to_period(period)
        except PeriodError as e:
            raise ValueError(str(e)) from None
        return CountRow(series=check_key_text((row["series"] or "").strip()), period=period, count=parse_count(row["count"]))

    res = read_csv(path, ["series", "period", "count"], parse)
    name = str(path)
    gran: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    years: dict[str, list[int]] = {}
    good = []
    for lineno, r in res.records:
        g = granularity(r.period)
        if gran.setdefault(r.series, g) != g:
            res.bad.append(BadRecord(name, lineno, f"mixed granularity: series {r.series!r} has {gran[r.series]} periods, this row a {g}"))
            continue
        if (r.series, r.period) in seen:
            res.bad.append(BadRecord(name, lineno, f"duplicate row: series {r.series!r} period {r.period} appears twice"))
            continue
        seen.add((r.series, r.period))
        span = years.setdefault(r.series, [int(r.period[:4]), int(r.period[:4])])
        year = int(r.period[:4])
        if max(span[1], year) - min(span[0], year) >= MAX_SERIES_YEARS:
            res.bad.append(BadRecord(name, lineno, f"series {r.series!r} would span {min(span[0], year)}..{max(span[1], year)}: "
                                                   f"more than {MAX_SERIES_YEARS} years of periods to fill"))
            continue
        span[0], span[1] = min(span[0], year), max(span[1], year)
        good.append((lineno, r))
    res.records = good
    res.bad.sort(key=lambda b: b.line)
    return res
