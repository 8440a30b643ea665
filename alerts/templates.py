"""Versioned index templates for the Elasticsearch store.

Each family (alerts, documents, trends, silences) has a template matching
`{prefix}-{family}-v*`, a concrete index `{prefix}-{family}-v{N}`, a read alias
`{prefix}-{family}` and a write alias `{prefix}-{family}-write`. Changing a
mapping means raising N here: start-up creates the new index, reindexes into it
and swaps both aliases in one atomic request, so readers never see downtime.

Mappings are explicit and strict (an unexpected field is an error, not a new
mapping). Free text gets the Korean analyzer where the cluster has
`analysis-nori`, else a CJK bigram analyzer, else the standard one, plus an
English sub-field (the `english` analyzer where the cluster has it, else the
standard one: a minimal distribution lacks the analysis-common module) and a
keyword sub-field.
"""
from __future__ import annotations

from typing import Literal

FAMILIES = ("alerts", "documents", "trends", "silences")
# alerts v2: `kind`; silent sources and failed tasks with their own directions (v1 alerts are upgraded on
# migration, `ElasticAlertStore._upgrade_legacy_alerts`).
VERSIONS: dict[str, int] = {"alerts": 2, "documents": 1, "trends": 1, "silences": 1}

TextAnalysis = Literal["nori", "cjk_bigram", "standard"]


def analysis_settings(kind: TextAnalysis, english: bool = True) -> dict:
    """The `ko_text` and `en_text` analyzers for the cluster's capabilities."""
    if kind == "nori":
        analyzer = {"type": "custom", "tokenizer": "nori_tokenizer", "filter": ["nori_readingform", "lowercase"]}
    elif kind == "cjk_bigram":
        analyzer = {"type": "custom", "tokenizer": "standard", "filter": ["cjk_width", "lowercase", "cjk_bigram"]}
    else:
        analyzer = {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]}
    en = {"type": "english"} if english else {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]}
    return {"analysis": {"analyzer": {"ko_text": analyzer, "en_text": en}}}


KEYWORD = {"type": "keyword"}
DATE = {"type": "date"}
FLOAT = {"type": "float"}
INT = {"type": "integer"}
STORED_ONLY = {"type": "object", "enabled": False}  # kept in _source, never indexed: no mapping explosion


def text_field(keyword: bool = True) -> dict:
    f = {"type": "text", "analyzer": "ko_text", "fields": {"en": {"type": "text", "analyzer": "en_text"}}}
    if keyword:
        f["fields"]["keyword"] = {"type": "keyword", "ignore_above": 512}
    return f


def mappings(family: str) -> dict:
    if family == "alerts":
        props = {
            "id": KEYWORD, "kind": KEYWORD, "detector": KEYWORD, "series": KEYWORD, "technology": KEYWORD, "field": KEYWORD,
            "facet": KEYWORD, "period": KEYWORD, "last_period": KEYWORD, "direction": KEYWORD,
            "observed": FLOAT, "expected": FLOAT, "score": FLOAT, "severity": FLOAT, "occurrences": INT,
            "method": text_field(), "explanation": text_field(keyword=False), "evidence": STORED_ONLY,
            "status": KEYWORD, "assignee": KEYWORD, "history": STORED_ONLY,
            "first_seen": DATE, "last_seen": DATE, "updated_at": DATE,
        }
    elif family == "documents":
        party = {"properties": {"name": {"type": "keyword", "fields": {"text": {"type": "text", "analyzer": "ko_text"}}},
                                "country": KEYWORD}}
        props = {
            "id": KEYWORD, "source": KEYWORD, "source_key": KEYWORD, "kind": KEYWORD,
            "url": {"type": "keyword", "index": False}, "title": text_field(), "text": text_field(keyword=False),
            "lang": KEYWORD, "published": DATE, "published_basis": KEYWORD, "fetched_at": DATE,
            "jurisdiction": KEYWORD, "raw_ref": KEYWORD, "content_hash": KEYWORD,
            "application_number": KEYWORD, "publication_number": KEYWORD, "application_date": DATE,
            "applicants": party, "inventors": party, "cpc": KEYWORD, "ipc": KEYWORD,
            "technologies": KEYWORD, "technology_scores": STORED_ONLY, "fields": KEYWORD,
            "model_version": KEYWORD, "taxonomy_version": KEYWORD,
        }
    elif family == "trends":
        props = {
            "series": KEYWORD, "technology": KEYWORD, "field": KEYWORD, "facet": KEYWORD,
            "period": KEYWORD, "granularity": KEYWORD, "period_start": DATE, "count": INT, "generation": KEYWORD,
        }
    elif family == "silences":
        props = {
            "id": KEYWORD, "series": KEYWORD, "direction": KEYWORD, "starts": DATE, "ends": DATE,
            "reason": text_field(keyword=False), "created_by": KEYWORD,
        }
    else:
        raise KeyError(f"unknown index family {family!r}")
    return {"dynamic": "strict", "properties": props}


class IndexNames:
    """Names of one family's template, concrete index and aliases under a prefix."""

    def __init__(self, prefix: str, family: str, version: int):
        self.prefix, self.family, self.version = prefix, family, version
        self.template = f"{prefix}-{family}"
        self.pattern = f"{prefix}-{family}-v*"
        self.index = f"{prefix}-{family}-v{version}"
        self.read = f"{prefix}-{family}"
        self.write = f"{prefix}-{family}-write"


def index_template(names: IndexNames, analysis: TextAnalysis, english: bool = True) -> dict:
    """The body of PUT _index_template/{names.template}."""
    settings = {**analysis_settings(analysis, english)}
    if names.family in ("alerts", "silences"):
        settings["number_of_shards"] = 1  # small and updated in place; one shard keeps seq_no checks simple
    return {
        "index_patterns": [names.pattern],
        "priority": 200,
        "version": names.version,
        "_meta": {"managed_by": "tech-security-ews", "family": names.family, "text_analysis": analysis,
                  "english_analysis": english},
        "template": {"settings": settings, "mappings": mappings(names.family)},
    }
