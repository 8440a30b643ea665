"""The series key: what one count series counts, as one typed value with one string form.

A key is a *subject* (a technology or a field for document counts; a source,
a pipeline task or an inventor for operational series), the *corpus* counted
(patents, policy documents, papers) and at most one *dimension* (applicant,
country, jurisdiction). The granularity is not part of the key: it is the
period's (`ews.kernel.periods.granularity`), so one key names the monthly and
the weekly series alike. The string form is the one the CSVs, the alert ids
and the stored alerts have always carried, dimensions `name:value` joined by
'|', the subject first:

| string | subject | corpus | dimension |
|---|---|---|---|
| `tech:semi.memory` | technology | patent | none |
| `field:semi` | field | patent | none |
| `tech:semi.memory\\|applicant:SAMSUNG ELECTRONICS` | technology | patent | applicant (normalised name, `ews.kernel.names`) |
| `tech:semi.memory\\|country:KR` | technology | patent | country of an applicant |
| `tech:semi.memory\\|jurisdiction:KR` | technology | patent | office filed at |
| `field:semi\\|policy:KR`, `tech:semi.memory\\|policy:KR` | field / technology | policy | jurisdiction of the document |
| `field:semi\\|paper:ALL`, `tech:semi.memory\\|paper:ALL` | field / technology | paper | none |
| `source:kr.msit` | source | – | none |
| `pipeline:ews_monitoring\\|task:index` | pipeline (DAG) | – | task |
| `inventor:KIM JAEWON` | inventor | – | none |

Any other text (`ews detect` takes any series name from a CSV) is a *free*
key: kept verbatim, read as a technology when its first part looks like one
(`semi.memory|SAMSUNG`). Values never contain '|' (replaced by '/') and have
their whitespace collapsed; a key given as text that holds NUL, another
control character or a bidirectional override is refused (`SeriesKeyError`):
it would display as something else than it is. Built from crawled data, such
characters are dropped instead.

`document_series` is the one membership rule: the keys one tagged document
counts in. The count table (`models.aggregate.build_counts`) and the evidence
behind an alert (`alerts.build`) both read it through `memberships`, so the
documents listed behind a count are exactly those counted.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, get_args

from ews.kernel.names import normalise_applicant
from ews.kernel.periods import period_of
from ews.kernel.schema import Document, TaggedDocument, document_date

SEP = "|"
UNKNOWN_COUNTRY = "XX"
ALL_PAPERS = "ALL"

SubjectKind = Literal["tech", "field", "source", "pipeline", "inventor", "free"]
Dimension = Literal["applicant", "country", "jurisdiction", "task"]
Corpus = Literal["patent", "policy", "paper"]
DIMENSIONS: tuple[str, ...] = get_args(Dimension)
_DOCUMENT_SUBJECTS = ("tech", "field")
_PATENT_DIMENSIONS = ("applicant", "country", "jurisdiction")
_OPERATIONAL_SUBJECTS = ("source", "pipeline", "inventor")

# Characters that make a key look like another one: C0/C1 controls (NUL included) and the
# Unicode bidirectional marks, embeddings, overrides and isolates.
_HOSTILE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class SeriesKeyError(ValueError):
    pass


def check_key_text(text: str) -> str:
    """`text` if it is usable as a series key, else SeriesKeyError naming the character and its position."""
    if not isinstance(text, str) or not text.strip():
        raise SeriesKeyError("a series key must be a non-empty text")
    m = _HOSTILE.search(text)
    if m:
        raise SeriesKeyError(f"series key {text[:80]!r} holds the control character U+{ord(m.group()):04X} "
                             f"at position {m.start()}: refused, it would display as another key")
    return text


def _clean(value: object) -> str:
    """A dimension value as it appears in a key: no separator, no hostile characters, single spaces."""
    text = _HOSTILE.sub(" ", str(value).replace(SEP, "/"))
    return " ".join(text.split())


@dataclass(frozen=True, eq=False, slots=True)
class SeriesKey:
    """One series key. Equal and hashed by its string form, which it maps to one to one."""

    subject_kind: SubjectKind
    subject: str
    corpus: Corpus | None = None
    dimension: Dimension | None = None
    value: str | None = None
    text: str = ""

    # construction -------------------------------------------------------------------------------
    @classmethod
    def of_technology(cls, tech_id: str, dimension: Dimension | None = None, value: str | None = None,
                   corpus: Corpus = "patent") -> SeriesKey:
        return cls._document("tech", tech_id, corpus, dimension, value)

    @classmethod
    def of_field(cls, field_id: str, dimension: Dimension | None = None, value: str | None = None,
                 corpus: Corpus = "patent") -> SeriesKey:
        return cls._document("field", field_id, corpus, dimension, value)

    @classmethod
    def of_source(cls, source_id: str) -> SeriesKey:
        return cls._make("source", _clean(source_id))

    @classmethod
    def of_pipeline(cls, dag_id: str, task_id: str) -> SeriesKey:
        return cls._make("pipeline", _clean(dag_id), None, "task", _clean(task_id))

    @classmethod
    def of_inventor(cls, person_key: str) -> SeriesKey:
        return cls._make("inventor", _clean(person_key))

    @classmethod
    def _document(cls, kind: SubjectKind, subject: str, corpus: Corpus, dimension: Dimension | None,
                  value: str | None) -> SeriesKey:
        if corpus == "policy":
            if dimension not in (None, "jurisdiction"):
                raise SeriesKeyError(f"policy series are per jurisdiction, not per {dimension}")
            dimension, value = "jurisdiction", value or UNKNOWN_COUNTRY
        elif corpus == "paper":
            if dimension is not None:
                raise SeriesKeyError(f"paper series have no dimension, got {dimension}")
            value = None
        elif dimension is not None and dimension not in _PATENT_DIMENSIONS:
            raise SeriesKeyError(f"a patent series has no dimension {dimension!r}")
        if dimension is not None and not _clean(value or ""):
            raise SeriesKeyError(f"dimension {dimension} of {kind}:{subject} needs a value")
        return cls._make(kind, _clean(subject), corpus, dimension, _clean(value) if dimension else None)

    @classmethod
    def _make(cls, kind: SubjectKind, subject: str, corpus: Corpus | None = None,
              dimension: Dimension | None = None, value: str | None = None) -> SeriesKey:
        if not subject:
            raise SeriesKeyError(f"a {kind} series needs a subject")
        return cls(kind, subject, corpus, dimension, value, _format(kind, subject, corpus, dimension, value))

    # reading -------------------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> SeriesKey:
        """The key a string names; any non-empty text without hostile characters is one (a free key)."""
        check_key_text(text)
        head, _, rest = text.partition(SEP)
        name, colon, subject = head.partition(":")
        dims = [p.partition(":") for p in rest.split(SEP)] if rest else []
        typed = None
        if colon and subject and all(sep and v for _, sep, v in dims) and len(dims) <= 1:
            dim, value = (dims[0][0], dims[0][2]) if dims else (None, None)
            if name in _DOCUMENT_SUBJECTS:
                if dim is None:
                    typed = cls._make(name, subject, "patent")
                elif dim in _PATENT_DIMENSIONS:
                    typed = cls._make(name, subject, "patent", dim, value)
                elif dim == "policy":
                    typed = cls._make(name, subject, "policy", "jurisdiction", value)
                elif dim == "paper" and value == ALL_PAPERS:
                    typed = cls._make(name, subject, "paper")
            elif name == "pipeline" and dim == "task":
                typed = cls._make("pipeline", subject, None, "task", value)
            elif name in ("source", "inventor") and dim is None:
                typed = cls._make(name, subject)
        if typed is not None and typed.text == text:
            return typed
        return cls("free", text, None, None, None, text)

    @classmethod
    def read(cls, text: str) -> SeriesKey:
        """The key of a stored series name: as `parse`, but a name that `parse` refuses is kept as a free key
        (what was stored is read back, never refused; new keys are checked where they enter)."""
        try:
            return cls.parse(text)
        except SeriesKeyError:
            return cls("free", str(text), None, None, None, str(text))

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"SeriesKey({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SeriesKey) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __lt__(self, other: SeriesKey) -> bool:
        return self.text < other.text

    @property
    def technology(self) -> str | None:
        """The technology id ('semi.memory') of a technology series, or of a free key that starts with one."""
        if self.subject_kind == "tech":
            return self.subject
        if self.subject_kind == "free":
            head = self.text.partition(SEP)[0]
            name, colon, value = head.partition(":")
            if colon and name == "tech":
                return value
            if not colon and "." in head and " " not in head:
                return head
        return None

    @property
    def field(self) -> str | None:
        """The field id: of a field series, or the prefix of the technology id ('semi' of 'semi.memory')."""
        if self.subject_kind == "field":
            return self.subject
        if self.subject_kind == "free":
            name, colon, value = self.text.partition(SEP)[0].partition(":")
            if colon and name == "field":
                return value
        tech = self.technology
        return tech.split(".", 1)[0] if tech and "." in tech else None

    @property
    def facet(self) -> str | None:
        """What follows the subject in the string form ('country:KR', 'policy:KR'), None for a bare subject."""
        rest = self.text.partition(SEP)[2]
        return rest or None

    @property
    def counts_documents(self) -> Corpus | None:
        """The documents a count of this key counts. A free key (user CSV) counts policy documents or papers
        when one of its parts is `policy:…` or `paper:…`, patents otherwise."""
        if self.subject_kind in _OPERATIONAL_SUBJECTS:
            return None
        if self.subject_kind == "free":
            names = {part.partition(":")[0] for part in self.text.split(SEP) if ":" in part}
            return "policy" if "policy" in names else "paper" if "paper" in names else "patent"
        return self.corpus


def _format(kind: str, subject: str, corpus: str | None, dimension: str | None, value: str | None) -> str:
    head = f"{kind}:{subject}"
    if corpus == "policy":
        return f"{head}{SEP}policy:{value}"
    if corpus == "paper":
        return f"{head}{SEP}paper:{ALL_PAPERS}"
    return f"{head}{SEP}{dimension}:{value}" if dimension else head


# ------------------------------------------------------------------------------------ membership


def document_series(doc: Document, tagged: TaggedDocument) -> set[SeriesKey]:
    """Every series key one tagged document counts in (each once: two Korean applicants on one
    patent make one count in `…|country:KR`)."""
    subjects = ([SeriesKey.of_technology(t.id) for t in tagged.tagging.technologies]
                + [SeriesKey.of_field(f) for f in tagged.tagging.fields])
    keys: set[SeriesKey] = set()
    if doc.kind == "patent":
        info = doc.patent
        applicants = {normalise_applicant(a.name) for a in info.applicants} - {""} if info else set()
        countries = {a.country for a in info.applicants if a.country} if info else set()
        for subj in subjects:
            keys.add(subj)
            if subj.subject_kind != "tech":
                continue
            keys.update(SeriesKey.of_technology(subj.subject, "applicant", a) for a in applicants if _clean(a))
            keys.update(SeriesKey.of_technology(subj.subject, "country", c) for c in countries)
            if _clean(doc.jurisdiction or ""):
                keys.add(SeriesKey.of_technology(subj.subject, "jurisdiction", doc.jurisdiction))
    else:
        for subj in subjects:
            if doc.kind == "policy":
                keys.add(SeriesKey._document(subj.subject_kind, subj.subject, "policy", "jurisdiction",
                                             _clean(doc.jurisdiction or "") or UNKNOWN_COUNTRY))
            else:
                keys.add(SeriesKey._document(subj.subject_kind, subj.subject, "paper", None, None))
    return keys


@dataclass(frozen=True, slots=True)
class Membership:
    """One counted document: its date, its period at the granularity asked for and the series it counts in."""

    document: Document
    tagged: TaggedDocument
    date: dt.date
    period: str
    keys: frozenset[SeriesKey]

    def period_at(self, granularity: str) -> str:
        return period_of(self.date, granularity)


def memberships(documents: Iterable[Document], tagged: Iterable[TaggedDocument], granularity: str,
                as_of: dt.date | None = None) -> Iterator[Membership]:
    """The counted documents, one pass: dated (`document_date`), tagged, and not after `as_of`.

    An untagged or undated document counts nowhere. This is what a count is a
    count of; anything that lists the documents behind a count reads it here.
    """
    tags = {t.doc_id: t for t in tagged}
    for doc in documents:
        tag = tags.get(doc.id)
        if tag is None:
            continue
        date = document_date(doc)
        if date is None or (as_of is not None and date > as_of):
            continue
        yield Membership(doc, tag, date, period_of(date, granularity), frozenset(document_series(doc, tag)))
