"""The one schema per thing: document, tagged document, count row, detection, alert, source health.

Every boundary (crawler output, classifier input/output, store, detector output)
validates through these models, so a bad record is caught where it enters.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ews.kernel.ids import content_hash, document_id

Kind = Literal["patent", "policy", "paper"]
DateBasis = Literal["stated", "inferred"]
# What a count detector says of a period.
Direction = Literal["surge", "drop"]
# The kinds of alert, one per signal (`alerts.build` has the severity rule of each). `risk_rise` is
# reserved for stage 2 (a field's risk-impact score rising).
AlertKind = Literal["count_deviation", "inventor_move", "source_silent", "pipeline_failure", "risk_rise"]
# Which way an alert points: a count surged or dropped, an inventor moved abroad, a source fell silent,
# a pipeline task failed.
AlertDirection = Literal["surge", "drop", "move", "silent", "failure"]
# The review states (the transitions between them: `alerts.base.TRANSITIONS`).
AlertStatus = Literal["new", "triaged", "confirmed", "dismissed", "escalated"]
ALERT_KINDS: tuple[str, ...] = get_args(AlertKind)
ALERT_DIRECTIONS: tuple[str, ...] = get_args(AlertDirection)
ALERT_STATUSES: tuple[str, ...] = get_args(AlertStatus)
# The direction each kind of alert takes when it has one of its own.
KIND_DIRECTIONS: dict[str, str] = {"inventor_move": "move", "source_silent": "silent", "pipeline_failure": "failure"}
# Alerts stored before kinds existed are read by their detector name.
_LEGACY_DETECTOR_KINDS = {"inventor_abroad": "inventor_move", "source_silent": "source_silent",
                          "pipeline": "pipeline_failure"}

_CPC_RE = re.compile(r"^\s*([A-HY])\s*(\d{2})\s*([A-Z])\s*(\d{1,4})\s*(?:/\s*(\d{1,6}))?\s*$")


def normalize_cpc(symbol: str) -> str:
    """'H01M 10/0525', 'H01M10/0525', 'h01m  10 / 0525' -> 'H01M10/0525'; a bare main group gets '/00'.

    Raises ValueError for text that is not a CPC/IPC symbol.
    """
    m = _CPC_RE.match(symbol.upper())
    if not m:
        raise ValueError(f"not a CPC/IPC symbol: {symbol!r}")
    sect, cls, sub, group, subgroup = m.groups()
    return f"{sect}{cls}{sub}{int(group)}/{subgroup or '00'}"


class Party(BaseModel):
    """An applicant or inventor as the source names them, with a country where known."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    country: str | None = Field(default=None, description="ISO 3166 alpha-2, upper case")

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        v = v.strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", v):
            raise ValueError(f"country must be an ISO alpha-2 code, got {v!r}")
        return v


class PatentInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    application_number: str | None = None
    application_date: dt.date | None = None
    publication_number: str | None = None
    publication_date: dt.date | None = None
    priority_date: dt.date | None = None
    grant_date: dt.date | None = None
    applicants: list[Party] = Field(default_factory=list)
    inventors: list[Party] = Field(default_factory=list)
    cpc: list[str] = Field(default_factory=list)
    ipc: list[str] = Field(default_factory=list)

    @field_validator("cpc", "ipc")
    @classmethod
    def _classes(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(normalize_cpc(s) for s in v))


class Document(BaseModel):
    """A policy, patent or paper document, as every crawler writes it."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    source: str = Field(min_length=1, description="source registry id")
    source_key: str = Field(min_length=1, description="the source-side id: number, guid or URL")
    kind: Kind
    url: str | None = None
    title: str = ""
    text: str = ""
    lang: str | None = Field(default=None, description="ISO 639-1")
    published: dt.date | None = None
    published_basis: DateBasis = "inferred"
    fetched_at: dt.datetime
    jurisdiction: str | None = Field(default=None, description="ISO alpha-2, EU or INT")
    patent: PatentInfo | None = None
    raw_ref: str | None = Field(default=None, description="id of the archived raw response")
    content_hash: str = ""

    @model_validator(mode="after")
    def _derive(self) -> Document:
        if not self.title.strip() and not self.text.strip():
            raise ValueError("a document needs a title or a text")
        if self.kind != "patent" and self.patent is not None:
            raise ValueError(f"only patents carry patent data, this is a {self.kind}")
        if not self.content_hash:
            self.content_hash = content_hash(self.title + "\n" + self.text)
        return self

    @classmethod
    def build(cls, *, source: str, source_key: str, **kw) -> Document:
        return cls(id=document_id(source, source_key), source=source, source_key=source_key, **kw)


def document_date(doc: Document) -> dt.date | None:
    """The date a document counts at: patents by filing date (what the applicant decided when), else
    publication; others by publication. The one rule for counts, evidence, reports and emerging terms."""
    if doc.kind == "patent" and doc.patent is not None:
        return doc.patent.application_date or doc.patent.publication_date or doc.published
    return doc.published


class TechnologyScore(BaseModel):
    id: str
    score: float = Field(ge=0.0, le=1.0)
    evidence: list[str] = Field(default_factory=list, description="terms, classes or passages that drove it")


class Tagging(BaseModel):
    """What the classifier says of one document (the `ews classify` output line)."""

    id: str
    technologies: list[TechnologyScore] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list)

    def public(self) -> dict:
        """The contract's output line: ids and scores, evidence omitted."""
        return {
            "id": self.id,
            "technologies": [{"id": t.id, "score": round(t.score, 4)} for t in self.technologies],
            "fields": self.fields,
        }


