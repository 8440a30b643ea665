"""What every technology classifier shares: the fit/predict interface, passages, evidence combination.

A classifier scores text passages (`passage_scores`, the part implementations
differ in); this base class does the rest the same way for all of them:

1. split each document into passages (policy documents are long and mixed),
2. aggregate passage scores to the document so that a technology must carry a
   share of the document, not one mention in a 40-page plan,
3. combine with the patent classes through the CPC concordance (strong but not
   decisive evidence: odds multiplied, so text that argues against a class can
   still pull a technology below its threshold),
4. apply one decision threshold per technology and build the `Tagging` with
   evidence, plus the fields a document is about without a specific technology.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ews.kernel.schema import ClassifyInput, Tagging, TechnologyScore
from models.classify.terms import keyword_matcher, latin_tokens, strength
from models.classify.vocabulary import FIELD_CPC

_FIELD_CPC_PREFIXES = [(fid, tuple(prefixes)) for fid, prefixes in FIELD_CPC.items()]


class ModelError(Exception):
    """A model directory or training set that cannot be used; the message names which and why."""


# Passages: a page of text or so. Short documents (patent abstracts, news) stay one passage.
PASSAGE_CHARS = 1200
# A technology must hold this share of a long document's passages (top-k mean, k = share × passages).
PASSAGE_SHARE = 0.1

# Odds that a document is about a technology when one of its classes points there
# (before the text is read). Concordance groups are chosen to be specific, but a
# class can be secondary or broad, hence not 1.
CPC_PRIOR = 0.8
CPC_PRIOR_MAIN_GROUP = 0.7
# How far text evidence moves a class-based prior (1 = as if independent; less because
# text and classes describe the same invention, so their evidence overlaps).
TEXT_WEIGHT_WITH_CPC = 0.5
# Odds multiplier when a patent has classes and none points to the technology.
OTHER_CLASSES_FACTOR = 0.3
FIELD_THRESHOLD = 0.5


def _logit(p: np.ndarray | float) -> np.ndarray | float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


_PARA = re.compile(r"\n\s*\n|\n(?=\s*(?:[-•●◆□○▶*]|\d+[.)]|[가-하][.)]))")


def split_passages(title: str, text: str, size: int = PASSAGE_CHARS) -> list[str]:
    """Paragraphs packed into passages of about `size` characters; the title joins the first."""
    body = text.strip()
    if len(body) <= size * 1.5:
        return [(title + "\n" + body).strip()]
    paras = [p.strip() for p in _PARA.split(body) if p and p.strip()]
    out: list[str] = []
    cur = ""
    for p in paras:
        while len(p) > size * 1.5:  # one huge paragraph: cut at a sentence end near `size`
            cut = max(p.rfind(". ", 0, size), p.rfind("다. ", 0, size), p.rfind("\n", 0, size))
            cut = cut + 1 if cut > size // 3 else size
            out.append(p[:cut].strip())
            p = p[cut:].strip()
        if cur and len(cur) + len(p) > size:
            out.append(cur)
            cur = p
        else:
            cur = (cur + "\n" + p) if cur else p
    if cur:
        out.append(cur)
    if title.strip():
        out[0] = title.strip() + "\n" + out[0]
    return out or [title.strip()]


def aggregate_passages(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(passages × technologies) -> document scores (mean of the top-k passages) and the best passage per technology."""
    n = scores.shape[0]
    best = scores.argmax(axis=0)
    if n == 1:
        return scores[0], best
    k = max(1, math.ceil(PASSAGE_SHARE * n))
    if k == 1:
        return scores.max(axis=0), best
    top = -np.partition(-scores, k - 1, axis=0)[:k]
    return top.mean(axis=0), best


@dataclass
class Matches:
    """What one pass over the passages found: Latin tokens, keyword strengths of technologies
    (passages × technologies) and fields (passages × fields), and the technology hits (for evidence)."""

    toks: list[list[str]]
    S: np.ndarray
    F: np.ndarray
    hits: list[dict] = field(default_factory=list)
    # passages × technologies: True where a generation of one of the technology's product families was named
    # (HBM3E, LPDDR5X: see `terms.generation_family`)
    named: np.ndarray | None = None
    # passages × (technologies + fields): the Korean n-gram model's scores where it read the passage
    ngram: np.ndarray | None = None


