"""The technology classifier: the 50 technologies from Korean and English text and patent classes.

Public names (what `ews classify`, `ews train` and the pipeline use):

- `load_classifier(model_dir=None, models_dir=...)`: a model directory; or, with None,
  the model trained last into `models_dir` (the data directory's), else the model
  shipped with the project, else the built-in concordance + keyword classifier.
- `train_classifier(records, output, source)`: trains the text model, writes a
  model directory, returns its description.
- `Classifier`: the interface all classifiers share (`fit`, `predict`, `save`,
  `.version`, `.taxonomy_version`).
- `ModelError`: a model or training set that cannot be used.
"""
from __future__ import annotations

from models.classify.base import ModelError
from models.classify.base import TechnologyClassifier as Classifier
from models.classify.store import load_classifier, train_classifier

__all__ = ["Classifier", "ModelError", "load_classifier", "train_classifier"]
