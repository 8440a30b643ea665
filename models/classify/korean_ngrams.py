"""Korean character n-grams: evidence for technologies and fields that does not need the taxonomy's exact words.

The keyword matcher finds '양자컴퓨팅' but not '양자 컴퓨터 개발', nor a passage about defending public
networks against intrusions that never writes '사이버 보안'. This model reads Korean text as character
n-grams (2 to 4 characters within a word, padded with a space at both ends, as scikit-learn's `char_wb`
analyser does), weighted by TF-IDF (sublinear tf, smooth idf, l2 norm), with one logistic regression per
technology and per field. Word stems and the context words of a subject ('양자' + '큐비트', '보안' +
'침해', '진료' + '의료데이터') carry evidence that survives paraphrase and particles.

Training material (`training_material`), none of it read from an evaluation passage:

- the plan itself: sentences and bullets of the master plan (seed 001), derived with their labels by
  `tools/korean_plan_material.py` and shipped as `data/korean_plan.jsonl`. The words that gave a line
  its labels (the taxonomy's keywords and field words) are MASKED out of the training text, so the model
  learns the context around them, the evidence a paraphrase keeps (the keywords themselves are the
  keyword matcher's job);
- the taxonomy's definitions: per technology its Korean name and keywords, per field its name, its
  technologies' names and its field words (unmasked: they teach the stems of the names);
- labelled Korean records: the training passages a caller passes (the dev set's training half in the
  bench, Korean documents in `ews train` input) and analysts' tag judgements (`feedback.py`), which reach
  `ews train` as labelled records.

Thresholds: one for technologies and one for fields, chosen by cross-validation inside the training
material (out-of-fold scores of the plan lines and labelled records, 4 folds by block of plan lines /
record), as the cut that maximises micro-F1 of "keywords OR n-grams" on that material. The definitions
always train and are never scored.

Inference is numpy only: text -> code points -> rolling hashes of the n-grams (vectorised over a batch)
-> columns through a hash table of the vocabulary (exact: the stored key is compared), then a sparse
product with the pruned weights.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ews.kernel.text import has_hangul

FORMAT = 1
NGRAMS = (2, 3, 4)
DATA_DIR = Path(__file__).resolve().parent / "data"
PLAN_MATERIAL = DATA_DIR / "korean_plan.jsonl"
MIN_DF = 2
MAX_DF = 0.5
C = 4.0  # inverse regularisation of the logistic regressions (not tuned on the frozen split)
CLASS_WEIGHT: str | None = "balanced"
KEEP = 3000  # weights kept per class (the largest); the rest are zero
FOLDS = 4
# shares of a class's out-of-fold negatives allowed above its threshold (None: the n-grams are switched off)
FALSE_PASS_GRID = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1)
MIN_THRESHOLD = 0.2
GATED = True  # n-grams only confirm classes with some keyword evidence of their own (weak terms included)
PLAN_CHUNK_CHARS = 800  # plan lines packed into passages of about this length (1 = one line each)
MIN_SELECT_RECORDS = 10  # labelled passages needed to choose the thresholds on them rather than on the plan lines
MIN_POSITIVES = 2  # a class with fewer positive training texts gets no model
TABLE_BITS = 22  # hash table of the vocabulary: 4 M slots for ~10^5 n-grams
_PRIME = np.uint64(1099511628211)
_NONWORD = re.compile(r"[\W_]+")


class NgramModelError(ValueError):
    """A Korean n-gram model file or training set that cannot be used; the message says which and why."""


def _normal(text: str) -> str:
    return " " + _NONWORD.sub(" ", text.lower()).strip() + " "


def ngram_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(document index, 64-bit hash) of every character n-gram of every text, n in NGRAMS, within words."""
    norm = [_normal(t) for t in texts]
    lens = np.fromiter((len(s) for s in norm), dtype=np.int64, count=len(norm))
    if not len(norm) or lens.sum() == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    codes = np.frombuffer("".join(norm).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    doc = np.repeat(np.arange(len(norm), dtype=np.int64), lens)
    space = codes == 32
    docs_out, keys_out = [], []
    for n in NGRAMS:
        m = len(codes) - n + 1
        if m <= 0:
            continue
        h = np.full(m, n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(n):
                h = h * _PRIME + codes[k:k + m]
        ok = doc[:m] == doc[n - 1:n - 1 + m]
        for k in range(1, n - 1):  # no space inside: n-grams stay within a word
            ok &= ~space[k:k + m]
        if n == 2:  # "  ": an empty text
            ok &= ~(space[:m] & space[1:1 + m])
        docs_out.append(doc[:m][ok])
        keys_out.append(h[ok])
    return np.concatenate(docs_out), np.concatenate(keys_out)


class NgramVocabulary:
    """The n-grams kept in training (sorted hashes) with their idf, and an exact hash table to find them."""

    def __init__(self, keys: np.ndarray, idf: np.ndarray):
        self.keys = np.asarray(keys, dtype=np.uint64)
        self.idf = np.asarray(idf, dtype=np.float32)
        size = 1 << TABLE_BITS
        self._mask = np.uint64(size - 1)
        self._table = np.full(size, -1, dtype=np.int32)
        slot = (self.keys & self._mask).astype(np.int64)
        self._table[slot] = np.arange(len(self.keys), dtype=np.int32)
        # keys sharing a slot: the later one wins the table, the others are found by the sorted search
        lost = self._table[slot] != np.arange(len(self.keys))
        self._shared_slot = np.zeros(size, dtype=bool)  # slots of two or more keys
        self._shared_slot[slot[lost]] = True
        self._has_collisions = bool(lost.any())

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def fit(cls, texts: list[str], min_df: int = MIN_DF, max_df: float = MAX_DF) -> NgramVocabulary:
        doc, keys = ngram_hashes(texts)
        if not len(keys):
            return cls(np.zeros(0, dtype=np.uint64), np.zeros(0))
        order = np.lexsort((keys, doc))
        doc, keys = doc[order], keys[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = (keys[1:] != keys[:-1]) | (doc[1:] != doc[:-1])
        uniq, df = np.unique(keys[first], return_counts=True)
        n = len(texts)
        keep = (df >= min_df) & (df <= max_df * n)
        idf = np.log((1 + n) / (1 + df[keep])) + 1.0
        return cls(uniq[keep], idf)

    def columns(self, keys: np.ndarray) -> np.ndarray:
        """Column of each hash, -1 where the n-gram is not in the vocabulary."""
        if not len(self.keys):
            return np.full(len(keys), -1, dtype=np.int64)
        col = self._table[(keys & self._mask).astype(np.int64)].astype(np.int64)
        found = col >= 0
        found[found] = self.keys[col[found]] == keys[found]
        col[~found] = -1
        if self._has_collisions:  # rare: look the misses up in the sorted keys
            miss = np.flatnonzero(~found & self._shared_slot[(keys & self._mask).astype(np.int64)])
            pos = np.searchsorted(self.keys, keys[miss])
            pos[pos >= len(self.keys)] = 0
            hit = self.keys[pos] == keys[miss]
            col[miss[hit]] = pos[hit]
        return col

    def transform(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays (indptr, indices, data) of the texts' l2-normalised TF-IDF rows."""
        n_docs, V = len(texts), len(self.keys)
        doc, keys = ngram_hashes(texts)
        col = self.columns(keys)
        keep = col >= 0
        flat = doc[keep] * max(V, 1) + col[keep]
        uniq, counts = np.unique(flat, return_counts=True)
        r, c = uniq // max(V, 1), uniq % max(V, 1)
        data = (1.0 + np.log(counts.astype(np.float32))) * self.idf[c] if V else np.zeros(0, np.float32)
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.add.at(indptr, r + 1, 1)
        indptr = np.cumsum(indptr)
        sq = np.zeros(n_docs, dtype=np.float32)
        np.add.at(sq, r, data * data)
        data = (data / np.sqrt(np.maximum(sq[r], 1e-12))).astype(np.float32)
        return indptr, c.astype(np.int32), data


def _csr(rows, n_cols):
    import scipy.sparse as sp

    indptr, indices, data = rows
    return sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, n_cols))


def _micro_f1(pred: np.ndarray, Y: np.ndarray, W: np.ndarray) -> float:
    tp = float((pred & Y & W).sum())
    fp = float((pred & ~Y & W).sum())
    fn = float((~pred & Y & W).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


class KoreanNgramModel:
    """One logistic regression per class over character n-grams; classes are technology ids and 'field:<id>'."""

    def __init__(self, classes: list[str], C: float = C, keep: int = KEEP):
        self.classes = list(classes)
        self.C, self.keep = C, keep
        self.vocab: NgramVocabulary | None = None
        self.coef_: np.ndarray | None = None  # vocabulary × classes
        self.intercept_ = np.full(len(self.classes), -10.0, dtype=np.float32)
        self.trained_ = np.zeros(len(self.classes), dtype=bool)
        self.thresholds_ = np.full(len(self.classes), 1.0, dtype=np.float32)
        self.info: dict = {}

    @property
    def active(self) -> bool:
        """False when cross-validation switched the n-grams off for every class (thresholds above 1)."""
        return bool((self.trained_ & (self.thresholds_ < 1.0)).any())

    @property
    def field_mask(self) -> np.ndarray:
        return np.array([c.startswith("field:") for c in self.classes])

    # -- training -------------------------------------------------------------
    def _fit_once(self, texts: list[str], Y: np.ndarray, W: np.ndarray):
        """Per class an L2-regularised logistic regression with balanced class weights (liblinear, dual: fast when
        there are fewer texts than n-grams), over the TF-IDF of the vocabulary fitted on `texts`."""
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        vocab = NgramVocabulary.fit(texts)
        X = _csr(vocab.transform(texts), len(vocab))
        coef = np.zeros((len(vocab), len(self.classes)), dtype=np.float32)
        icpt = np.full(len(self.classes), -10.0, dtype=np.float32)
        trained = np.zeros(len(self.classes), dtype=bool)
        for j in range(len(self.classes)):
            rows = np.flatnonzero(W[:, j])
            y = Y[rows, j]
            if y.sum() < MIN_POSITIVES or y.sum() == len(y):
                continue
            m = LogisticRegression(C=self.C, class_weight=CLASS_WEIGHT, solver="liblinear", dual=True, max_iter=500)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                m.fit(X[rows], y)
            w = m.coef_[0].astype(np.float32)
            if self.keep and len(w) > self.keep:  # prune: the largest weights carry the decision
                cut = np.partition(np.abs(w), -self.keep)[-self.keep]
                w[np.abs(w) < cut] = 0.0
            coef[:, j], icpt[j], trained[j] = w, m.intercept_[0], True
        return vocab, coef, icpt, trained

    def fit(self, texts: list[str], labels: list[Iterable[str]], ignore: list[Iterable[str]] | None = None,
            groups: list[str] | None = None, scored: list[bool] | None = None,
            keyword_tags: list[Iterable[str]] | None = None, select: list[bool] | None = None,
            keyword_evidence: list[Iterable[str]] | None = None) -> KoreanNgramModel:
        """`labels[i]`: classes text i is about; `ignore[i]`: classes neither positive nor negative for it (weak
        labels); `groups[i]`: texts of one group share a cross-validation fold; `scored[i]`: False for texts that
        always train and are never scored out of fold (definitions); `keyword_tags[i]`: classes the keyword
        matcher already tags in text i (thresholds are chosen for "keywords OR n-grams"); `select[i]`: the
        thresholds are chosen on the out-of-fold scores of these texts (default: all scored ones)."""
        n = len(texts)
        if n < FOLDS * 2:
            raise NgramModelError(f"Korean n-gram model: {n} training texts; it needs at least {FOLDS * 2}")
        index = {c: j for j, c in enumerate(self.classes)}
        Y = np.zeros((n, len(self.classes)), dtype=bool)
        W = np.ones((n, len(self.classes)), dtype=bool)
        unknown = set()
        for i, labs in enumerate(labels):
            for c in labs:
                if c in index:
                    Y[i, index[c]] = True
                else:
                    unknown.add(c)
            for c in (ignore[i] if ignore else ()):
                if c in index and not Y[i, index[c]]:
                    W[i, index[c]] = False
        if unknown:
            raise NgramModelError(f"Korean n-gram model: unknown classes in labels: {sorted(unknown)[:10]}")
        scored_ = np.array(scored if scored is not None else [True] * n, dtype=bool)
        groups = groups or [str(i) for i in range(n)]
        # folds by group, deterministic: groups in order of first appearance, dealt round-robin
        gid: dict[str, int] = {}
        fold = np.array([gid.setdefault(g, len(gid)) % FOLDS for g in groups])
        fold[~scored_] = -1
        oof = np.zeros(Y.shape, dtype=np.float32)
        for k in range(FOLDS):
            tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
            if not len(te):
                continue
            vocab, coef, icpt, trained = self._fit_once([texts[i] for i in tr], Y[tr], W[tr])
            D = _csr(vocab.transform([texts[i] for i in te]), len(vocab)) @ coef + icpt
            P = 1 / (1 + np.exp(-D))
            P[:, ~trained] = 0.0
            oof[te] = P
        K = np.zeros(Y.shape, dtype=bool)
        for i, tags in enumerate(keyword_tags or ()):
            for c in tags:
                if c in index:
                    K[i, index[c]] = True
        # with GATED, n-grams only confirm a class the keywords saw some (weak) evidence of
        A = np.ones(Y.shape, dtype=bool)
        if GATED and keyword_evidence is not None:
            A[:] = False
            for i, tags in enumerate(keyword_evidence):
                for c in tags:
                    if c in index:
                        A[i, index[c]] = True
        ev = scored_ & np.array(select if select is not None else [True] * n, dtype=bool)
        if not ev.any():
            raise NgramModelError("Korean n-gram model: no text to choose the thresholds on")
        # per class, the cut that a share q of its out-of-fold negatives pass (classes differ in scale: policy
        # prose on security reads a little like cybersecurity everywhere); q chosen for the technologies and for
        # the fields as the one that maximises micro-F1 of "keywords OR n-grams" on the selected texts
        neg = scored_[:, None] & W & ~Y
        self.thresholds_ = np.ones(len(self.classes), dtype=np.float32)
        chosen = {}
        for name, cols in (("technologies", ~self.field_mask), ("fields", self.field_mask)):
            base = _micro_f1(K[ev][:, cols], Y[ev][:, cols], W[ev][:, cols])
            best, best_q, best_th = base, None, np.ones(int(cols.sum()), dtype=np.float32)
            for q in FALSE_PASS_GRID:
                th = np.array([np.quantile(oof[neg[:, j], j], 1 - q) if neg[:, j].any() else 1.0
                               for j in np.flatnonzero(cols)], dtype=np.float32)
                th = np.maximum(th, MIN_THRESHOLD)
                f = _micro_f1(K[ev][:, cols] | ((oof[ev][:, cols] >= th) & A[ev][:, cols]), Y[ev][:, cols], W[ev][:, cols])
                if f > best + 1e-9:
                    best, best_q, best_th = f, q, th
            self.thresholds_[cols] = best_th
            chosen[name] = {"false_pass_share": best_q, "cv_micro_f1_keywords": round(base, 4),
                            "cv_micro_f1_with_ngrams": round(best, 4)}
        self.vocab, self.coef_, self.intercept_, self.trained_ = self._fit_once(texts, Y, W)
        self.oof_ = oof
        self.info = {"format": FORMAT, "texts": n, "scored_out_of_fold": int(scored_.sum()),
                     "thresholds_chosen_on": int(ev.sum()),
                     "positives": {c: int(Y[:, j].sum()) for j, c in enumerate(self.classes) if Y[:, j].any()},
                     "trained_classes": int(self.trained_.sum()), "cross_validation": chosen,
                     "C": self.C, "keep": self.keep, "ngrams": list(NGRAMS),
                     "gated": bool(GATED and keyword_evidence is not None)}
        return self

    # -- scoring --------------------------------------------------------------
    def scores(self, texts: list[str], chunk: int = 512, only_active: bool = False) -> np.ndarray:
        """texts × classes probabilities (0 for classes without a model; with `only_active`, also 0 for classes
        whose threshold cross-validation set out of reach)."""
        if self.coef_ is None or self.vocab is None:
            raise NgramModelError("Korean n-gram model is not trained")
        from models.classify.text_model import sparse_dot

        out = np.zeros((len(texts), len(self.classes)), dtype=np.float32)
        # only the classes that can tag (trained, threshold reachable) are scored: the product costs per class
        cols = np.flatnonzero(self.trained_ & (self.thresholds_ < 1.0)) if only_active else np.flatnonzero(self.trained_)
        if not len(cols):
            return out
        W = np.ascontiguousarray(self.coef_[:, cols])
        rows_active = np.any(W != 0, axis=1)
        for a in range(0, len(texts), chunk):
            rows = self.vocab.transform(texts[a:a + chunk])
            D = sparse_dot(*rows, W, rows_active) + self.intercept_[cols]
            out[a:a + chunk, cols] = 1 / (1 + np.exp(-D))
        return out

    def tags(self, texts: list[str]) -> np.ndarray:
        """texts × classes: True where the n-gram score reaches the class's threshold."""
        return self.scores(texts) >= self.thresholds_

    # -- persistence ----------------------------------------------------------
    def save(self, path: Path) -> None:
        path = Path(path)
        r, c = np.nonzero(self.coef_)
        np.savez_compressed(path, format=np.array(FORMAT), keys=self.vocab.keys, idf=self.vocab.idf.astype(np.float16),
                            rows=r.astype(np.int32), cols=c.astype(np.int16), vals=self.coef_[r, c].astype(np.float16),
                            intercept=self.intercept_, trained=self.trained_, thresholds=self.thresholds_,
                            classes=np.array(json.dumps(self.classes)), info=np.array(json.dumps(self.info)),
                            params=np.array([self.C, self.keep]))

    @classmethod
    def load(cls, path: Path) -> KoreanNgramModel:
        path = Path(path)
        try:
            z = np.load(path, allow_pickle=False)
            if int(z["format"]) != FORMAT:
                raise NgramModelError(f"{path}: Korean n-gram model format {int(z['format'])}, expected {FORMAT}")
            C_, keep = (float(x) for x in z["params"])
            self = cls(json.loads(str(z["classes"])), C=C_, keep=int(keep))
            self.vocab = NgramVocabulary(z["keys"], z["idf"].astype(np.float32))
            coef = np.zeros((len(self.vocab), len(self.classes)), dtype=np.float32)
            coef[z["rows"], z["cols"].astype(np.int64)] = z["vals"].astype(np.float32)
            self.coef_ = coef
            self.intercept_ = z["intercept"].astype(np.float32)
            self.trained_ = z["trained"].astype(bool)
            self.thresholds_ = z["thresholds"].astype(np.float32)
            self.info = json.loads(str(z["info"]))
        except NgramModelError:
            raise
        except Exception as e:  # truncated or foreign file
            raise NgramModelError(f"{path}: corrupt or unreadable Korean n-gram model ({type(e).__name__}: {e})") from None
        if self.coef_.shape[1] != len(self.thresholds_):
            raise NgramModelError(f"{path}: corrupt Korean n-gram model (weights do not fit the classes)")
        return self


# -- training material ----------------------------------------------------------
def classes_of(taxonomy) -> list[str]:
    return list(taxonomy.technology_ids) + [f"field:{f}" for f in taxonomy.field_ids]


def _mask_pattern(taxonomy) -> re.Pattern:
    """One regex for the taxonomy's Korean keywords, their derived variants and the field words (spaces allowed
    between syllables, as the keyword matcher compacts them), and the Latin keywords (whole words)."""
    from models.classify.terms import keyword_matcher

    matcher = keyword_matcher(taxonomy, extra=False)
    alts = set()
    for key, _term in matcher._korean:
        if len(key) >= 2:
            alts.add(r"\s*".join(re.escape(ch) for ch in key))
    for key in matcher._cased:
        alts.add(rf"(?<![A-Za-z0-9]){re.escape(key)}(?![A-Za-z0-9])")
    for toks in matcher._phrases:
        alts.add(r"(?<![A-Za-z])" + r"[\W_]*".join(re.escape(t) for t in toks) + r"[a-z]*")
    return re.compile("|".join(sorted(alts, key=len, reverse=True)), re.IGNORECASE)


def mask_keywords(texts: list[str], taxonomy) -> list[str]:
    """`texts` with the taxonomy's keywords and field words replaced by a space (what a paraphrase lacks)."""
    pat = _mask_pattern(taxonomy)
    return [" ".join(pat.sub(" ", t).split()) for t in texts]


def definitions(taxonomy) -> list[tuple[str, list[str]]]:
    """(text, classes) per technology and per field from the taxonomy's own Korean wording."""
    from models.classify.vocabulary import FIELD_TERMS

    out = []
    by_field: dict[str, list] = {}
    for t in taxonomy.technologies:
        by_field.setdefault(t.field_id, []).append(t)
        out.append((" ".join([t.name_ko, *t.keywords_ko]), [t.id, f"field:{t.field_id}"]))
    for f in taxonomy.fields:
        words = [f.name_ko, *FIELD_TERMS.get(f.id, {}).get("ko", []), *(t.name_ko for t in by_field.get(f.id, []))]
        out.append((" ".join(words), [f"field:{f.id}"]))
    return out


def read_plan_material(path: Path = PLAN_MATERIAL) -> list[dict]:
    """The plan-derived lines (see tools/korean_plan_material.py); a bad line is an error naming the line."""
    out = []
    if not path.exists():
        raise NgramModelError(f"{path}: the plan-derived Korean training material is missing")
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            if not isinstance(r.get("text"), str) or not isinstance(r.get("technologies"), list):
                raise ValueError("needs text and technologies")
        except ValueError as e:
            raise NgramModelError(f"{path}:{n}: bad training line ({e})") from None
        out.append(r)
    return out


def _line_number(r: dict) -> int:
    try:
        return int(str(r.get("src", "")).rsplit(".", 1)[-1])
    except ValueError:
        return 0


def plan_chunks(lines: list[dict], masked: list[str], size: int | None = None) -> list[dict]:
    """Consecutive plan lines (no gap of more than 3 seed lines) packed into passages of about `size` characters,
    as long as the passages the classifier reads; labels are the union of the lines'. `masked`: the lines'
    training text (keywords masked)."""
    size = PLAN_CHUNK_CHARS if size is None else size
    out: list[dict] = []
    cur: dict | None = None
    last = -10
    for r, m in zip(lines, masked):
        n = _line_number(r)
        if len(m) < 8:
            last = n
            continue
        labs = list(r["technologies"]) + [f"field:{f}" for f in r.get("fields", [])]
        if cur is None or n - last > 3 or len(cur["text"]) + len(m) > size:
            cur = {"text": m, "labels": labs, "group": f"plan:{n // 40}"}
            out.append(cur)
        else:
            cur["text"] += "\n" + m
            cur["labels"] = list(dict.fromkeys(cur["labels"] + labs))
        last = n
    return out


def training_material(taxonomy, records: Iterable[dict] = (), plan: bool = True) -> dict:
    """Texts, labels and cross-validation groups for `KoreanNgramModel.fit`.

    `records`: labelled Korean texts, dicts with `text`, `technologies`, optional `fields`, `weak` (technologies
    neither required nor wrong), `weak_fields`, `group`. `plan`: include the plan-derived lines and the
    taxonomy's definitions."""
    from models.classify.terms import keyword_matcher, strength

    field_of = {t.id: t.field_id for t in taxonomy.technologies}
    records = list(records)
    texts, labels, ignore, groups, scored = [], [], [], [], []
    if plan:
        for text, labs in definitions(taxonomy):
            texts.append(text)
            labels.append(labs)
            ignore.append([])
            groups.append("definitions")
            scored.append(False)
        lines = read_plan_material()
        masked = mask_keywords([r["text"] for r in lines], taxonomy)
        for chunk in plan_chunks(lines, masked):
            texts.append(chunk["text"])
            labels.append(chunk["labels"])
            ignore.append([])
            groups.append(chunk["group"])
            scored.append(True)
    for i, r in enumerate(records):
        techs = list(r.get("technologies", []))
        fields = set(r.get("fields", [])) | {field_of[t] for t in techs if t in field_of}
        texts.append(r["text"])
        labels.append(techs + [f"field:{f}" for f in sorted(fields)])
        ignore.append(list(r.get("weak", [])) + [f"field:{f}" for f in r.get("weak_fields", [])])
        groups.append(str(r.get("group", f"record:{i}")))
        scored.append(True)
    # what the keywords find, without the EXTRA_TERMS: those were read from seed 000's passages, so with them the
    # keywords would look better on such training passages than they are on text nobody read
    matcher = keyword_matcher(taxonomy, extra=False)
    kw, kw_any = [], []
    for t in texts:
        hits = matcher.find(t)
        kw.append([k for k, hs in hits.items() if strength(hs) >= np.log(2)])
        kw_any.append(sorted({k for k in hits} | {f"field:{field_of[k]}" for k in hits if k in field_of}))
    # thresholds: chosen on the labelled passages (the texts the classifier will read) when there are enough of
    # them, else on the plan lines
    n_rec = len(records)
    in_domain = n_rec >= MIN_SELECT_RECORDS
    select = [not in_domain and s for s in scored[:len(texts) - n_rec]] + [True] * n_rec
    return {"texts": texts, "labels": labels, "ignore": ignore, "groups": groups, "scored": scored,
            "keyword_tags": kw, "select": select, "keyword_evidence": kw_any}


def train(taxonomy, records: Iterable[dict] = (), plan: bool = True) -> KoreanNgramModel:
    material = training_material(taxonomy, records, plan=plan)
    return KoreanNgramModel(classes_of(taxonomy)).fit(**material)


def train_for_classifier(taxonomy, records, labels, extra: Iterable[dict] = ()) -> tuple[KoreanNgramModel | None, dict]:
    """The Korean n-gram model for a classifier trained on `records` (labelled `ClassifyInput`s): trained on the
    plan material, the definitions and the Korean records, when there are at least MIN_SELECT_RECORDS Korean
    records to choose its thresholds on (the plan lines alone are not the passages the classifier reads: chosen
    on them, the thresholds let through many false fields). Returns the model (None when not trained or when
    cross-validation switched it off everywhere) and a description for model.json. `extra`: more labelled Korean
    passages for this model only (dicts as `training_material` takes them), e.g. with field labels."""
    recs = korean_records(records, labels) + list(extra)
    if len(recs) < MIN_SELECT_RECORDS:
        return None, {"trained": False, "reason": f"{len(recs)} labelled Korean records (needs {MIN_SELECT_RECORDS})"}
    model = train(taxonomy, recs)
    info = {"trained": True, "kept": model.active, "korean_records": len(recs), **model.info}
    return (model if model.active else None), info


def korean_records(records, labels) -> list[dict]:
    """The Korean ones among labelled `ClassifyInput` records, as training records of this model."""
    out = []
    for r, labs in zip(records, labels):
        text = (r.title + "\n" + r.text).strip()
        if has_hangul(text):
            out.append({"text": text, "technologies": list(labs), "group": r.id})
    return out


# -- in the classifier -----------------------------------------------------------
MODEL_FILE = "korean_ngrams.npz"


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def combine(model: KoreanNgramModel, passages: list[str], P: np.ndarray, thresholds: np.ndarray,
            n_fields: int, evidence: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Korean passages: a technology whose n-gram score reaches the model's threshold is raised to (at least)
    the classifier's own threshold for it, in proportion (the n-gram threshold lands on the classifier's);
    returns the scores, the passages × fields where the n-grams say the field, and the n-gram scores
    (None when no passage is Korean). Keyword and model evidence are never lowered. `evidence` (passages ×
    classes, True where the keywords saw anything of the class, weak terms included): for a model trained GATED,
    the n-grams only confirm such classes."""
    korean = np.array([has_hangul(p) for p in passages], dtype=bool)
    field_tags = np.zeros((len(passages), n_fields), dtype=bool)
    if not korean.any() or not model.active:
        return P, field_tags, None
    n_tech = P.shape[1]
    G = np.zeros((len(passages), len(model.classes)), dtype=np.float32)
    G[korean] = model.scores([p for p, k in zip(passages, korean) if k], only_active=True)
    th_ng = np.clip(model.thresholds_, 1e-6, 1 - 1e-6)
    th = np.clip(np.asarray(thresholds, dtype=np.float64), 1e-6, 1 - 1e-6)
    tech = G[:, :n_tech].astype(np.float64)
    lifted = 1 / (1 + np.exp(-(_logit(tech) - _logit(th_ng[:n_tech]) + _logit(th))))
    lifted[tech <= 0] = 0.0
    field_tags = G[:, n_tech:] >= th_ng[n_tech:]
    if model.info.get("gated") and evidence is not None:
        lifted[~evidence[:, :n_tech]] = 0.0
        field_tags &= evidence[:, n_tech:]
    P = np.where(korean[:, None], np.maximum(P, lifted), P)
    return P, field_tags, G


def check_classes(model: KoreanNgramModel, taxonomy, where: Path) -> None:
    if model.classes != classes_of(taxonomy):
        raise NgramModelError(f"{where}: Korean n-gram model classes differ from taxonomy {taxonomy.version}")
