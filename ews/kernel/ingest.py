"""Documents given in the document schema (a bulk history file), turned into stored `Document`s.

The id is derived as for a crawled document (`ews.kernel.ids.document_id` of source and
source key), so loading the same file twice stores nothing new; a line that states an `id`
must state that one. Patent fields may come nested under `patent` (the stored form) or at
the top level of the line (`application_date`, `applicants`, `cpc`, …), the shape bulk
exports have. A missing `fetched_at` is the time of the load: the store ignores it when it
compares a document with the stored one.

A line's `line_digest` is stored with the document it made, so a second load of the same file
recognises the line by its bytes and parses nothing (`Store.documents_of_inputs`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from types import ModuleType

from ews.kernel import ids, schema
from ews.kernel.ids import document_id
from ews.kernel.schema import Document, PatentInfo

PATENT_FIELDS = tuple(PatentInfo.model_fields)


def conversion_digest(*readers: ModuleType) -> bytes:
    """A fingerprint of the code that turns input into Documents: the ids, the schema, this module and the
    `readers` of another input layout. Input digests include it: after an upgrade that changes that code every
    input is read again, so no stored document is one the running code would not make from its input."""
    return hashlib.sha256(b"".join(Path(m.__file__).read_bytes() for m in (ids, schema, *readers))
                          + Path(__file__).read_bytes()).digest()


_CONVERSION = conversion_digest()


def line_digest(text: str) -> str:
    """The digest of one input line's text (as `ews.kernel.records.iter_lines` gives it) under this code."""
    return hashlib.sha256(_CONVERSION + text.encode("utf-8")).hexdigest()[:32]


def document_from_record(obj: dict, loaded_at: dt.datetime) -> Document:
    """One input line as a Document; ValueError / ValidationError say what is wrong with it."""
    rec = dict(obj)
    flat = {k: rec.pop(k) for k in PATENT_FIELDS if k in rec}
    if flat:
        if rec.get("kind") != "patent":
            raise ValueError(f"patent fields ({', '.join(sorted(flat))}) on a document of kind {rec.get('kind')!r}")
        nested = rec.get("patent")
        if nested is not None and not isinstance(nested, dict):
            raise ValueError("patent: must be an object")
        twice = sorted(set(flat) & set(nested or {}))
        if twice:
            raise ValueError(f"{', '.join(twice)} given both at the top level and under patent")
        rec["patent"] = {**(nested or {}), **flat}
    for name in ("source", "source_key"):
        if not isinstance(rec.get(name), str) or not rec[name].strip():
            raise ValueError(f"{name}: a non-empty text is required")
    derived = document_id(rec["source"], rec["source_key"])
    stated = rec.get("id")
    if stated is not None and stated != derived:
        raise ValueError(f"id {str(stated)[:80]!r} is not the id of source {rec['source']!r} and source_key "
                         f"{rec['source_key'][:80]!r} ({derived}): leave it out and it is derived")
    rec["id"] = derived
    rec.setdefault("fetched_at", loaded_at)
    return Document.model_validate(rec)
