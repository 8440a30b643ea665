"""The versioned taxonomy of the 12 fields and 50 technologies, loaded from package data.

`load_taxonomy()` validates what it reads (12 fields, 50 unique technologies,
every field non-empty, ids of the form `field.technology`, parseable patent
classes) and raises `TaxonomyError` naming the file and the problem.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from ews.kernel.schema import normalize_cpc
from ews.kernel.yamldata import yaml_mapping

EXPECTED_FIELDS = 12
EXPECTED_TECHNOLOGIES = 50


class TaxonomyError(ValueError):
    pass


class Technology(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")
    name_ko: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    keywords_ko: list[str] = Field(min_length=1)
    keywords_en: list[str] = Field(min_length=1)
    cpc: list[str] = Field(min_length=1)
    cpc_legacy: list[str] = Field(default_factory=list)
    cpc_unverified: list[str] = Field(default_factory=list)
    source_lines: list[int] = Field(default_factory=list)
    notes: str = ""

    @field_validator("cpc", "cpc_legacy", "cpc_unverified")
    @classmethod
    def _classes(cls, v: list[str]) -> list[str]:
        return [normalize_cpc(s) for s in v]

    @property
    def field_id(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def all_cpc(self) -> list[str]:
        return self.cpc + self.cpc_legacy


class TechField(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name_ko: str
    name_en: str
    group: str = ""
    group_ko: str = ""
    lead_ministries: list[str] = Field(default_factory=list)
    source_lines: list[int] = Field(default_factory=list)
    technologies: list[Technology] = Field(min_length=1)

    @model_validator(mode="after")
    def _prefix(self) -> TechField:
        for t in self.technologies:
            if t.field_id != self.id:
                raise ValueError(f"technology {t.id!r} is listed under field {self.id!r}")
        return self


class Taxonomy(BaseModel):
    version: str
    effective_date: dt.date
    title_ko: str = ""
    title_en: str = ""
    source: str = ""
    designation: str = ""
    refresh_cycle: str = ""
    cpc_note: str = ""
    fields: list[TechField]

    @model_validator(mode="after")
    def _counts(self) -> Taxonomy:
        if len(self.fields) != EXPECTED_FIELDS:
            raise ValueError(f"expected {EXPECTED_FIELDS} fields, found {len(self.fields)}")
        ids = [t.id for f in self.fields for t in f.technologies]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"technology ids are not unique: {dupes}")
        if len(ids) != EXPECTED_TECHNOLOGIES:
            raise ValueError(f"expected {EXPECTED_TECHNOLOGIES} technologies, found {len(ids)}")
        fids = [f.id for f in self.fields]
        if len(set(fids)) != len(fids):
            raise ValueError(f"field ids are not unique: {fids}")
        return self

    @property
    def technologies(self) -> list[Technology]:
        return [t for f in self.fields for t in f.technologies]

    def technology(self, tech_id: str) -> Technology:
        for t in self.technologies:
            if t.id == tech_id:
                return t
        raise KeyError(tech_id)

    def field(self, field_id: str) -> TechField:
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    @property
    def technology_ids(self) -> list[str]:
        return [t.id for t in self.technologies]

    @property
    def field_ids(self) -> list[str]:
        return [f.id for f in self.fields]

    def to_json(self) -> dict:
        return self.model_dump(mode="json")


class VersionEntry(BaseModel):
    version: str
    file: str
    replaces: str | None = None
    mapping: dict[str, list[str]] = Field(default_factory=dict)


class VersionIndex(BaseModel):
    active: str
    versions: list[VersionEntry] = Field(min_length=1)

    def entry(self, version: str) -> VersionEntry:
        for v in self.versions:
            if v.version == version:
                return v
        known = ", ".join(v.version for v in self.versions)
        raise TaxonomyError(f"unknown taxonomy version {version!r} (known: {known})")


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaxonomyError(f"{path}: taxonomy file not found") from None
    except UnicodeDecodeError as e:
        raise TaxonomyError(f"{path}: not UTF-8 text ({e})") from None
    return yaml_mapping(text, str(path), TaxonomyError)


def _format_validation(path: Path, err: ValidationError) -> str:
    lines = []
    for e in err.errors()[:10]:
        loc = ".".join(str(x) for x in e["loc"])
        lines.append(f"  at {loc or '(top level)'}: {e['msg']}")
    more = f"\n  … and {err.error_count() - 10} more" if err.error_count() > 10 else ""
    return f"{path}: invalid taxonomy\n" + "\n".join(lines) + more


def load_taxonomy_file(path: Path | str) -> Taxonomy:
    path = Path(path)
    data = _read_yaml(path)
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as e:
        raise TaxonomyError(_format_validation(path, e)) from None


def _data_dir() -> Path:
    return Path(str(resources.files("ews.kernel.taxonomy")))


def version_index(data_dir: Path | None = None) -> VersionIndex:
    d = data_dir or _data_dir()
    path = d / "versions.yaml"
    try:
        return VersionIndex.model_validate(_read_yaml(path))
    except ValidationError as e:
        raise TaxonomyError(_format_validation(path, e)) from None


@lru_cache(maxsize=8)
def _load_cached(version: str | None, data_dir: str | None) -> Taxonomy:
    d = Path(data_dir) if data_dir else _data_dir()
    idx = version_index(d)
    entry = idx.entry(version or idx.active)
    tax = load_taxonomy_file(d / entry.file)
    if tax.version != entry.version:
        raise TaxonomyError(f"{d / entry.file}: declares version {tax.version!r}, versions.yaml says {entry.version!r}")
    return tax


def load_taxonomy(version: str | None = None, data_dir: Path | None = None) -> Taxonomy:
    """The taxonomy of `version` (default: the active one of versions.yaml; entry points pass the
    `taxonomy_version` of their settings, `EWS_TAXONOMY_VERSION`)."""
    return _load_cached(version, str(data_dir) if data_dir else None)


def map_ids(tech_ids: list[str], from_version: str, to_version: str, data_dir: Path | None = None) -> list[str]:
    """Carry technology ids of one taxonomy version to another along the `replaces` chain.

    Unmapped ids keep their meaning; an id mapped to [] is retired and dropped.
    """
    idx = version_index(data_dir)
    order = [v.version for v in idx.versions]
    for v in (from_version, to_version):
        idx.entry(v)
    i, j = order.index(from_version), order.index(to_version)
    if i > j:
        raise TaxonomyError(f"cannot map ids backwards from {from_version} to {to_version}")
    ids = list(tech_ids)
    for entry in idx.versions[i + 1 : j + 1]:
        out: list[str] = []
        for t in ids:
            out.extend(entry.mapping.get(t, [t]))
        ids = list(dict.fromkeys(out))
    return ids
