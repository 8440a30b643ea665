"""Model directories: where models are looked for, how they are written, read and versioned.

A model directory holds `model.json` (kind, version, taxonomy version, training
data summary, held-out scores, thresholds) and, for a trained model, the fitted
state in `text_model.npz` and `vocabulary.json` (numpy and JSON, nothing unpickled). Training writes into a temporary directory and
renames it into place, so a crash never leaves a half-written model behind.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections import Counter
from pathlib import Path

from ews.kernel.schema import ClassifyInput
from ews.kernel.scores import precision_recall_f1
from ews.kernel.text import has_hangul
from models.classify.base import ModelError

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "shipped" / "classifier"
HELDOUT_SHARE = 0.2
MIN_TRAIN_RECORDS = 10


def _taxonomy():
    from ews.kernel.taxonomy import TaxonomyError, load_taxonomy

    try:
        return load_taxonomy()
    except TaxonomyError as e:
        raise ModelError(f"cannot load the taxonomy: {e}") from None


def read_model(model_dir: Path):
    """The classifier stored in `model_dir`; ModelError naming the directory and the problem otherwise."""
    model_dir = Path(model_dir)
    if not model_dir.exists():
        raise ModelError(f"{model_dir}: no such model directory")
    if not model_dir.is_dir():
        raise ModelError(f"{model_dir}: is a file, expected a model directory")
    meta = model_dir / "model.json"
    if not meta.exists():
        raise ModelError(f"{model_dir}: not a model directory (no model.json)")
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"{meta}: corrupt model description ({e})") from None
    if not isinstance(info, dict) or not {"kind", "version", "taxonomy_version"} <= info.keys():
        raise ModelError(f"{meta}: corrupt model description (needs kind, version, taxonomy_version)")
    tax = _taxonomy()
    if info["taxonomy_version"] != tax.version:
        raise ModelError(f"{model_dir}: model {info['version']} was trained for taxonomy {info['taxonomy_version']}, "
                         f"the active taxonomy is {tax.version}; retrain it (ews train) or set EWS_TAXONOMY_VERSION")
    if info["kind"] == "rules":
        from models.classify.rules import KeywordConcordanceClassifier

        return KeywordConcordanceClassifier(tax)
    if info["kind"] == "text":
        from models.classify.text_model import TextModelClassifier

        return TextModelClassifier.load(model_dir, info, tax)
    raise ModelError(f"{meta}: unknown model kind {info['kind']!r}")


def _latest_trained(models_dir: Path) -> Path | None:
    """models_dir/current if present, else the model directory written last."""
    if not models_dir.is_dir():
        return None
    current = models_dir / "current"
    if current.exists():
        return current
    found = [(p.stat().st_mtime, d) for d in models_dir.iterdir() if (p := d / "model.json").is_file()]
    return max(found)[1] if found else None


def load_classifier(model_dir: Path | None = None, *, models_dir: Path | None = None):
    """The classifier in `model_dir`; with None the last trained into `models_dir` (the data directory's
    models, as the settings name them), else the shipped, else the built-in one."""
    if model_dir is not None:
        return read_model(Path(model_dir))
    latest = _latest_trained(Path(models_dir)) if models_dir is not None else None
    if latest is not None:
        return read_model(latest)
    if (SHIPPED_DIR / "model.json").is_file():
        return read_model(SHIPPED_DIR)
    from models.classify.rules import KeywordConcordanceClassifier

    return KeywordConcordanceClassifier(_taxonomy())


def resolve_labels(records: list[ClassifyInput], taxonomy) -> tuple[list[ClassifyInput], list[list[str]], dict]:
    """Labels per record: explicit `labels`, else through the concordance of `cpc`; records with neither are left out."""
    from ews.kernel.taxonomy.concordance import CpcConcordance

    known = set(taxonomy.technology_ids)
    unknown: dict[str, list[str]] = {}
    conc = CpcConcordance(taxonomy)
    kept, labels = [], []
    n_explicit = n_cpc = n_unlabelled = 0
    for r in records:
        if r.labels is not None:
            bad = [t for t in r.labels if t not in known]
            for t in bad:
                unknown.setdefault(t, []).append(r.id)
            kept.append(r)
            labels.append(list(dict.fromkeys(r.labels)))
            n_explicit += 1
        elif r.cpc:
            kept.append(r)
            labels.append(sorted(conc.technologies(r.cpc)))
            n_cpc += 1
        else:
            n_unlabelled += 1
    if unknown:
        shown = "; ".join(f"{t!r} (record {', '.join(ids[:3])}{' …' if len(ids) > 3 else ''})"
                          for t, ids in sorted(unknown.items())[:10])
        raise ModelError(f"unknown technology ids in labels, not in taxonomy {taxonomy.version}: {shown}")
    summary = {"records": len(records), "used": len(kept), "labels_explicit": n_explicit,
               "labels_from_cpc": n_cpc, "left_out_unlabelled": n_unlabelled}
    return kept, labels, summary


def is_heldout(record_id: str) -> bool:
    """A record is held out by a hash of its id: stable across runs and machines, and the same rule
    for training and for retraining, so a model promoted earlier never saw today's held-out records."""
    return int(hashlib.sha1(record_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < HELDOUT_SHARE


def _heldout_split(records: list[ClassifyInput]) -> list[bool]:
    return [is_heldout(r.id) for r in records]


def scores_table(pred: list[list[str]], gold: list[list[str]], tech_ids: list[str]) -> dict:
    """Per-technology precision/recall/F1 with support, and micro/macro averages."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for p, g in zip(pred, gold):
        ps, gs = set(p), set(g)
        for t in ps & gs:
            tp[t] += 1
        for t in ps - gs:
            fp[t] += 1
        for t in gs - ps:
            fn[t] += 1

    per = {}
    for t in tech_ids:
        if tp[t] + fp[t] + fn[t]:
            p, r, f = precision_recall_f1(tp[t], fp[t], fn[t])
            per[t] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
                      "support": tp[t] + fn[t], "predicted": tp[t] + fp[t]}
    mp, mr, mf = precision_recall_f1(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    with_support = [v["f1"] for v in per.values() if v["support"]]
    none_gold = sum(1 for g in gold if not g)
    none_right = sum(1 for p, g in zip(pred, gold) if not g and not p)
    return {"micro": {"precision": round(mp, 4), "recall": round(mr, 4), "f1": round(mf, 4)},
            "macro_f1": round(sum(with_support) / len(with_support), 4) if with_support else 0.0,
            "documents": len(gold), "documents_none": none_gold,
            "none_correct": round(none_right / none_gold, 4) if none_gold else None,
            "per_technology": per}


def train_classifier(records: list[ClassifyInput], output: Path, source: str, korean_extra=(), **params) -> dict:
    """Train the text model on `records`, score it on a held-out part, write `output`; returns the description.
    `korean_extra`: labelled Korean passages for the Korean n-gram model only (see korean_ngrams.training_material)."""
    from models.classify.text_model import TextModelClassifier

    output = Path(output)
    if not records:
        raise ModelError(f"{source}: no records to train on")
    tax = _taxonomy()
    kept, labels, summary = resolve_labels(records, tax)
    if not kept:
        raise ModelError(f"{source}: no record carries labels or patent classes ({len(records)} records); "
                         "give each line \"labels\": [...] or \"cpc\": [...]")
    positives = Counter(t for labs in labels for t in labs)
    if not positives:
        raise ModelError(f"{source}: no record is labelled with any of the {len(tax.technology_ids)} technologies "
                         f"({len(kept)} usable records, all 'none'); a model needs positive examples")
    if len(kept) < MIN_TRAIN_RECORDS:
        raise ModelError(f"{source}: {len(kept)} usable records; training needs at least {MIN_TRAIN_RECORDS} "
                         "(fewer give a model whose tags are chance)")
    everywhere = sorted(t for t, n in positives.items() if n == len(kept))
    if everywhere:
        raise ModelError(f"{source}: every one of the {len(kept)} records is labelled {', '.join(everywhere)}; "
                         "a model needs records without a technology too (add records labelled [] or with others)")
    if output.exists() and not output.is_dir():
        raise ModelError(f"{output}: is a file, expected a model directory")
    if output.exists() and any(output.iterdir()) and not (output / "model.json").exists():
        raise ModelError(f"{output}: exists and is not a model directory; refusing to overwrite it")

    held = _heldout_split(kept)
    tr = [i for i, h in enumerate(held) if not h]
    te = [i for i, h in enumerate(held) if h]
    if not te or not tr:  # tiny sets: everything trains, no held-out scores
        tr, te = list(range(len(kept))), []
    from models.classify.korean_ngrams import train_for_classifier

    model = TextModelClassifier(tax, **params).fit([kept[i] for i in tr], [labels[i] for i in tr])
    model.korean_ngrams, _ = train_for_classifier(tax, [kept[i] for i in tr], [labels[i] for i in tr], korean_extra)
    heldout = None
    if te:
        pred = model.predict_ids([_text_only(kept[i]) for i in te])
        heldout = scores_table(pred, [labels[i] for i in te], model.tech_ids)
        heldout["note"] = "text alone (classes removed), held out by a hash of the id"
    # the model written is refitted on all records (its thresholds and calibration out of fold on all of them);
    # the held-out scores above describe the same recipe on less data, so they are if anything pessimistic
    final = TextModelClassifier(tax, **params).fit(kept, labels) if te else model
    # Korean character n-grams (korean_ngrams.py): trained with the plan-derived material when the records hold
    # enough labelled Korean passages to choose its thresholds on; kept only where cross-validation says it helps
    final.korean_ngrams, korean_info = train_for_classifier(tax, kept, labels, korean_extra)

    digest = hashlib.sha1()
    for r, labs in zip(kept, labels):
        digest.update(f"{r.id}\t{','.join(labs)}\t{len(r.text)}\n".encode())
    digest.update(json.dumps(params, sort_keys=True).encode())
    if korean_info.get("trained"):  # the Korean n-gram model's material is part of what the version names
        digest.update(json.dumps({k: korean_info.get(k) for k in ("texts", "positives", "korean_records")},
                                 sort_keys=True).encode())
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    version = f"text-{tax.version}-{created:%Y%m%d}-{digest.hexdigest()[:8]}"
    final.version = version
    final.info = {
        "version": version, "kind": "text", "format": 2, "taxonomy_version": tax.version,
        "created": created.isoformat(),
        "training": {"source": source, **summary, "documents_by_language": dict(Counter(_language_of(r) for r in kept)),
            "documents_none": sum(1 for labs in labels if not labs),
            "positives": dict(sorted(positives.items())), "trained_technologies": int(final.trained_.sum()),
            "heldout_documents": len(te)},
        "params": {"C": final.C, "max_features": final.max_features, "keep": final.keep, "char_grams": final.chars,
                   "balanced": final.balanced, **params},
        "common_threshold": round(float(final.common_threshold_), 4),
        "thresholds": {t: round(float(x), 4) for t, x in zip(final.tech_ids, final.thresholds)},
        "heldout": heldout,
        "korean_ngrams": korean_info,
    }
    tmp = output.with_name(f".{output.name}.tmp{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        final.save(tmp)
        if output.exists():
            shutil.rmtree(output)
        os.replace(tmp, output)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return final.info


def _language_of(r: ClassifyInput) -> str:
    """The record's stated language, else Korean where its opening has Hangul, English where it has Latin letters."""
    if r.lang:
        return r.lang
    opening = f"{r.title} {r.text[:2000]}"
    if has_hangul(opening):
        return "ko"
    return "en" if any("a" <= c.lower() <= "z" for c in opening) else "unknown"


def _text_only(r: ClassifyInput) -> ClassifyInput:
    return r.model_copy(update={"cpc": [], "labels": None})
