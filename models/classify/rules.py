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

FORMAT = 1


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

    def passage_scores(self, passages, langs, match):
        return 1.0 - np.exp(-match.S.astype(np.float64))

    def save(self, model_dir: Path) -> None:
        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        (model_dir / "model.json").write_text(json.dumps(self.info, ensure_ascii=False, indent=1), encoding="utf-8")
