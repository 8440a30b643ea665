"""Document search for the workbench: full text with filters and highlighted passages.

With Elasticsearch configured the documents index answers (its Korean analysis:
nori where the cluster has it, else the project's fallback analyzer); otherwise
the embedded store is scanned. Either way the user's text is only ever a
*value*: a `multi_match` query's text in Elasticsearch, plain words here, never
query syntax.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, Field

from ews.kernel.schema import Document, TaggedDocument

SNIPPET = 220
MAX_TERMS = 20
MAX_TEXT = 500


class DocQuery(BaseModel):
    text: str = Field(default="", max_length=MAX_TEXT)
    kind: str | None = None
    source: str | None = None
    country: str | None = None
    lang: str | None = None
    technology: str | None = None
    field: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    size: int = Field(default=20, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class Passage(BaseModel):
    """A snippet as (text, highlighted) pieces: the template escapes each piece and marks the hits."""

    pieces: list[tuple[str, bool]]


class DocHit(BaseModel):
    id: str
    title: str
    kind: str
    source: str
    published: str | None
    lang: str | None
    jurisdiction: str | None
    url: str | None
    technologies: list[str]
    title_marked: Passage
    passages: list[Passage]


def terms_of(text: str) -> list[str]:
    """The words of the user's text, lower-cased; quotes, operators and wildcards are just characters dropped."""
    words = re.findall(r"\w+", text.lower())
    return list(dict.fromkeys(words))[:MAX_TERMS]


def mark(text: str, terms: list[str]) -> Passage:
    if not terms or not text:
        return Passage(pieces=[(text, False)])
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    pieces, last = [], 0
    for m in pattern.finditer(text):
        if m.start() > last:
            pieces.append((text[last:m.start()], False))
        pieces.append((m.group(0), True))
        last = m.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return Passage(pieces=pieces)


def passages(text: str, terms: list[str], n: int = 2) -> list[Passage]:
    low = text.lower()
    starts = sorted({i for t in terms if (i := low.find(t)) >= 0})[:n]
    if not starts:
        return [mark(text[:SNIPPET] + ("…" if len(text) > SNIPPET else ""), terms)] if text else []
    out = []
    for i in starts:
        a = max(0, i - SNIPPET // 3)
        out.append(mark(("…" if a else "") + text[a:a + SNIPPET] + ("…" if a + SNIPPET < len(text) else ""), terms))
    return out


def _tech_ids(t: TaggedDocument | None) -> list[str]:
    return [x.id for x in t.tagging.technologies] if t else []


def _hit(d: Document, techs: list[str], terms: list[str]) -> DocHit:
    return DocHit(id=d.id, title=d.title, kind=d.kind, source=d.source,
                  published=d.published.isoformat() if d.published else None, lang=d.lang,
                  jurisdiction=d.jurisdiction, url=d.url, technologies=techs,
                  title_marked=mark(d.title, terms), passages=passages(d.text, terms))


def _countries(d: Document) -> set[str]:
    out = {d.jurisdiction} if d.jurisdiction else set()
    if d.patent:
        out |= {p.country for p in d.patent.applicants if p.country}
    return out


def search_embedded(docs: Iterable[Document], tagged: dict[str, TaggedDocument], q: DocQuery) -> tuple[list[DocHit], int]:
    """Every term must occur in the title or text; newest first."""
    terms = terms_of(q.text)
    matched: list[tuple[Document, list[str]]] = []
    for d in docs:
        techs = _tech_ids(tagged.get(d.id))
        if q.kind and d.kind != q.kind or q.source and d.source != q.source or q.lang and d.lang != q.lang:
            continue
        if q.country and q.country not in _countries(d):
            continue
        if q.technology and q.technology not in techs:
            continue
        if q.field and not any(t.split(".", 1)[0] == q.field for t in techs):
            continue
        day = d.published.isoformat() if d.published else None
        if (q.date_from or q.date_to) and day is None:
            continue
        if q.date_from and day < q.date_from or q.date_to and day > q.date_to:
            continue
        if terms:
            hay = f"{d.title}\n{d.text}".lower()
            if not all(t in hay for t in terms):
                continue
        matched.append((d, techs))
    matched.sort(key=lambda dt_: (dt_[0].published.isoformat() if dt_[0].published else "", dt_[0].id), reverse=True)
    page = matched[q.offset:q.offset + q.size]
    return [_hit(d, techs, terms) for d, techs in page], len(matched)


def search_elastic(es, index: str, q: DocQuery) -> tuple[list[DocHit], int]:
    filters: list[dict] = []
    for key, value in (("kind", q.kind), ("source", q.source), ("lang", q.lang), ("technologies", q.technology),
                       ("fields", q.field)):
        if value:
            filters.append({"term": {key: value}})
    if q.country:
        filters.append({"bool": {"should": [{"term": {"jurisdiction": q.country}},
                                            {"term": {"applicants.country": q.country}}], "minimum_should_match": 1}})
    if q.date_from or q.date_to:
        filters.append({"range": {"published": {k: v for k, v in (("gte", q.date_from), ("lte", q.date_to)) if v}}})
    must = [{"multi_match": {"query": q.text, "fields": ["title^2", "text"], "operator": "and"}}] if q.text.strip() else []
    res = es.search(index=index, query={"bool": {"filter": filters, "must": must or [{"match_all": {}}]}},
                    from_=q.offset, size=q.size, track_total_hits=True,
                    sort=["_score", {"published": {"order": "desc", "missing": "_last"}}],
                    highlight={"fields": {"title": {"number_of_fragments": 0}, "text": {"fragment_size": SNIPPET,
                                                                                          "number_of_fragments": 2}},
                               "pre_tags": ["\x02"], "post_tags": ["\x03"]})
    hits = []
    for h in res["hits"]["hits"]:
        s, hl = h["_source"], h.get("highlight", {})
        hits.append(DocHit(id=s["id"], title=s.get("title") or "", kind=s["kind"], source=s["source"],
                           published=s.get("published"), lang=s.get("lang"), jurisdiction=s.get("jurisdiction"),
                           url=s.get("url"), technologies=list(s.get("technologies") or []),
                           title_marked=_from_tags(hl["title"][0]) if hl.get("title") else Passage(pieces=[(s.get("title") or "", False)]),
                           passages=[_from_tags(f) for f in hl.get("text", [])] or passages(s.get("text") or "", [])))
    return hits, int(res["hits"]["total"]["value"])


def _from_tags(fragment: str) -> Passage:
    # control characters as highlight tags: they cannot occur in the crawled text, unlike '<em>'
    pieces = []
    for i, part in enumerate(re.split("[\x02\x03]", fragment)):
        if part:
            pieces.append((part, i % 2 == 1))
    return Passage(pieces=pieces)
