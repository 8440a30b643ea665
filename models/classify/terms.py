"""Finding the taxonomy's keywords in English and Korean text, fast.

Three matchers, because the scripts behave differently:

- Latin phrases are matched on normalised word tokens (lower case, hyphens as
  spaces, British spellings and plurals folded), so "Phase-change memories"
  finds "phase-change memory".
- Acronyms and mixed-case names (DRAM, STT-MRAM, CoWoS) are matched case-
  sensitively as whole tokens, so "DRAM" does not fire on "dram" in a recipe.
- Korean terms are matched as substrings of the text with spaces and
  punctuation removed. Korean attaches particles and endings to the word
  ('양자컴퓨터를', '양자 컴퓨터의') and spacing is inconsistent, so a
  substring of the compacted text finds the term where a token match would
  not; no morphological analyser needed, which keeps this path cheap.

A keyword like "phase-change memory (PCM/PRAM)" or "D램(DRAM)" becomes several
variants (the phrase and each alternative in brackets or around a slash); all
variants of one keyword count as one keyword.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

from models.classify.vocabulary import EXTRA_TERMS, FIELD_TERMS, WEAK_TERMS

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_CASED_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-]*[A-Za-z0-9+]|[A-Za-z0-9]")
_COMPACT_DROP = re.compile(r"[\s·ㆍ‧・\-–—/,.()\[\]{}'\"‘’“”~*:;]+")
_PAREN = re.compile(r"\(([^)]*)\)")

STRONG_WEIGHT = 1.0
WEAK_WEIGHT = 0.35
ACRONYM_WEIGHT = 0.8

_SPELLING = {"centre": "center", "centres": "centers", "modelling": "modeling", "sulphide": "sulfide",
             "sulphides": "sulfides", "fibre": "fiber", "oxidiser": "oxidizer", "judgement": "judgment",
             "aluminium": "aluminum", "refuelling": "refueling", "labelling": "labeling"}


@lru_cache(maxsize=200_000)
def norm_token(tok: str) -> str:
    """Fold British spellings and simple plurals so both sides of a match agree."""
    tok = _SPELLING.get(tok, tok)
    for brit, amer in (("isation", "ization"), ("isations", "izations"), ("iser", "izer"), ("isers", "izers"),
                       ("ised", "ized"), ("ising", "izing")):
        if tok.endswith(brit) and len(tok) > len(brit) + 2:
            tok = tok[: -len(brit)] + amer
            break
    if len(tok) > 4 and not tok[-1].isdigit():
        if tok.endswith("ies"):
            tok = tok[:-3] + "y"
        elif tok.endswith("s") and not tok.endswith(("ss", "us", "is")):
            tok = tok[:-1]
    return tok


_NORM: dict[str, str] = {}


def _norm_fill(tok: str) -> str:
    out = norm_token(tok)
    if len(_NORM) < 500_000:
        _NORM[tok] = out
    return out


def latin_tokens(text: str) -> list[str]:
    get = _NORM.get
    return [get(t) or _norm_fill(t) for t in _WORD.findall(text.lower())]


def compact(text: str) -> str:
    return _COMPACT_DROP.sub("", text)


# Particles a Korean noun phrase carries between its words ('AI의 보안', '데이터를 보호'): removed
# from the end of a Hangul word that is followed by another word, so the phrase's keyword
# ('AI 보안') still matches. A cheap rule instead of a morphological analyser: Kiwi tokenises
# about 12 documents of 1,500 characters per second here, a hundred times too slow for the budget.
_PARTICLE = re.compile(r"(?<=[\uac00-\ud7a3A-Za-z0-9])(?:의|을|를|은|는|이|가|에|에서|에의|와|과|로|으로|및|과의|와의|에\s?대한)(?=\s+[\uac00-\ud7a3A-Za-z])")


def compact_without_particles(text: str) -> str:
    return _COMPACT_DROP.sub("", _PARTICLE.sub("", text))


def has_hangul(text: str) -> bool:
    return _HANGUL.search(text) is not None


def _is_cased_name(v: str) -> bool:
    """DRAM, STT-MRAM, CoWoS, eVTOL: short tokens whose capitals carry the meaning."""
    if " " in v or len(v) > 14:
        return False
    return sum(c.isupper() for c in v) >= 2 or (v[:1].islower() and any(c.isupper() for c in v[1:]))


def keyword_variants(keyword: str) -> list[str]:
    """'phase-change memory (PCM/PRAM)' -> ['phase-change memory', 'PCM', 'PRAM'];
    'intrusion detection/prevention' -> ['intrusion detection', 'intrusion prevention']."""
    out: list[str] = []
    inner = [p.strip() for m in _PAREN.finditer(keyword) for p in m.group(1).split("/")]
    main = _PAREN.sub(" ", keyword).strip()
    for part in re.split(r"\s+/\s+", main):  # "model poisoning / extraction"
        words = part.split()
        # a slash inside one word offers alternatives for that word: "infrared/thermal sensor"
        expanded = [[]]
        for w in words:
            alts = [a for a in w.split("/") if a] if "/" in w else [w]
            expanded = [e + [a] for e in expanded for a in alts]
        out.extend(" ".join(e) for e in expanded if e)
    out.extend(p for p in inner if p)
    seen, uniq = set(), []
    for v in out:
        v = v.strip(" ·-")
        if v and v.lower() not in seen:
            seen.add(v.lower())
            uniq.append(v)
    return uniq


@dataclass(frozen=True)
class Term:
    """One keyword of one target (technology or field); `label` is what evidence shows."""

    target: str
    label: str
    weight: float


@dataclass
class Hit:
    term: Term
    count: int


class TermMatcher:
    """Matches keyword variants of many targets in one pass over a text."""

    def __init__(self, keywords: dict[str, list[str]]):
        # phrase (tuple of normalised tokens) -> terms; indexed by first token
        self._phrases: dict[tuple[str, ...], list[Term]] = defaultdict(list)
        self._first: set[str] = set()
        self._lens: dict[str, set[int]] = {}  # first token -> lengths of the phrases it starts
        self._maxlen = 1
        self._cased: dict[str, list[Term]] = defaultdict(list)
        self._korean: list[tuple[str, Term]] = []
        for target, kws in keywords.items():
            for kw in kws:
                for v in keyword_variants(kw):
                    self._add(target, kw, v)
        self._korean.sort(key=lambda p: -len(p[0]))
        self._lens_sorted = {t: sorted(v) for t, v in self._lens.items()}
        self._cased_keys = set(self._cased)

    def _add(self, target: str, keyword: str, variant: str) -> None:
        # the same variant under two keywords of one target (DRAM and D램(DRAM)) is one piece of evidence
        if has_hangul(variant):
            key = compact(variant)
            if any(k == key and t.target == target for k, t in self._korean):
                return
            weak = key in WEAK_TERMS or (len(key) <= 2 and _HANGUL.fullmatch(key[-1:] or "x") and not re.search(r"[A-Za-z0-9]", key))
            self._korean.append((key, Term(target, keyword, WEAK_WEIGHT if weak else STRONG_WEIGHT)))
        elif _is_cased_name(variant):
            weight = WEAK_WEIGHT if variant in WEAK_TERMS or len(variant) <= 2 else ACRONYM_WEIGHT
            parts = [p for p in variant.split("-") if p]
            # "STT-MRAM" is also written "STTMRAM"; the hyphenless run is matched as a token too
            for key in {variant, "".join(parts)}:
                if not any(t.target == target for t in self._cased[key]):
                    self._cased[key].append(Term(target, keyword, weight))
        else:
            toks = tuple(latin_tokens(variant))
            if not toks:
                return
            phrase = " ".join(toks)
            # a single short English word is rarely specific; "6G" is
            # a single word split off a longer keyword ("extraction" of "model poisoning / extraction") is weak too
            weak = phrase in WEAK_TERMS or variant.lower() in WEAK_TERMS or (
                len(toks) == 1 and toks[0].isalpha() and (len(toks[0]) < 5 or len(keyword.split()) > 1))
            term = Term(target, keyword, WEAK_WEIGHT if weak else STRONG_WEIGHT)
            if not any(t.target == target for t in self._phrases[toks]):
                self._phrases[toks].append(term)
            self._first.add(toks[0])
            self._lens.setdefault(toks[0], set()).add(len(toks))
            self._maxlen = max(self._maxlen, len(toks))

    def find(self, text: str, toks: list[str] | None = None) -> dict[str, list[Hit]]:
        """target -> hits (one per keyword, with the number of occurrences); `toks`: `latin_tokens(text)` if known."""
        counts: dict[Term, int] = defaultdict(int)
        if toks is None:
            toks = latin_tokens(text)
        first, phrases, lens = self._first, self._phrases, self._lens_sorted
        n = len(toks)
        for i in [i for i, t in enumerate(toks) if t in first]:
            for L in lens[toks[i]]:
                if i + L > n:
                    break
                terms = phrases.get(tuple(toks[i:i + L]))
                if terms:
                    for term in terms:
                        counts[term] += 1
        if self._cased:
            ctoks = Counter(_CASED_TOKEN.findall(text))
            cased = self._cased
            for tok in ctoks.keys() & self._cased_keys:
                for term in cased[tok]:
                    counts[term] += ctoks[tok]
            for tok in [t for t in ctoks if "-" in t and t not in cased]:
                for part in tok.split("-"):
                    for term in cased.get(part, ()):
                        counts[term] += ctoks[tok]
        if self._korean and has_hangul(text):
            ctext = compact(text)
            stripped = compact_without_particles(text)
            if stripped == ctext:
                stripped = ""
            for key, term in self._korean:
                c = max(ctext.count(key), stripped.count(key)) if stripped else ctext.count(key)
                if c:
                    counts[term] += c
        # all variants of one keyword are one keyword: keep the largest count
        by_kw: dict[tuple[str, str], Hit] = {}
        for term, c in counts.items():
            k = (term.target, term.label)
            old = by_kw.get(k)
            if old is None:
                by_kw[k] = Hit(term, c)
            else:
                by_kw[k] = Hit(term if term.weight > old.term.weight else old.term, max(c, old.count))
        out: dict[str, list[Hit]] = defaultdict(list)
        for (target, _), hit in by_kw.items():
            out[target].append(hit)
        for hits in out.values():
            hits.sort(key=lambda h: (-h.term.weight * h.count, h.term.label))
        return dict(out)


def strength(hits: list[Hit]) -> float:
    """Evidence of a target's keywords: distinct keywords add up, repeats add a little."""
    return sum(h.term.weight * (1.0 + 0.5 * math.log(h.count)) for h in hits)


def keyword_matcher(taxonomy, extra: bool = True) -> TermMatcher:
    """Technology and field keywords in one matcher (one pass per text); field targets are 'field:<id>'.
    `extra=False` leaves out EXTRA_TERMS (for evaluating on the passages they were read from)."""
    kws = {t.id: list(t.keywords_en) + list(t.keywords_ko) + [t.name_en, t.name_ko]
           + (EXTRA_TERMS.get(t.id, []) if extra else [])
           for t in taxonomy.technologies}
    for f in taxonomy.fields:
        extra = FIELD_TERMS.get(f.id, {})
        kws[f"field:{f.id}"] = [f.name_en, f.name_ko] + extra.get("en", []) + extra.get("ko", [])
    return TermMatcher(kws)


def technology_matcher(taxonomy) -> TermMatcher:
    """Technology keywords only (targets are technology ids)."""
    return TermMatcher({t.id: list(t.keywords_en) + list(t.keywords_ko) + [t.name_en, t.name_ko]
                        + EXTRA_TERMS.get(t.id, []) for t in taxonomy.technologies})
