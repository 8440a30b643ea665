"""Emerging terms: the Porter–Carley emergence score and Kleinberg bursts on the terms of tagged documents.

    from models.emerging import emerging_terms, unmatched_terms
    ranked = emerging_terms(documents, tagged)            # per technology, best first
    refresh = unmatched_terms(documents, tagged)          # growing terms no technology covers

**Terms** are document frequencies of candidate phrases: for English, 1–3-grams
inside punctuation-free chunks that neither start nor end with a stop word
(a cheap stand-in for noun phrases); for Korean, kiwipiepy's nouns (NNG/NNP,
imported on first use) and runs of 2–3 adjacent nouns ('강유전체 메모리').
Each document counts a term once. Documents are grouped by the technologies
they are tagged with; documents tagged with none form the group 'none'.

**Emergence** (Carley, Newman, Porter & Garner 2018, "An indicator of technical
emergence", Scientometrics 115:35–49; the formula as implemented in ONS's
pyGrams): over the last 3 + 7 periods (a *base* and an *active* period), a term
qualifies when it is
- *novel*: in under 15 % of the group's base-period documents (and the base
  period has at least `min_docs` documents: a corpus that starts inside the
  window cannot tell new from old; use a finer granularity for short corpora);
- *persistent*: in at least 7 documents, in at least 3 distinct periods of the
  active period, with active/base occurrences above 2;
- *a community's*: used by at least 2 different applicants (patents) or
  sources/jurisdictions (other documents), not one group's house jargon;
- *growing*: its EScore is positive, where with a_i the term's and T_i all
  documents' counts in active period i = 0..6,
  EScore = 2 * active_trend + slope + recent_trend,
  active_trend = sum(a_4..6) / sum(sqrt T_4..6) - sum(a_0..2) / sum(sqrt T_0..2),
  recent_trend = 10 * ((a_5 + a_6) / (sqrt T_5 + sqrt T_6) - (a_3 + a_4) / (sqrt T_3 + sqrt T_4)),
  slope = 10 * (a_6 / sqrt T_6 - a_3 / sqrt T_3) / 3.
  Dividing by sqrt(T) makes the newest periods, incomplete because of the
  publication lag, lower the term and the total together.

**Bursts** (Kleinberg 2002, the two-state automaton for batched arrivals): in
period t, r_t of d_t documents carry the term; state 0 emits at the base rate
p0 = sum r / sum d, state 1 at s * p0; entering state 1 costs gamma * ln(n).
The Viterbi path's runs of state 1 are the bursts, weighted by the cost saved.

Ranking: terms passing the criteria by EScore, then the rest by burst weight
(a burst alone is a weaker, still useful, signal), each with its evidence.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from scipy import special

from ews.kernel.names import normalise_applicant
from ews.kernel.periods import period_of, period_range, to_period
from ews.kernel.schema import Document, TaggedDocument, document_date
from ews.kernel.text import HANGUL_RE, kiwi

NONE = "none"
BASE_PERIODS, ACTIVE_PERIODS = 3, 7
BASE_SHARE_MAX = 0.15
MIN_DOCS = 7
MIN_ACTIVE_PERIODS = 3
ACTIVE_TO_BASE_MIN = 2.0
MIN_COMMUNITY = 2

STOPWORDS = frozenset("""
a an the and or of to in on for with by from at as is are be been being this that these those it its
which wherein whereby thereof therein such said each any one two first second third plurality least
method methods system systems device devices apparatus apparatuses include includes including comprise
comprises comprising comprised configured provide provides provided providing use used using based
disclosed present invention embodiment embodiments example examples may can also further more than
between within into onto over under via having has have not no so if when while where thus same other
improve improved improves improving improvement arranged lower reduce reduced reduces reducing simplify
enhance enhanced enhances increase increased increases better high higher low new novel manufacturing
thereby therefor according relates related particular particularly respective respectively
""".split())
_TOKEN_RE = re.compile(r"[a-z][a-z0-9\-]*[a-z0-9]|[a-z]")
_CHUNK_RE = re.compile(r"[.,;:!?()\[\]{}\"'/\n]+")


# ---------------------------------------------------------------------------------------------- terms


def english_terms(text: str, max_n: int = 3) -> set[str]:
    """1..max_n-grams of a text without stop words (one count per document).

    Stop words include patent boilerplate ('comprising', 'wherein', 'improved'):
    a term with one inside ('cell for water') is rarely a noun phrase.
    """
    out: set[str] = set()
    text = unicodedata.normalize("NFKC", text).lower()
    for chunk in _CHUNK_RE.split(text):
        toks = [t for t in _TOKEN_RE.findall(chunk) if not t.isdigit()]
        for n in range(1, max_n + 1):
            for i in range(len(toks) - n + 1):
                gram = toks[i:i + n]
                if any(g in STOPWORDS for g in gram) or len(gram[-1]) < 3:
                    continue
                out.add(" ".join(gram))
    return out


def korean_terms(text: str, max_n: int = 3) -> set[str]:
    """Nouns (2+ characters) and runs of up to max_n adjacent nouns, by kiwipiepy."""
    tokens = kiwi().tokenize(text)
    out: set[str] = set()
    run: list = []

    def flush():
        for n in range(2, max_n + 1):
            for i in range(len(run) - n + 1):
                out.add(" ".join(t.form for t in run[i:i + n]))
        run.clear()

    for tok in tokens:
        if tok.tag in ("NNG", "NNP", "SL"):
            if len(tok.form) >= 2 and tok.tag != "SL":
                out.add(tok.form)
            if run and tok.start - (run[-1].start + run[-1].len) > 1:
                flush()
            run.append(tok)
        else:
            flush()
    flush()
    return out


def document_terms(doc: Document) -> set[str]:
    text = f"{doc.title}\n{doc.text}"
    if HANGUL_RE.search(text):
        return korean_terms(text) | english_terms(HANGUL_RE.sub(" ", text))
    return english_terms(text)


# ---------------------------------------------------------------------------------------------- scores


def escore(term_counts: list[float], totals: list[float]) -> float:
    """The Porter–Carley EScore over the 7 active periods (see the module doc)."""
    a, T = term_counts, [math.sqrt(max(t, 1.0)) for t in totals]
    active = sum(a[4:7]) / sum(T[4:7]) - sum(a[0:3]) / sum(T[0:3])
    recent = 10.0 * ((a[5] + a[6]) / (T[5] + T[6]) - (a[3] + a[4]) / (T[3] + T[4]))
    slope = 10.0 * (a[6] / T[6] - a[3] / T[3]) / 3.0
    return 2.0 * active + slope + recent


def _binom_cost(r: float, d: float, p: float) -> float:
    """-log of the binomial probability of r of d at rate p."""
    p = min(max(p, 1e-12), 1 - 1e-12)
    log_choose = special.gammaln(d + 1) - special.gammaln(r + 1) - special.gammaln(d - r + 1)
    return -(log_choose + r * math.log(p) + (d - r) * math.log(1 - p))


def kleinberg_bursts(r: list[float], d: list[float], s: float = 2.0, gamma: float = 1.0
                     ) -> list[tuple[int, int, float]]:
    """Bursts (first index, last index, weight) of the two-state batched Kleinberg automaton."""
    n = len(r)
    if n == 0 or sum(d) == 0 or sum(r) == 0:
        return []
    p0 = sum(r) / sum(d)
    p1 = min(s * p0, 0.9999)
    if p1 <= p0:
        return []
    up = gamma * math.log(max(n, 2))
    cost = [[_binom_cost(r[t], d[t], p0) if d[t] else 0.0,
             _binom_cost(r[t], d[t], p1) if d[t] else 0.0] for t in range(n)]
    # Viterbi over the two states, starting in state 0; back[t-1][j] = the best predecessor of state j at t
    best = [cost[0][0], up + cost[0][1]]
    back: list[tuple[int, int]] = []
    for t in range(1, n):
        prev0, prev1 = best
        arg0 = 0 if prev0 <= prev1 else 1             # going down is free
        arg1 = 0 if prev0 + up <= prev1 else 1         # going up costs `up` (ties: the later start)
        best = [min(prev0, prev1) + cost[t][0], min(prev0 + up, prev1) + cost[t][1]]
        back.append((arg0, arg1))
    state = 0 if best[0] <= best[1] else 1
    states = [state]
    for t in range(n - 2, -1, -1):
        state = back[t][state]
        states.append(state)
    states.reverse()
    out, t = [], 0
    while t < n:
        if states[t] == 1:
            start = t
            while t < n and states[t] == 1:
                t += 1
            # a burst is where documents are: trim periods without any at either end
            first, last = start, t - 1
            while first <= last and not r[first]:
                first += 1
            while last >= first and not r[last]:
                last -= 1
            if first <= last:
                weight = sum(cost[i][0] - cost[i][1] for i in range(first, last + 1))
                out.append((first, last, float(weight)))
        else:
            t += 1
    return out


# ---------------------------------------------------------------------------------------------- ranking


@dataclass
class EmergingTerm:
    term: str
    group: str                      # technology id, or 'none' for documents no technology fits
    score: float                    # EScore (0 when the criteria fail)
    emerging: bool                  # passes novelty, persistence, community and growth
    criteria: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)      # period -> documents with the term
    totals: dict = field(default_factory=dict)      # period -> documents in the group
    bursts: list = field(default_factory=list)      # [{'start', 'end', 'weight'}]
    evidence: dict = field(default_factory=dict)    # documents and applicants

    @property
    def burst_weight(self) -> float:
        return max((b["weight"] for b in self.bursts), default=0.0)

    def to_dict(self) -> dict:
        return asdict(self)


def _community_key(doc: Document) -> str:
    if doc.kind == "patent" and doc.patent is not None and doc.patent.applicants:
        return "+".join(sorted({normalise_applicant(a.name) for a in doc.patent.applicants}))
    return f"{doc.source}:{doc.jurisdiction or ''}"


def _window(dates: list[dt.date], granularity: str, as_of: dt.date | None) -> list[str]:
    last = period_of(as_of or max(dates), granularity)
    first = to_period(last) - (BASE_PERIODS + ACTIVE_PERIODS - 1)
    return period_range(period_of(first.start_time.date(), granularity), last)


def _score_group(group: str, docs: list[tuple[Document, str, set[str]]], periods: list[str],
                 min_docs: int, burst_s: float, burst_gamma: float) -> list[EmergingTerm]:
    index = {p: i for i, p in enumerate(periods)}
    totals = [0.0] * len(periods)
    by_term: dict[str, list[tuple[Document, int]]] = defaultdict(list)
    for doc, period, terms in docs:
        i = index.get(period)
        if i is None:
            continue
        totals[i] += 1
        for term in terms:
            by_term[term].append((doc, i))
    base_total = sum(totals[:BASE_PERIODS])
    out = []
    for term, hits in by_term.items():
        if len(hits) < min_docs:
            continue
        counts = [0.0] * len(periods)
        for _, i in hits:
            counts[i] += 1
        base, active = sum(counts[:BASE_PERIODS]), counts[BASE_PERIODS:]
        community = {_community_key(d) for d, i in hits if i >= BASE_PERIODS}
        base_share = base / base_total if base_total else 0.0
        ratio = (sum(active) / base) if base else math.inf
        es = escore(active, totals[BASE_PERIODS:])
        criteria = {
            # without documents in the base period novelty cannot be judged: no term is new to an empty corpus
            "novelty": base_total >= min_docs and base_share < BASE_SHARE_MAX, "base_share": round(base_share, 4),
            "base_documents": int(base_total),
            "persistence": sum(active) >= min_docs and sum(1 for c in active if c) >= MIN_ACTIVE_PERIODS
            and ratio > ACTIVE_TO_BASE_MIN,
            "active_to_base": None if math.isinf(ratio) else round(ratio, 3),
            "community": len(community) >= MIN_COMMUNITY, "community_size": len(community),
            "growth": es > 0, "escore": round(es, 4),
        }
        ok = all(criteria[k] for k in ("novelty", "persistence", "community", "growth"))
        bursts = [{"start": periods[a], "end": periods[b], "weight": round(w, 3)}
                  for a, b, w in kleinberg_bursts(counts, totals, burst_s, burst_gamma)]
        recent = sorted(hits, key=lambda h: (-h[1], h[0].id))[:5]
        applicants = Counter(a.name for d, _ in hits if d.patent for a in d.patent.applicants)
        out.append(EmergingTerm(
            term=term, group=group, score=round(es, 4) if ok else 0.0, emerging=ok, criteria=criteria,
            counts={p: int(c) for p, c in zip(periods, counts)}, totals={p: int(t) for p, t in zip(periods, totals)},
            bursts=bursts,
            evidence={"documents": [{"id": d.id, "title": d.title[:200], "period": periods[i]} for d, i in recent],
                      "documents_total": len(hits),
                      "top_applicants": [{"name": n, "documents": c} for n, c in applicants.most_common(5)]}))
    return out


def _rank(terms: list[EmergingTerm], top: int | None) -> list[EmergingTerm]:
    """Emerging terms by EScore, then bursting ones by burst weight; an n-gram inside a longer ranked term
    that covers at least 80 % of its documents is dropped (the phrase says it better than its parts)."""
    ranked = sorted((t for t in terms if t.emerging or t.bursts),
                    key=lambda t: (not t.emerging, -t.score, -t.burst_weight, t.term))
    kept: list[EmergingTerm] = []
    for t in sorted(ranked, key=lambda t: -len(t.term.split())):
        n = t.evidence["documents_total"]
        padded = f" {t.term} "
        if any(padded in f" {k.term} " and k.emerging >= t.emerging and k.evidence["documents_total"] >= 0.8 * n
               for k in kept):
            continue
        kept.append(t)
    keep = {id(t) for t in kept}
    ranked = [t for t in ranked if id(t) in keep]
    return ranked[:top] if top else ranked


def _prepare(documents: Iterable[Document], tagged: Iterable[TaggedDocument], granularity: str,
             as_of: dt.date | None):
    tags = {t.doc_id: t for t in tagged}
    rows = []
    for doc in documents:
        tag = tags.get(doc.id)
        date = document_date(doc)
        if tag is None or date is None or (as_of is not None and date > as_of):
            continue
        techs = [t.id for t in tag.tagging.technologies] or [NONE]
        rows.append((doc, date, techs))
    if not rows:
        return [], {}
    periods = _window([r[1] for r in rows], granularity, as_of)
    groups: dict[str, list] = defaultdict(list)
    for doc, date, techs in rows:
        period = period_of(date, granularity)
        if period < periods[0]:
            continue
        terms = document_terms(doc)
        for g in techs:
            groups[g].append((doc, period, terms))
    return periods, groups


def emerging_terms(documents: Iterable[Document], tagged: Iterable[TaggedDocument], granularity: str = "year",
                   as_of: dt.date | None = None, top: int | None = 20, min_docs: int = MIN_DOCS,
                   burst_s: float = 2.0, burst_gamma: float = 1.0, include_none: bool = False
                   ) -> dict[str, list[EmergingTerm]]:
    """Per technology (and 'none' with include_none), its terms ranked: emerging ones by EScore, then bursts.

    The window is the last 3 + 7 periods of `granularity` up to `as_of` (default:
    the newest document's period).
    """
    periods, groups = _prepare(documents, tagged, granularity, as_of)
    out = {}
    for group in sorted(groups):
        if group == NONE and not include_none:
            continue
        ranked = _rank(_score_group(group, groups[group], periods, min_docs, burst_s, burst_gamma), top)
        if ranked:
            out[group] = ranked
    return out


def unmatched_terms(documents: Iterable[Document], tagged: Iterable[TaggedDocument], granularity: str = "year",
                    as_of: dt.date | None = None, top: int | None = 20, min_docs: int = MIN_DOCS,
                    max_tagged_share: float = 0.2) -> list[EmergingTerm]:
    """Growing terms of documents no technology fits: input to the biennial taxonomy refresh.

    A term of the 'none' group is kept when it emerges there (or bursts) and at
    most `max_tagged_share` of all documents carrying it are tagged with a
    technology (else the taxonomy already covers it and the untagged uses are misses).
    """
    documents = list(documents)
    tagged = list(tagged)
    periods, groups = _prepare(documents, tagged, granularity, as_of)
    if NONE not in groups:
        return []
    in_tagged: Counter[str] = Counter()
    seen: set[str] = set()
    for g, rows in groups.items():
        if g == NONE:
            continue
        for doc, _, terms in rows:
            if doc.id in seen:
                continue
            seen.add(doc.id)
            in_tagged.update(terms)
    candidates = _score_group(NONE, groups[NONE], periods, min_docs, 2.0, 1.0)
    kept = []
    for t in candidates:
        n_none = t.evidence["documents_total"]
        share = in_tagged[t.term] / (in_tagged[t.term] + n_none)
        t.criteria["tagged_share"] = round(share, 4)
        if share <= max_tagged_share:
            kept.append(t)
    return _rank(kept, top)
