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

from ews.kernel.text import HANGUL_RE, HANGUL_SYLLABLES, has_hangul
from models.classify.vocabulary import EXTRA_TERMS, FIELD_TERMS, WEAK_TERMS

_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_CASED_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-]*[A-Za-z0-9+]|[A-Za-z0-9]")
_HAS_DIGIT = re.compile(r"[0-9]").search  # cased tokens are ASCII: the same test as any(c.isdigit() …), faster
_COMPACT_DROP = re.compile(r"[\s·ㆍ‧・\-–—/,.()\[\]{}'\"‘’“”~*:;]+")
_PAREN = re.compile(r"\(([^)]*)\)")
# A product generation written onto a family name: HBM3E, HBM2E, DDR5, LPDDR5X, GDDR6W, PCIe5.
_GENERATION = re.compile(r"^([A-Za-z]{3,}?)-?(\d+[A-Za-z]{0,2})$")

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
_PARTICLE = re.compile(rf"(?<=[{HANGUL_SYLLABLES}A-Za-z0-9])(?:의|을|를|은|는|이|가|에|에서|에의|와|과|로|으로|및|과의|와의|에\s?대한)(?=\s+[{HANGUL_SYLLABLES}A-Za-z])")


def compact_without_particles(text: str) -> str:
    return _COMPACT_DROP.sub("", _PARTICLE.sub("", text))


def generation_family(token: str) -> str | None:
    """'HBM3E' -> 'HBM', 'LPDDR5X' -> 'LPDDR', 'DDR5' -> 'DDR': the family a generation-numbered product
    name belongs to, so a taxonomy keyword naming the family (HBM) matches each generation of it. Only
    for cased names (two capitals or more in the family), the form the taxonomy's acronyms take."""
    m = _GENERATION.match(token)
    if not m:
        return None
    family = m.group(1)
    return family if _is_cased_name(family) else None


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
    # found as a generation of the keyword's product family (HBM3E for HBM), see `generation_family`
    generation: bool = False


@dataclass
class Hit:
    term: Term
    count: int


class TermMatcher:
    """Matches keyword variants of many targets in one pass over a text."""

    def __init__(self, keywords: dict[str, list[str]],
                 derived: dict[str, list[tuple[str, str, float]]] | None = None):
        """`keywords`: target -> keywords; `derived`: target -> (compact Korean variant, keyword it came
        from, weight), variants made from the keywords by `korean_derived_terms`."""
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
        for target, items in (derived or {}).items():
            for key, label, weight in items:
                if not any(k == key and t.target == target for k, t in self._korean):
                    self._korean.append((key, Term(target, label, weight)))
        self._korean.sort(key=lambda p: -len(p[0]))
        grouped: dict[str, list[Term]] = {}
        for key, term in self._korean:
            grouped.setdefault(key, []).append(term)
        # each key counted once per text, however many targets share it; keys grouped by their first two
        # characters so a text only counts the keys whose opening it contains
        self._korean_by_start: dict[str, list[tuple[str, list[Term]]]] = defaultdict(list)
        for key, terms in grouped.items():
            self._korean_by_start[key[:2]].append((key, terms))
        self._lens_sorted = {t: sorted(v) for t, v in self._lens.items()}
        self._cased_keys = set(self._cased)

    def _add(self, target: str, keyword: str, variant: str) -> None:
        # the same variant under two keywords of one target (DRAM and D램(DRAM)) is one piece of evidence
        if has_hangul(variant):
            key = compact(variant)
            if any(k == key and t.target == target for k, t in self._korean):
                return
            weak = key in WEAK_TERMS or (len(key) <= 2 and HANGUL_RE.fullmatch(key[-1:] or "x") and not re.search(r"[A-Za-z0-9]", key))
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
            for tok in [t for t in ctoks if t not in cased and t[-1:].isalnum() and _HAS_DIGIT(t)]:
                family = generation_family(tok)
                for term in cased.get(family, ()) if family else ():
                    counts[Term(term.target, term.label, term.weight, generation=True)] += ctoks[tok]
        if self._korean and has_hangul(text):
            ctext = compact(text)
            stripped = compact_without_particles(text)
            if stripped == ctext:
                stripped = ""
            starts = {ctext[i:i + 2] for i in range(len(ctext) - 1)}
            if stripped:
                starts.update(stripped[i:i + 2] for i in range(len(stripped) - 1))
            by_start = self._korean_by_start
            starts.update(c for c in ctext if c in by_start)  # one-character keys, if any
            for st in starts & by_start.keys():
                for key, terms in by_start[st]:
                    c = max(ctext.count(key), stripped.count(key)) if stripped else ctext.count(key)
                    if c:
                        for term in terms:
                            counts[term] += c
        # all variants of one keyword are one keyword: keep the largest count
        by_kw: dict[tuple[str, str], Hit] = {}
        for term, c in counts.items():
            k = (term.target, term.label)
            old = by_kw.get(k)
            if old is None:
                by_kw[k] = Hit(term, c)
            else:
                better = (term.weight, term.generation) > (old.term.weight, old.term.generation)
                by_kw[k] = Hit(term if better else old.term, max(c, old.count))
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
        words = field_name_terms(f) + extra.get("en", []) + extra.get("ko", [])
        kws[f"field:{f.id}"] = words + field_subject_terms(words)
    return TermMatcher(kws, korean_derived_terms(taxonomy))