class TechnologyClassifier:
    """The shared interface: `fit(records) -> self`, `predict(inputs) -> list[Tagging]`, `save(dir)`.

    Subclasses implement `passage_scores(passages, langs)` returning a
    (passages × technologies) array of probabilities in [0, 1] and per-passage
    evidence, and may override `fit`.
    """

    kind = "abstract"
    # Lowest log likelihood ratio text may contribute against a class-based prior. A
    # calibrated text model may veto a class; keywords merely absent from a text prove little.
    text_lift_floor = -4.0

    def __init__(self, taxonomy=None):
        from ews.kernel.taxonomy import load_taxonomy
        from ews.kernel.taxonomy.concordance import CpcConcordance

        self.taxonomy = taxonomy or load_taxonomy()
        self.taxonomy_version: str = self.taxonomy.version
        self.tech_ids: list[str] = self.taxonomy.technology_ids
        self.tech_field = {t.id: t.field_id for t in self.taxonomy.technologies}
        self.thresholds = np.full(len(self.tech_ids), 0.5)
        self.version: str = f"{self.kind}-{self.taxonomy_version}"
        self.info: dict = {}
        self._concordance = CpcConcordance(self.taxonomy)
        self._tech_index = {t: j for j, t in enumerate(self.tech_ids)}
        self._field_index = {f"field:{f}": k for k, f in enumerate(self.taxonomy.field_ids)}
        self._field_index_plain = {f: k for k, f in enumerate(self.taxonomy.field_ids)}
        self._terms = keyword_matcher(self.taxonomy)
        # Korean character n-grams (models/classify/korean_ngrams.py): evidence for Korean passages written
        # without the taxonomy's words; set by the model that loads or trains one
        self.korean_ngrams = None
        # technologies × fields: a technology's keywords are evidence for its field even where the technology
        # itself stays below its threshold (a passage on AI governance in general is an AI-field passage)
        self._field_of_tech = np.zeros((len(self.tech_ids), len(self._field_index)), dtype=np.float32)
        for j, tid in enumerate(self.tech_ids):
            self._field_of_tech[j, self._field_index_plain[self.tech_field[tid]]] = 1.0

    # -- to implement -------------------------------------------------------
    def passage_scores(self, passages: list[str], langs: list[str | None], match: Matches) -> np.ndarray:
        """(passages × technologies) probabilities; `match` holds the tokens and keyword hits already found."""
        raise NotImplementedError

    def passage_evidence(self, i: int, j: int, match: Matches) -> list[str]:
        """Readable evidence for technology j in passage i (here: the keywords found)."""
        hits = match.hits[i].get(self.tech_ids[j])
        out = []
        if hits:
            out.append("terms " + ", ".join(f"{h.term.label}" + (f" ×{h.count}" if h.count > 1 else "") for h in hits[:6]))
        if match.ngram is not None and self.korean_ngrams is not None and \
                match.ngram[i, j] >= self.korean_ngrams.thresholds_[j]:
            out.append(f"Korean n-grams {match.ngram[i, j]:.2f}")
        return out

    def fit(self, records: list[ClassifyInput], labels: list[list[str]]) -> TechnologyClassifier:
        return self

    # -- shared ---------------------------------------------------------------
    def match(self, passages: list[str]) -> Matches:
        """Tokens, technology keyword strengths and field keyword strengths of each passage, in one pass."""
        toks = [latin_tokens(p) for p in passages]
        S = np.zeros((len(passages), len(self.tech_ids)), dtype=np.float32)
        F = np.zeros((len(passages), len(self._field_index)), dtype=np.float32)
        named = np.zeros(S.shape, dtype=bool)
        hits_out: list[dict] = []
        tindex, findex = self._tech_index, self._field_index
        for i, (p, tk) in enumerate(zip(passages, toks)):
            hits = self._terms.find(p, tk)
            mine = {}
            for target, hs in hits.items():
                j = tindex.get(target)
                if j is not None:
                    S[i, j] = strength(hs)
                    named[i, j] = any(h.term.generation for h in hs)
                    mine[target] = hs
                else:
                    F[i, findex[target]] = strength(hs)
            hits_out.append(mine)
        return Matches(toks, S, F, hits_out, named)

    def _score(self, inputs: list[ClassifyInput], explain: bool = True):
        spans: list[tuple[int, int]] = []
        passages: list[str] = []
        langs: list[str | None] = []
        for doc in inputs:
            ps = split_passages(doc.title, doc.text)
            spans.append((len(passages), len(passages) + len(ps)))
            passages.extend(ps)
            langs.extend([doc.lang] * len(ps))
        m = self.match(passages)
        P = self.passage_scores(passages, langs, m) if passages else np.zeros((0, len(self.tech_ids)))
        out = np.zeros((len(inputs), len(self.tech_ids)))
        evidence: list[dict[str, list[str]]] = []
        field_counts: list[dict[str, int]] = []
        field_ok = 1 - np.exp(-(m.F + m.S @ self._field_of_tech)) >= FIELD_THRESHOLD
        if self.korean_ngrams is not None and passages:
            from models.classify.korean_ngrams import combine

            seen = np.hstack([m.S > 0, (m.F + m.S @ self._field_of_tech) > 0])  # any keyword evidence, weak too
            P, ngram_fields, m.ngram = combine(self.korean_ngrams, passages, P, self.thresholds, m.F.shape[1], seen)
            field_ok |= ngram_fields
        for d, (doc, (a, b)) in enumerate(zip(inputs, spans)):
            scores, best = aggregate_passages(P[a:b])
            ev: dict[str, list[str]] = {}
            if doc.cpc:
                scores = self._with_classes(doc.cpc, scores, ev)
            out[d] = scores
            if explain:
                # evidence only where it is shown: technologies at or above their threshold
                for j in np.flatnonzero(scores >= self.thresholds):
                    tid = self.tech_ids[j]
                    items = self.passage_evidence(a + int(best[j]), int(j), m)
                    if b - a > 1 and items:
                        snippet = " ".join(passages[a + best[j]].split())[:80]
                        items.append(f"passage {best[j] + 1}/{b - a}: {snippet}…")
                    if items:
                        ev.setdefault(tid, []).extend(items)
            evidence.append(ev)
            counts = field_ok[a:b].sum(axis=0)
            field_counts.append({fid: int(counts[k]) for fid, k in self._field_index_plain.items() if counts[k]})
        return out, evidence, field_counts, spans

    def score_documents(self, inputs: list[ClassifyInput]) -> tuple[np.ndarray, list[dict[str, list[str]]]]:
        """Document × technology probabilities (classes included) and evidence per document and assigned technology."""
        out, evidence, _, _ = self._score(inputs)
        return out, evidence

    def _with_classes(self, cpc: list[str], text_p: np.ndarray, ev: dict[str, list[str]]) -> np.ndarray:
        matched = self._concordance.technologies(cpc)
        logit = _logit(text_p)
        base = _logit(self.base_rates)
        out = logit + math.log(OTHER_CLASSES_FACTOR)
        for tid, syms in matched.items():
            j = self._tech_index[tid]
            pats = [m.pattern for s in syms for m in self._concordance.match(s) if m.technology == tid]
            prior = CPC_PRIOR if any(not p.endswith("/00") for p in pats) else CPC_PRIOR_MAIN_GROUP
            # text evidence as a likelihood ratio against the base rate, damped
            lift = max(self.text_lift_floor, logit[j] - base[j])
            out[j] = _logit(prior) + TEXT_WEIGHT_WITH_CPC * lift
            ev.setdefault(tid, []).insert(0, "class " + ", ".join(
                f"{s} → {p}" + (" (legacy)" if any(m.legacy for m in self._concordance.match(s) if m.pattern == p) else "")
                for s, p in zip(syms, pats)))
        return np.clip(_sigmoid(out), 0.0, 1.0)

    @property
    def base_rates(self) -> np.ndarray:
        """Prior probability of each technology in the text model's training data (for likelihood ratios)."""
        return getattr(self, "_base_rates", np.full(len(self.tech_ids), 0.02))

    def _fields(self, doc: ClassifyInput, assigned: list[str], counts: dict[str, int], n_passages: int) -> list[str]:
        fields = list(dict.fromkeys(self.tech_field[t] for t in assigned))
        # the field's own words; a long document needs them in more than one place
        need = 1 if n_passages <= 2 else max(2, math.ceil(PASSAGE_SHARE * n_passages))
        found = {f for f, c in counts.items() if c >= need}
        for sym in doc.cpc:
            for fid, prefixes in _FIELD_CPC_PREFIXES:
                if sym.startswith(prefixes):
                    found.add(fid)
        if not found:
            return fields
        return fields + [f for f in self.taxonomy.field_ids if f in found and f not in fields]

    def predict(self, inputs: list[ClassifyInput]) -> list[Tagging]:
        if not inputs:
            return []
        scores, evidence, field_counts, spans = self._score(inputs)
        out = []
        for doc, row, ev, fc, (a, b) in zip(inputs, scores, evidence, field_counts, spans):
            above = np.flatnonzero(row >= self.thresholds)
            idx = above[np.argsort(-row[above], kind="stable")]
            techs = [TechnologyScore(id=self.tech_ids[j], score=float(min(1.0, max(0.0, row[j]))),
                                     evidence=ev.get(self.tech_ids[j], []) or [f"score {row[j]:.2f}"])
                     for j in idx]
            out.append(Tagging(id=doc.id, technologies=techs,
                               fields=self._fields(doc, [t.id for t in techs], fc, b - a)))
        return out

    def predict_ids(self, inputs: list[ClassifyInput]) -> list[list[str]]:
        scores = self._score(inputs, explain=False)[0]
        return [[self.tech_ids[j] for j in np.flatnonzero(row >= self.thresholds)] for row in scores]

    def save(self, model_dir: Path) -> None:
        raise NotImplementedError
