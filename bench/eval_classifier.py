"""Measure the technology classifier on real data: per-technology P/R/F1, micro/macro, throughput.

Reads ../shared/data (next to the project) when present and skips what is absent;
never copies it into the project.

- USPTO random patents (uspto_random10k_dev.jsonl.gz) and NVIDIA patents
  (patentsview_nvidia/): labels through the CPC concordance; a part held out by a
  hash of the patent id; the text model is trained on the rest and scored on the
  held-out TEXT ALONE (classes removed). Most random patents are none of the 50,
  so a false positive on them counts as much as a miss.
- Korean policy passages (policy_ko_dev.jsonl): `strong` labels must be found,
  `weak` ones are neither required nor penalised (predicting one is not a false
  positive, missing one is not a miss). Fields scored the same way.
- Baselines: the built-in keyword classifier on the same text, and a bare
  TF-IDF + LinearSVC on the same labels.
- Protocol (frozen split): a record belongs to the FROZEN evaluation split when the first 8 hex
  digits of sha1(its id), read as a fraction of 0xFFFFFFFF, are below 0.25 (patents; the
  model this script trains, and `--save-model`, see only the rest; `ews train` holds out below 0.2
  by the same hash, so a model it trains on these records has seen 5 % of the frozen patents) or below 0.5 for
  Korean policy passages (salted "policy-frozen:" + passage id). Nothing is tuned on the frozen
  split: thresholds and calibration are chosen by cross-validation inside the training part, and no
  keyword or rule is read off a frozen passage (the EXTRA_TERMS were read from seed 000's passages,
  so those passages are scored without them). Figures on the other policy half are printed as
  "training half" for comparison only.
- Learning curve: the text model trained on nested fractions of the training part (chosen by a second
  hash, "curve:" + id) and scored on the frozen patents; printed and drawn to
  docs/classifier_learning_curve.png (--curve-png).
- Korean n-grams (models/classify/korean_ngrams.py): three variants trained without any frozen passage (the
  plan-derived material + the policy training half; the training half alone; the plan material alone), their
  switches chosen by cross-validation inside that material (printed), each scored on the frozen split next to
  the text model and the keywords.
- Throughput: `ews classify` as a subprocess on documents of 1,500 characters,
  wall time including process start and model load (Korean also with the n-gram models).

    .venv/bin/python bench/eval_classifier.py [--data ../shared/data] [--quick] [--curve] [--save-model DIR]
    .venv/bin/python bench/eval_classifier.py --korean-only [--quick]   # Korean part only, the shipped text model
    .venv/bin/python bench/eval_classifier.py --ship models/shipped/classifier   # rebuild the shipped model
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ews.kernel.schema import ClassifyInput  # noqa: E402
from ews.kernel.scores import precision_recall_f1  # noqa: E402
from ews.kernel.taxonomy import load_taxonomy  # noqa: E402
from ews.kernel.taxonomy.concordance import CpcConcordance  # noqa: E402
from models.classify.vocabulary import EXTRA_TERMS_READ_FROM  # noqa: E402

HELDOUT = 0.25
POLICY_FROZEN_SHARE = 0.5
CURVE_FRACTIONS = (0.1, 0.25, 0.5, 1.0)


def _hash_fraction(key: str) -> float:
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def heldout(key: str) -> bool:
    """The frozen patent split (contains the 20 % `ews train` holds out by the same hash)."""
    return _hash_fraction(key) < HELDOUT


def policy_frozen(passage_id: str) -> bool:
    return _hash_fraction("policy-frozen:" + passage_id) < POLICY_FROZEN_SHARE


def in_curve_fraction(record_id: str, fraction: float) -> bool:
    """Nested subsets: a record in the 10 % subset is in the 25 % one too."""
    return _hash_fraction("curve:" + record_id) < fraction


def _cpc(symbols):
    from ews.kernel.schema import normalize_cpc

    out = []
    for s in symbols:
        try:
            out.append(normalize_cpc(s))
        except ValueError:
            pass
    return out


def load_uspto(data: Path) -> list[ClassifyInput]:
    path = data / "uspto_random10k_dev.jsonl.gz"
    if not path.exists():
        return []
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if not d["cpc"]:  # 2005 grants carry no classes: their labels are unknown, not "none"
                continue
            out.append(ClassifyInput(id=d["patent_id"], text=d["abstract"] or "", cpc=_cpc(d["cpc"])))
    return out


def load_nvidia(data: Path) -> list[ClassifyInput]:
    d = data / "patentsview_nvidia"
    if not (d / "nvidia_patent.csv").exists():
        return []
    csv.field_size_limit(10**8)
    titles = {r["patent_id"]: r["patent_title"] for r in csv.DictReader(open(d / "nvidia_patent.csv", encoding="utf-8"))}
    abstracts = {r["patent_id"]: r["patent_abstract"]
                 for r in csv.DictReader(open(d / "nvidia_patent_abstract.csv", encoding="utf-8"))}
    cpc: dict[str, list[str]] = {}
    for r in csv.DictReader(open(d / "nvidia_cpc.csv", encoding="utf-8")):
        cpc.setdefault(r["patent_id"], []).append(r["cpc_group"])
    return [ClassifyInput(id=f"nv{pid}", title=titles.get(pid, ""), text=abstracts.get(pid, "") or "",
                          cpc=_cpc(cpc.get(pid, [])))
            for pid in titles if pid in cpc]


def load_policy(data: Path) -> list[dict]:
    path = data / "policy_ko_dev.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def concordance_labels(recs: list[ClassifyInput]) -> list[list[str]]:
    conc = CpcConcordance(load_taxonomy())
    return [sorted(conc.technologies(r.cpc)) for r in recs]


def text_only(recs):
    return [r.model_copy(update={"cpc": []}) for r in recs]


def score(pred, gold, ignore=None):
    """Counts per technology; `ignore[i]` holds labels neither required nor penalised for item i."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for i, (p, g) in enumerate(zip(pred, gold)):
        ign = set(ignore[i]) if ignore else set()
        p, g = set(p) - (ign - set(g)), set(g)
        for t in p & g:
            tp[t] += 1
        for t in p - g:
            fp[t] += 1
        for t in g - p:
            fn[t] += 1
    return tp, fp, fn