# A short Korean field word is weak evidence alone ('양자' is also 'bilateral', '우주' a word of poetry), but the
# word named as a subject of policy ('양자 분야', '양자기술', '우주 산업') is the field: Korean grammar, not a
# reading of any passage.
FIELD_SUBJECT_SUFFIXES = ("분야", "기술", "산업", "정책", "전략", "생태계")


def field_subject_terms(words: list[str]) -> list[str]:
    """'양자' -> '양자 분야', '양자 기술', ... for the Korean field words of two syllables (longer ones are strong)."""
    return [f"{w} {s}" for w in words if HANGUL_RE.fullmatch(w[-1:] or "x") and len(compact(w)) <= 2
            for s in FIELD_SUBJECT_SUFFIXES]


def field_name_terms(f) -> list[str]:
    """A field's names and their parts: '반도체·디스플레이' -> '반도체', '디스플레이'; '첨단 모빌리티' ->
    '모빌리티'; 'Semiconductors & Displays' -> 'Semiconductors', 'Displays'. Policy prose names a field
    by one part of its official name, as it does a technology."""
    out = [f.name_en, f.name_ko]
    out += [p.strip() for p in re.split(r"\s+(?:&|and)\s+", f.name_en) if p.strip()]
    for alt in _korean_alternatives(f.name_ko) + [w for w in f.name_ko.split("·") if len(w) >= 2]:
        words = alt.split()
        while len(words) > 1 and words[0] in _MODIFIERS + ("차세대",):
            words = words[1:]
        out.append(" ".join(words))
    return list(dict.fromkeys(o for o in out if o and o not in GENERIC_FIELD_PARTS))


# Parts of field names that are everyday words of any industrial text, never a field's evidence alone.
GENERIC_FIELD_PARTS = {"manufacturing", "제조", "ocean"}


def technology_matcher(taxonomy) -> TermMatcher:
    """Technology keywords only (targets are technology ids)."""
    return TermMatcher({t.id: list(t.keywords_en) + list(t.keywords_ko) + [t.name_en, t.name_ko]
                        + EXTRA_TERMS.get(t.id, []) for t in taxonomy.technologies}, korean_derived_terms(taxonomy))


