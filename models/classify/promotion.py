"""Retraining with promotion: a new classifier replaces the one in use only when it scores no worse.

`retrain` trains on the store's patents (labels through the CPC concordance) into
`models/versions/<name>` and points `models/current` at it only when it scores no worse than
the model in use on the same held-out patents.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from ews.kernel.schema import ClassifyInput
from ews.kernel.store import Store
from models.classify.store import is_heldout

MIN_TRAIN = 30      # labelled patents needed to train
MIN_HELDOUT = 10    # labelled held-out patents needed to compare two models
RETRAIN_LOG = "retrain.jsonl"


# --- retraining --------------------------------------------------------------------------------------------------
def _score(clf, records: list[ClassifyInput], gold: list[list[str]]) -> dict:
    """Held-out scores of `clf` on text alone (classes removed: the labels come from the classes)."""
    from models.classify.store import scores_table

    pred = clf.predict_ids([r.model_copy(update={"cpc": [], "labels": None}) for r in records])
    table = scores_table(pred, gold, list(clf.tech_ids) if hasattr(clf, "tech_ids") else sorted({t for g in gold for t in g}))
    return {"micro_f1": table["micro"]["f1"], "micro_precision": table["micro"]["precision"],
            "micro_recall": table["micro"]["recall"], "macro_f1": table["macro_f1"], "documents": table["documents"]}


def _current_target(models_dir: Path) -> str | None:
    cur = models_dir / "current"
    if cur.is_symlink():
        return os.readlink(cur)
    return None


def _promote(models_dir: Path, version_dir: Path) -> None:
    """Point models_dir/current at version_dir (a relative symlink, swapped atomically)."""
    cur = models_dir / "current"
    if cur.exists() and not cur.is_symlink():  # a model trained straight into current: keep it as a version
        legacy = models_dir / "versions" / f"legacy-{int(cur.stat().st_mtime)}"
        os.replace(cur, legacy)
    tmp = models_dir / f".current.tmp{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(os.path.relpath(version_dir, models_dir), target_is_directory=True)
    os.replace(tmp, cur)


def retrain(store: Store, models_dir: Path, min_train: int = MIN_TRAIN, min_heldout: int = MIN_HELDOUT,
            taxonomy_version: str | None = None, **params) -> dict:
    """Train on the store's patents; promote the new model only if it is no worse on held-out patents.

    Returns the decision: {"status": "promoted" | "kept" | "skipped", "reason", "candidate", "current", scores}.
    The candidate's directory name is a digest of its training data and parameters, so re-running
    the same month reuses it instead of training again. Every decision is appended to
    models_dir/retrain.jsonl.
    """
    from ews.kernel.taxonomy import load_taxonomy
    from models.classify import ModelError, load_classifier, train_classifier
    from models.classify.store import resolve_labels

    models_dir = Path(models_dir)
    tax = load_taxonomy(taxonomy_version)
    records = [ClassifyInput.from_document(d) for d in store.iter_documents(kind="patent")]
    kept, labels, summary = resolve_labels(records, tax)  # labels through the CPC concordance
    train = [r for r in kept if not is_heldout(r.id)]
    held = [(r, labs) for r, labs in zip(kept, labels) if is_heldout(r.id)]
    positives = sum(1 for labs in labels if labs)
    out = {"status": "skipped", "reason": "", "patents": len(records), "labelled": len(kept),
           "with_technology": positives, "train": len(train), "heldout": len(held), "candidate": None,
           "current": None, "candidate_scores": None, "current_scores": None}

    def finish(status: str, reason: str) -> dict:
        out.update(status=status, reason=reason, decided_at=dt.datetime.now(dt.UTC).isoformat())
        models_dir.mkdir(parents=True, exist_ok=True)
        with open(models_dir / RETRAIN_LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(out, ensure_ascii=False, sort_keys=True) + "\n")
        return out

    if len(train) < min_train or len(held) < min_heldout or not positives:
        return finish("skipped", f"too few labelled patents to train and compare: {len(train)} to train "
                                 f"(need {min_train}), {len(held)} held out (need {min_heldout}), "
                                 f"{positives} with a technology; the current model stays")

    digest = hashlib.sha1()
    for r in sorted(train, key=lambda r: r.id):
        digest.update(f"{r.id}\t{','.join(r.cpc)}\t{hashlib.sha1((r.title + r.text).encode()).hexdigest()}\n".encode())
    digest.update(json.dumps(params, sort_keys=True).encode())
    name = f"{tax.version}-{digest.hexdigest()[:12]}"
    version_dir = models_dir / "versions" / name
    if not (version_dir / "model.json").is_file():
        try:
            train_classifier(train, version_dir, source=f"store:{store.home} patents ({len(train)}, held out {len(held)})",
                             **params)
        except Exception as e:  # recorded, then raised: the task fails (retries, a pipeline alert); nothing promoted
            finish("failed", f"training failed ({type(e).__name__}: {e}); the current model stays")
            raise
    out["candidate"] = name
    candidate = load_classifier(version_dir)
    held_records, held_gold = [r for r, _ in held], [labs for _, labs in held]
    out["candidate_scores"] = _score(candidate, held_records, held_gold)

    target = _current_target(models_dir)
    if target is not None and (models_dir / target).resolve() == version_dir.resolve():
        out["current"] = name
        out["current_scores"] = out["candidate_scores"]
        return finish("unchanged", "the model trained on this data is already the current model")
    try:
        # the model in use in this directory: current, last trained, else shipped or built-in
        current = load_classifier(None, models_dir=models_dir)
        out["current"] = current.version
        out["current_scores"] = _score(current, held_records, held_gold)
    except ModelError as e:
        _promote(models_dir, version_dir)
        return finish("promoted", f"the current model cannot be used ({e}); the new model replaces it")
    new, old = out["candidate_scores"]["micro_f1"], out["current_scores"]["micro_f1"]
    if new >= old:
        _promote(models_dir, version_dir)
        return finish("promoted", f"held-out micro F1 {new:.4f} >= {old:.4f} of {out['current']} "
                                  f"on {len(held)} held-out patents")
    return finish("kept", f"held-out micro F1 {new:.4f} < {old:.4f} of the current model {out['current']} "
                          f"on {len(held)} held-out patents; the current model stays, the candidate is kept "
                          f"in {version_dir} for inspection")
