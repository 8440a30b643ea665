"""The built-in classifier: the CPC concordance plus the taxonomy's keywords in both languages.

Needs no training and no data, so it is what `ews classify` falls back to when
no model has been trained or shipped. Its scores are a fixed function of the
keyword evidence (1 - exp(-strength)), not calibrated on data: one specific
keyword gives about 0.63, one generic keyword about 0.3.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from models.classify.base import TechnologyClassifier
from models.classify.terms import strength

FORMAT = 1


def keyword_scores(matcher, tech_ids: list[str], passages: list[str]) -> tuple[np.ndarray, list[dict[str, list[str]]], np.ndarray]:
    """Keyword probability and evidence per passage and technology, and the raw strengths (features)."""
    index = {t: j for j, t in enumerate(tech_ids)}
    S = np.zeros((len(passages), len(tech_ids)))
    evidence: list[dict[str, list[str]]] = []
    for i, p in enumerate(passages):
        ev: dict[str, list[str]] = {}
        for tid, hits in matcher.find(p).items():
            S[i, index[tid]] = strength(hits)
            ev[tid] = ["terms " + ", ".join(f"{h.term.label}" + (f" ×{h.count}" if h.count > 1 else "") for h in hits[:6])]
        evidence.append(ev)
    return 1.0 - np.exp(-S), evidence, S


class KeywordConcordanceClassifier(TechnologyClassifier):
    """v1: keywords decide from text; the concordance adds the patent classes (see base)."""

    kind = "rules"
    text_lift_floor = 0.0

    def __init__(self, taxonomy=None):
        super().__init__(taxonomy)
        self.version = f"rules-{self.taxonomy_version}-1"
        self.info = {"version": self.version, "kind": self.kind, "taxonomy_version": self.taxonomy_version,
                     "format": FORMAT, "training": None,
                     "note": "built in: CPC concordance and taxonomy keywords, no training"}

    def passage_scores(self, passages, langs):
        P, ev, _ = keyword_scores(self._tech_terms, self.tech_ids, passages)
        return P, ev

    def save(self, model_dir: Path) -> None:
        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        (model_dir / "model.json").write_text(json.dumps(self.info, ensure_ascii=False, indent=1), encoding="utf-8")