class TaggedDocument(BaseModel):
    doc_id: str
    tagging: Tagging
    model_version: str
    taxonomy_version: str


class CountRow(BaseModel):
    series: str = Field(min_length=1)
    period: str
    count: int = Field(ge=0)

    @field_validator("series")
    @classmethod
    def _series(cls, v: str) -> str:
        from ews.kernel.series import check_key_text  # the series module reads documents: imports this one

        return check_key_text(v)


class Detection(BaseModel):
    """One verdict of a detector on one (series, period), as R surveillance's `sts` slots."""

    series: str
    period: str
    observed: float
    expected: float
    lower: float | None = None
    upper: float | None = None
    alarm: bool
    direction: Direction | None = None
    score: float = Field(ge=0.0, le=1.0)
    method: str
    # what the detector saw, in its own terms (a shift detector: run length, level before and after)
    note: str | None = None


class Signal(BaseModel):
    """What a detector says deserves attention, of any kind: the one input of the alert builder.

    `alerts.build.alert_from_signal` is the only place that turns a signal into
    an `Alert` (id, severity, explanation). `detector` and `occasion` (default:
    the period) make the deterministic id; `facts` are what the explanation is
    worded from; `evidence` is kept on the alert as it is.
    """

    model_config = ConfigDict(extra="forbid")
    kind: AlertKind
    detector: str = Field(min_length=1)
    series: str = Field(min_length=1)
    period: str
    occasion: str | None = None
    direction: AlertDirection
    observed: float | None = None
    expected: float | None = None
    lower: float | None = None
    upper: float | None = None
    score: float = Field(ge=0.0, le=1.0)
    method: str
    facts: dict = Field(default_factory=dict)
    evidence: dict = Field(default_factory=dict)

    @model_validator(mode="after")
    def _direction_fits_kind(self) -> Signal:
        own = KIND_DIRECTIONS.get(self.kind)
        if own is not None and self.direction != own:
            raise ValueError(f"a {self.kind} signal points {own}, not {self.direction}")
        if self.kind in ("count_deviation", "risk_rise") and self.direction not in ("surge", "drop"):
            raise ValueError(f"a {self.kind} signal is a surge or a drop, not {self.direction}")
        return self


class Alert(BaseModel):
    id: str
    kind: AlertKind = "count_deviation"
    detector: str
    series: str
    period: str
    direction: AlertDirection
    observed: float | None = None
    expected: float | None = None
    score: float = Field(ge=0.0, le=1.0)
    severity: float = Field(ge=0.0, le=1.0)
    method: str
    explanation: str = ""
    evidence: dict = Field(default_factory=dict)
    status: AlertStatus = "new"
    first_seen: dt.datetime
    last_seen: dt.datetime

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data):
        """Alerts stored before kinds existed: the kind from the detector name; a silent source and a failed
        task lose the disguise they had then (direction 'drop', and for a task observed 0 / expected 1).
        The id is kept."""
        if not isinstance(data, dict) or "kind" in data:
            return data
        data = dict(data)
        kind = data["kind"] = _LEGACY_DETECTOR_KINDS.get(str(data.get("detector")), "count_deviation")
        if kind in ("source_silent", "pipeline_failure") and data.get("direction") == "drop":
            data["direction"] = KIND_DIRECTIONS[kind]
        if kind == "pipeline_failure" and data.get("observed") == 0 and data.get("expected") == 1:
            data["observed"] = data["expected"] = None
        return data

    def public(self) -> dict:
        """The `ews detect` output line."""
        return {
            "series": self.series, "period": self.period, "direction": self.direction,
            "observed": self.observed, "expected": None if self.expected is None else round(self.expected, 3),
            "lower": self.evidence.get("lower"), "upper": self.evidence.get("upper"),
            "score": round(self.score, 4), "severity": round(self.severity, 4), "method": self.method,
            "explanation": self.explanation,
        }


class SourceHealth(BaseModel):
    source: str
    started_at: dt.datetime
    finished_at: dt.datetime
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    items: int = 0
    new_items: int = 0
    errors: int = 0
    error_messages: list[str] = Field(default_factory=list)
    ok: bool = True


class ClassifyInput(BaseModel):
    """One line of `ews classify` / `ews train` input."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1)
    text: str
    title: str = ""
    lang: str | None = None
    cpc: list[str] = Field(default_factory=list)
    labels: list[str] | None = Field(default=None, description="explicit technology ids (training only)")

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v):
        if isinstance(v, int) and not isinstance(v, bool):
            return str(v)
        return v

    @field_validator("cpc")
    @classmethod
    def _classes(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(normalize_cpc(s) for s in v))

    @classmethod
    def from_document(cls, d: Document) -> ClassifyInput:
        return cls(id=d.id, title=d.title, text=d.text, lang=d.lang,
                   cpc=(d.patent.cpc + d.patent.ipc) if d.patent else [])
