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
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

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


def iter_jsonl(path: Path, parse: Callable[[dict], T]) -> Iterator[tuple[int, T | BadRecord]]:
    """Yield (line number, parsed record or BadRecord); blank lines are skipped."""
    name = str(path)
    with open_binary(path) as f:
        lineno = 0
        while True:
            try:
                raw = f.readline(MAX_LINE_BYTES + 1)
            except (OSError, EOFError, gzip.BadGzipFile) as e:
                yield lineno + 1, BadRecord(name, lineno + 1, f"unreadable: {e}")
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
            if not text:
                continue
            try:
                obj: Any = json.loads(text)
            except json.JSONDecodeError as e:
                yield lineno, BadRecord(name, lineno, f"not JSON: {e.msg} at column {e.colno}")
                continue
            if not isinstance(obj, dict):
                yield lineno, BadRecord(name, lineno, f"not a JSON object: got {type(obj).__name__}")
                continue
            try:
                yield lineno, parse(obj)
            except ValidationError as e:
                yield lineno, BadRecord(name, lineno, _validation_problem(e))
            except ValueError as e:
                yield lineno, BadRecord(name, lineno, f"invalid record: {e}")


def read_jsonl(path: Path, model: type[BaseModel]) -> ReadResult:
    result = ReadResult()
    for _, rec in iter_jsonl(path, model.model_validate):
        (result.bad if isinstance(rec, BadRecord) else result.records).append(rec)
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
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise InputError(f"{path}: directory {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    n = 0
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
                n += 1
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return n