prf = precision_recall_f1


def summary(name, counts, n_docs, per_table=False):
    tp, fp, fn = counts
    mp, mr, mf = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    keys = sorted(set(tp) | set(fp) | set(fn))
    f1s = [prf(tp[k], fp[k], fn[k])[2] for k in keys if tp[k] + fn[k]]
    macro = sum(f1s) / len(f1s) if f1s else 0.0
    print(f"{name:58s} docs {n_docs:5d}  micro P {mp:.3f} R {mr:.3f} F1 {mf:.3f}  macro-F1 {macro:.3f}"
          f"  (tp {sum(tp.values())} fp {sum(fp.values())} fn {sum(fn.values())})")
    if per_table:
        print()
        print("| technology | support | predicted | precision | recall | F1 |")
        print("|---|---:|---:|---:|---:|---:|")
        for k in sorted(keys, key=lambda k: (-(tp[k] + fn[k]), k)):
            p, r, f = prf(tp[k], fp[k], fn[k])
            print(f"| {k} | {tp[k] + fn[k]} | {tp[k] + fp[k]} | {p:.2f} | {r:.2f} | {f:.2f} |")
        print()
    return {"micro_p": mp, "micro_r": mr, "micro_f1": mf, "macro_f1": macro}


def svm_baseline(train, ytrain, test, tech_ids):
    """The floor: bare TF-IDF + LinearSVC one-vs-rest on the same labels."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vec = TfidfVectorizer(sublinear_tf=True, min_df=2)
    X = vec.fit_transform([r.title + " " + r.text for r in train])
    Xt = vec.transform([r.title + " " + r.text for r in test])
    pred = [[] for _ in test]
    for t in tech_ids:
        y = np.array([t in ys for ys in ytrain])
        if y.sum() == 0:
            continue
        m = LinearSVC().fit(X, y)
        for i in np.flatnonzero(m.predict(Xt)):
            pred[i].append(t)
    return pred


def throughput(model_dir: Path | None, source_texts: list[str], n: int) -> tuple[float, float]:
    """Documents per second of `ews classify` end to end (process start, model load, read, tag, write):
    per second of wall time, and per second of the process's CPU time (user + system), which is what
    the wall time would be on an otherwise idle machine (the 2 cores here are shared)."""
    import resource

    ews = Path(sys.executable).with_name("ews")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        with open(src, "w", encoding="utf-8") as f:
            k = 0
            for i in range(n):
                text = ""
                while len(text) < 1500:
                    text += source_texts[k % len(source_texts)] + " "
                    k += 1
                f.write(json.dumps({"id": f"d{i}", "text": text[:1500]}, ensure_ascii=False) + "\n")
        cmd = [str(ews), "classify", "--input", str(src), "--output", str(Path(tmp) / "out.jsonl")]
        if model_dir:
            cmd += ["--model", str(model_dir)]
        env = dict(os.environ, EWS_HOME=str(Path(tmp) / "home"))
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        dt = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        if r.returncode:
            print(r.stderr)
            return 0.0, 0.0
        return n / dt, n / max(cpu, 1e-9)


def policy_predict(clf, policy, docs, tax):
    """Tag passages; those of a document the EXTRA_TERMS were read from are tagged without them."""
    from models.classify.terms import keyword_matcher

    full, without = clf._terms, keyword_matcher(tax, extra=False)
    out = []
    for p, d in zip(policy, docs):
        clf._terms = without if p.get("src", "").split(":")[0] in EXTRA_TERMS_READ_FROM else full
        out.extend(clf.predict([d]))
    clf._terms = full
    return out


def policy_records(ps: list[dict]) -> list[dict]:
    """Policy passages as training records of the Korean n-gram model (strong labels; weak ones neither)."""
    return [{"text": (p.get("title", "") + "\n" + p["text"]).strip(), "technologies": p["strong"],
             "fields": p["fields"], "weak": p["weak"], "weak_fields": p["weak_fields"], "group": p["id"]}
            for p in ps]


def korean_variants(tax, rest: list[dict]) -> dict:
    """Korean n-gram models trained on: the plan-derived material and the training half; the training half alone
    (without the plan material); the plan material alone (no labelled policy passage). Never the frozen half."""
    from models.classify import korean_ngrams

    out = {}
    for label, recs, plan in (("plan + training half", rest, True), ("training half only (no plan material)", rest, False),
                              ("plan material only", [], True)):
        t0 = time.process_time()
        try:
            out[label] = korean_ngrams.train(tax, policy_records(recs), plan=plan)
        except korean_ngrams.NgramModelError as e:
            print(f"  Korean n-grams, {label}: not trained ({e})")
            continue
        cv = out[label].info["cross_validation"]
        print(f"  Korean n-grams, {label}: {out[label].info['texts']} texts, {out[label].info['trained_classes']} classes "
              f"with a model, {time.process_time() - t0:.1f} CPU-s; thresholds by CV in the training material: "
              f"technologies: share of negatives passing {cv['technologies']['false_pass_share']} (CV micro-F1 keywords {cv['technologies']['cv_micro_f1_keywords']}"
              f" -> with n-grams {cv['technologies']['cv_micro_f1_with_ngrams']}), fields {cv['fields']['false_pass_share']} "
              f"({cv['fields']['cv_micro_f1_keywords']} -> {cv['fields']['cv_micro_f1_with_ngrams']})")
    return out


def policy_section(policy, classifiers, tax, results, tables_for: str) -> None:
    """Frozen-split (and training-half) figures of each classifier on the Korean policy passages."""
    frozen = [p for p in policy if policy_frozen(p["id"])]
    rest = [p for p in policy if not policy_frozen(p["id"])]
    print("\n## Korean policy passages (strong labels count, weak neither required nor penalised)\n")
    print(f"Frozen split: {len(frozen)} of {len(policy)} passages (sha1 of 'policy-frozen:' + id < "
          f"{POLICY_FROZEN_SHARE}), {sum(len(p['strong']) for p in frozen)} strong labels; nothing is tuned on them.\n"
          f"The EXTRA_TERMS of the vocabulary were read from misses in passages of seed {sorted(EXTRA_TERMS_READ_FROM)},\n"
          "so those passages are scored without them.\n")
    for part, ps in (("frozen", frozen), ("training half, for comparison", rest)):
        if not ps:
            continue
        docs = [ClassifyInput(id=p["id"], title=p.get("title", ""), text=p["text"], lang=p.get("lang")) for p in ps]
        for label, (clf, in_sample) in classifiers.items():
            if part != "frozen" and in_sample:
                continue  # trained on the training half: its figure there is in-sample
            tags = policy_predict(clf, ps, docs, tax)
            pred = [[t.id for t in tag.technologies] for tag in tags]
            table = part == "frozen" and label == tables_for
            results[f"policy {part}/{label}"] = summary(
                f"policy {part.split(',')[0]} technologies: {label}",
                score(pred, [p["strong"] for p in ps], [p["weak"] for p in ps]), len(ps), per_table=table)
            fpred = [tag.fields for tag in tags]
            results[f"policy-fields {part}/{label}"] = summary(
                f"policy {part.split(',')[0]} fields: {label}",
                score(fpred, [p["fields"] for p in ps], [p["weak_fields"] for p in ps]), len(ps), per_table=table)
            if table:
                for p, tag in zip(ps, tags):
                    got = [t.id for t in tag.technologies]
                    if set(got) - set(p["strong"]) - set(p["weak"]) or set(p["strong"]) - set(got):
                        print(f"  {p['id']}: strong {p['strong']} weak {p['weak']} → {got}")


def with_korean(clf, ngrams):
    """A shallow copy of `clf` that reads Korean passages with `ngrams` too."""
    import copy

    c = copy.copy(clf)
    c.korean_ngrams = ngrams
    return c


def learning_curve(train, ytrain, tests, tax, results, png: Path) -> None:
    """Micro-F1 on the frozen patents of text models trained on nested fractions of the training part."""
    from models.classify.text_model import TextModelClassifier

    print("\n## Learning curve: frozen patents, text alone, vs labelled training patents\n")
    print("| training patents | with a label | USPTO F1 | NVIDIA F1 | all F1 | all P | all R |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for frac in CURVE_FRACTIONS:
        idx = [i for i, r in enumerate(train) if in_curve_fraction(r.id, frac)]
        m = TextModelClassifier(tax).fit([train[i] for i in idx], [ytrain[i] for i in idx])
        f = {}
        all_c = (Counter(), Counter(), Counter())
        for name, (te, yte) in tests.items():
            c = score(m.predict_ids(text_only(te)), yte)
            f[name] = prf(sum(c[0].values()), sum(c[1].values()), sum(c[2].values()))[2]
            for acc, part in zip(all_c, c):
                acc.update(part)
        p, r, f1 = prf(sum(all_c[0].values()), sum(all_c[1].values()), sum(all_c[2].values()))
        n_pos = sum(1 for i in idx if ytrain[i])
        rows.append((len(idx), f.get("uspto", 0.0), f.get("nvidia", 0.0), f1))
        results[f"curve/{len(idx)}"] = {"micro_p": p, "micro_r": r, "micro_f1": f1}
        print(f"| {len(idx)} | {n_pos} | {f.get('uspto', 0.0):.3f} | {f.get('nvidia', 0.0):.3f} | {f1:.3f} | {p:.3f} | {r:.3f} |")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    xs = [r[0] for r in rows]
    for k, label in ((3, "all frozen patents"), (1, "USPTO random"), (2, "NVIDIA")):
        ax.plot(xs, [r[k] for r in rows], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_xlabel("labelled training patents")
    ax.set_ylabel("micro-F1 (frozen split, text alone)")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Technology classifier: learning curve")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    print(f"\nlearning curve drawn to {png}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--quick", action="store_true", help="skip baselines and throughput")
    ap.add_argument("--save-model", type=Path, help="also write the model trained on the training part here (patents; "
                    "its Korean n-grams on the plan material and the policy passages' training half)")
    ap.add_argument("--n-throughput", type=int, default=10000)
    ap.add_argument("--curve", action="store_true", help="also train on nested fractions of the training part")
    ap.add_argument("--curve-png", type=Path, default=ROOT / "docs" / "classifier_learning_curve.png")
    ap.add_argument("--ship", type=Path, help="write the shipped default model here and stop: the text model on ALL "
                    "patents with classes, its Korean n-grams on the plan material and the policy passages' training half")
    ap.add_argument("--korean-only", action="store_true",
                    help="only the Korean policy part, with the shipped model as the text model (no patent training)")
    args = ap.parse_args()
    if args.save_model and args.korean_only:
        ap.error("--save-model trains on the patents: leave out --korean-only")
    if not args.data.exists():
        print(f"skipped: {args.data} not found (the evaluation data lives outside the project)")
        return

    from models.classify.rules import KeywordConcordanceClassifier
    from models.classify.text_model import TextModelClassifier

    tax = load_taxonomy()
    uspto, nvidia, policy = load_uspto(args.data), load_nvidia(args.data), load_policy(args.data)
    print(f"data: {len(uspto)} USPTO random patents with classes, {len(nvidia)} NVIDIA patents, "
          f"{len(policy)} Korean policy passages")
    if args.ship:
        from models.classify import train_classifier

        recs = uspto + nvidia
        rest = [p for p in policy if not policy_frozen(p["id"])]
        info = train_classifier([r.model_copy(update={"labels": y}) for r, y in zip(recs, concordance_labels(recs))],
                                args.ship, source="uspto_random10k_dev (pygrams USPTO-random-10000, OGL v3) + "
                                "patentsview_nvidia (PatentsView, CC BY 4.0): all records with CPC classes; Korean "
                                f"n-grams: plan material (seed 001) + {len(rest)} policy_ko_dev passages (training half)",
                                korean_extra=policy_records(rest))
        print(f"model {info['version']} written to {args.ship}; Korean n-grams: "
              f"{json.dumps(info['korean_ngrams'].get('cross_validation', info['korean_ngrams']))}")
        return
    sets = {} if args.korean_only else {"uspto": uspto, "nvidia": nvidia}
    train, ytrain, tests = [], [], {}
    for name, recs in sets.items():
        labels = concordance_labels(recs)
        tr = [(r, y) for r, y in zip(recs, labels) if not heldout(r.id)]
        te = [(r, y) for r, y in zip(recs, labels) if heldout(r.id)]
        train += [r for r, _ in tr]
        ytrain += [y for _, y in tr]
        tests[name] = ([r for r, _ in te], [y for _, y in te])
        pos = sum(1 for y in labels if y)
        print(f"  {name}: {len(tr)} train / {len(te)} held out; {pos} of {len(recs)} ({pos / max(1, len(recs)):.0%}) "
              f"are one of the 50 through the concordance")

    results = {}
    t0 = time.perf_counter()
    if args.korean_only:
        from models.classify.store import SHIPPED_DIR, read_model

        model = read_model(SHIPPED_DIR) if (SHIPPED_DIR / "model.json").exists() else KeywordConcordanceClassifier(tax)
        model.korean_ngrams = None  # the variants below are trained here, without any frozen passage
        print(f"text model: the shipped {model.version} (--korean-only)")
    else:
        model = TextModelClassifier(tax).fit(train, ytrain)
        print(f"text model trained on {len(train)} patents in {time.perf_counter() - t0:.0f} s; "
              f"{int(model.trained_.sum())} technologies with enough examples")
    rules = KeywordConcordanceClassifier(tax)

    print("\n## Held-out patents, text alone (classes removed)\n")
    for name, (te, yte) in tests.items():
        if not te:
            continue
        pred = model.predict_ids(text_only(te))
        results[f"{name}/text-model"] = summary(f"{name}: text model", score(pred, yte), len(te))
        pred_r = rules.predict_ids(text_only(te))
        results[f"{name}/keywords"] = summary(f"{name}: keywords only (built-in)", score(pred_r, yte), len(te))
        if not args.quick:
            pred_s = svm_baseline(train, ytrain, te, tax.technology_ids)
            results[f"{name}/svm"] = summary(f"{name}: bare TF-IDF + LinearSVC (floor)", score(pred_s, yte), len(te))
        pred_c = model.predict_ids(te)
        results[f"{name}/with-classes"] = summary(f"{name}: text model + classes (as in production)",
                                                  score(pred_c, yte), len(te))
    all_te = [r for te, _ in tests.values() for r in te]
    all_y = [y for _, ys in tests.values() for y in ys]
    if all_te:
        pred = model.predict_ids(text_only(all_te))
        results["patents/text-model"] = summary("all held-out patents: text model", score(pred, all_y), len(all_te),
                                                per_table=True)

    korean_model, kvars = None, {}
    if policy:
        rest = [p for p in policy if not policy_frozen(p["id"])]
        print("\n## Korean n-gram models (models/classify/korean_ngrams.py), trained without any frozen passage\n")
        kvars = korean_variants(tax, rest)
        classifiers = {"text model": (model, False), "keywords only (built-in)": (rules, False)}
        for label, ng in kvars.items():
            classifiers[f"text model + Korean n-grams ({label})"] = (with_korean(model, ng), "training half" in label)
        tables_for = "text model + Korean n-grams (plan + training half)"
        policy_section(policy, classifiers, tax, results, tables_for if tables_for in classifiers else "text model")
        korean_model = kvars.get("plan + training half")

    if args.curve and train:
        learning_curve(train, ytrain, tests, tax, results, args.curve_png)

    if not args.quick:
        print("\n## Throughput: `ews classify`, documents of 1,500 characters, process start and model load included\n")
        with tempfile.TemporaryDirectory() as tmp:
            mdir = Path(tmp) / "model"
            model.info = {"version": "bench", "kind": "text", "format": 2, "taxonomy_version": tax.version}
            model.version = "bench"
            model.save(mdir)
            rows = [("text model, English", mdir, None), ("default (no --model), English", None, None),
                    ("text model, Korean", mdir, "ko"), ("default (no --model), Korean", None, "ko")]
            # the Korean n-grams as trained, and the plan-only variant (each switched on or off by its CV; a model
            # switched off everywhere costs its loading only)
            for i, (label, ng) in enumerate((("", korean_model), (" (plan only)", kvars.get("plan material only")))):
                if policy and ng is not None:
                    kdir = Path(tmp) / f"model-korean{i}"
                    with_korean(model, ng).save(kdir)
                    rows.insert(3 + i, (f"text model + Korean n-grams{label}, Korean", kdir, "ko"))
            if args.korean_only:
                rows = [r for r in rows if r[2] == "ko"]
            texts = [r.text for r in uspto[:2000]] or ["A lithium-ion battery cell. " * 10]
            ko = [p["text"] for p in policy] or texts
            print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
            for label, md, lang in rows:
                src = ko if lang == "ko" else texts
                wall, cpu = throughput(md, src, args.n_throughput)
                results[f"throughput/{label}"] = wall
                results[f"throughput-cpu/{label}"] = cpu
                print(f"{label:50s} {wall:8.0f} documents/s wall, {cpu:8.0f} per CPU-second ({args.n_throughput} documents)")

    if args.save_model:
        from models.classify import train_classifier

        # the Korean n-gram model: plan material + the policy passages' training half (never the frozen half)
        rest = [p for p in policy if not policy_frozen(p["id"])]
        info = train_classifier([r.model_copy(update={"labels": y}) for r, y in zip(train, ytrain)],
                                args.save_model, source="uspto_random10k_dev + patentsview_nvidia (train part)"
                                + (f"; Korean n-grams: plan material + {len(rest)} policy_ko_dev passages (training half)"
                                   if rest else ""),
                                korean_extra=policy_records(rest))
        print(f"model {info['version']} written to {args.save_model}")
    print("\nresults:", json.dumps({k: (round(v, 4) if isinstance(v, float) else {a: round(b, 4) for a, b in v.items()})
                                     for k, v in results.items()}))


if __name__ == "__main__":
    main()