# -- Korean terms derived from the taxonomy's own wording -----------------------------------------
# Korean policy prose names a technology by parts of its official name rather than by the
# name itself: '전기·수소차' is written '수소차', '데이터·AI 보안' is 'AI 보안', '반도체 첨단패키징'
# is '패키징'. These variants are derived mechanically from the taxonomy (technology names and
# Korean keywords), not read from any evaluation passage:
# - '·' and '및' offer alternatives: each alternative combined with the rest of the phrase
#   ('수소 저장·운송' -> '수소 저장', '수소 운송'); an alternative that is a bare word of two
#   syllables ('전기' of '전기·수소차') is too general and left out;
# - the head of a multi-word phrase (its last word, three syllables or more: '패키징', '메모리')
#   is weak evidence, unless several technologies share it ('디스플레이'), then it is nobody's;
# - leading modifiers ('첨단', '차세대', '고성능' ...) are dropped from a phrase.
_MODIFIERS = ("첨단", "차세대", "고성능", "고효율", "저전력", "대형", "소형", "효율적", "혁신", "선진", "신종")
_SPLIT_AND = re.compile(r"\s+및\s+")


def _korean_alternatives(phrase: str) -> list[str]:
    out = []
    for part in _SPLIT_AND.split(phrase):
        expanded: list[list[str]] = [[]]
        for w in part.split():
            alts = [a for a in re.split(r"[·ㆍ/]", w) if a] if re.search(r"[·ㆍ/]", w) else [w]
            expanded = [e + [a] for e in expanded for a in alts]
        for e in expanded:
            v = " ".join(e)
            if len(e) == 1 and len(compact(v)) <= 2 and not re.search(r"[A-Za-z0-9]", v):
                continue
            out.append(v)
    return out


def korean_derived_terms(taxonomy) -> dict[str, list[tuple[str, str, float]]]:
    """technology id -> [(variant, label, weight)]: Korean variants of its name and keywords
    (see above) that no technology's or field's own keywords already contain. A variant is
    weak evidence unless it keeps two words of the original and five syllables or more."""
    existing: dict[str, set[str]] = {}
    derived: dict[str, dict[str, tuple[str, float]]] = {}
    owners: dict[str, set[str]] = defaultdict(set)
    for t in taxonomy.technologies:
        own = [k for k in list(t.keywords_ko) + [t.name_ko] if has_hangul(k)]
        existing[t.id] = {compact(v) for k in own for v in keyword_variants(k) if has_hangul(v)}
        mine: dict[str, tuple[str, float]] = {}
        for k in own:
            for alt in _korean_alternatives(_PAREN.sub(" ", k).strip()):
                words = alt.split()
                cands = [words]
                while len(words) > 1 and words[0] in _MODIFIERS:
                    words = words[1:]
                    cands.append(words)
                if len(words) > 1:
                    cands.append(words[-1:])  # the head
                for ws in cands:
                    key = compact(" ".join(ws))
                    if not has_hangul(key) or len(key) < 3:
                        continue
                    strong = len(ws) > 1 and len(key) >= 5 and key not in WEAK_TERMS
                    w = STRONG_WEIGHT if strong else WEAK_WEIGHT
                    if key not in mine or mine[key][1] < w:
                        mine[key] = (k, w)
                    owners[key].add(t.id)
        derived[t.id] = mine
    taken = {v for vs in existing.values() for v in vs}
    taken |= {compact(v) for f in FIELD_TERMS.values() for v in f.get("ko", [])}
    taken |= GENERIC_KO
    out: dict[str, list[tuple[str, str, float]]] = {}
    for tid, mine in derived.items():
        # shared by several technologies, or already someone's keyword, or a field's word: says nothing new
        out[tid] = [(key, label, w) for key, (label, w) in mine.items()
                    if key not in taken and len(owners[key]) == 1]
    return out


# Words of the taxonomy's Korean names that are everyday words of policy prose: never derived as evidence.
GENERIC_KO: set[str] = {
    "시스템", "데이터", "인프라", "배터리", "인터넷", "산업기술", "표준화", "최적화", "알고리즘", "2단계", "의무화",
    "강화기술", "상호작용", "시뮬레이션", "이미징", "레이더", "모델링", "에이전트", "인텔리전스", "핵심소재", "고도화",
    "활용", "플랫폼", "네트워크", "클라우드", "디지털", "안전성", "공정성", "위험관리", "산업혁신", "교통관리",
    "저지연", "초정밀", "초공간", "정밀제어", "메타버스", "일체화", "통합망", "직접통신", "기지국", "상호운용",
}
