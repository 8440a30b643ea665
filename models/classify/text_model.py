"""The trained text model: TF-IDF words and word pairs plus keyword evidence, one linear model per technology.

- Words: Latin words normalised as the keyword matcher does (the same tokens, computed
  once per passage); Korean text is cut into Kiwi morphemes (nouns, roots, foreign
  words) so particles do not split a term's counts — but only when the model was
  trained on enough Korean text to have learnt Korean words. Kiwi tokenises about
  12 documents of 1,500 characters per second here; a model trained on English
  patents learns nothing from Korean morphemes, so it does not pay that price.
- Keyword strengths of the 50 technologies (the taxonomy's terms, both languages)
  are 50 more features, so what the taxonomy says and what the data shows are
  weighed together.
- Character 4- and 5-grams of the words (`chargrams.py`) as a third block, so
  spellings the training patents did not use share evidence with those they did.
- One linear SVM per technology (class weights balanced); its decision values are calibrated on
  out-of-fold predictions (Platt scaling) so a score of 0.8 means about 8 in 10.
- Decision thresholds are chosen out of fold on the training data: a common
  threshold that maximises micro-F1 (with calibrated scores the F1-optimal cut is
  low, about half the reachable F1), and per technology the F1-optimal cut shrunk
  towards the common one in proportion to how few examples the technology had.
- A language the model saw too little of in training (Korean, when trained on
  English patents) is scored by the keywords instead: a text model knows nothing
  of words it never saw, and pretending otherwise would score every Korean
  passage "none".

Inference needs numpy only (no scikit-learn, no scipy, no unpickling): the model
directory holds the vocabulary (`vocabulary.json`), and the weights, IDF,
calibration and thresholds in `text_model.npz`. Importing scikit-learn alone takes
longer than classifying a thousand documents. The weights are pruned to the
largest per technology (`keep`), which keeps a model a few MB without measurable loss.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ews.kernel.scores import f1_from_counts
from ews.kernel.text import has_hangul, kiwi
from models.classify.base import ModelError, TechnologyClassifier
from models.classify.chargrams import CharGrams, weigh_counts
from models.classify.terms import latin_tokens

FORMAT = 2
MIN_POSITIVES = 3  # fewer training examples than this: keep the keyword score, no model for the technology
# Fewer than this: the model has seen too few examples to overrule the taxonomy's own keywords, so a
# technology's score is the larger of the two (a clear 'quantum computer' abstract is not missed because
# six training patents taught the model little).
MIN_RELIABLE_POSITIVES = 30
MIN_LANGUAGE_SHARE = 0.02  # below this share of training passages a script counts as unseen
THRESHOLD_SHRINK = 10  # per-technology thresholds shrunk towards the common one with the weight of this many positives
THRESHOLD_RANGE = (0.1, 0.9)
# A product generation of the technology's family (see `Matches.named`) floors its score at the keyword decision.
NAMED_FLOOR = True
# Character n-grams of the words as features (models/classify/chargrams.py), and class weights balanced per
# technology (a technology with 20 positives among 8,000 patents is not learnt as "never"). Cross-validated inside
# the training part of the patents (3 folds, USPTO random / NVIDIA micro-F1): plain 0.193 / 0.652, balanced
# 0.223 / 0.648, balanced + n-grams 0.256 / 0.651.
CHAR_GRAMS = True
BALANCED = True
HALF = np.float32(1 / np.sqrt(2))
CHUNK = 2048  # passages scored per block (bounds the memory of the gathered weights)

_KEEP_TAGS = ("NNG", "NNP", "SL", "SH", "XR", "VV", "VA", "SN")


def korean_tokens(texts: list[str]) -> list[list[str]]:
    out = []
    for toks in kiwi().tokenize(texts):
        words = []
        for tok in toks:
            if tok.tag.startswith(_KEEP_TAGS):
                if tok.tag in ("SL", "SH"):
                    words.extend(latin_tokens(tok.form))
                else:
                    words.append(tok.form)
        out.append(words)
    return out


def analyse(texts: list[str], latin: list[list[str]] | None = None, korean: bool = True) -> list[list[str]]:
    """Tokens of each text: Kiwi morphemes for Korean (if `korean`), folded words otherwise."""
    out = list(latin) if latin is not None else [latin_tokens(t) for t in texts]
    if korean:
        idx = [i for i, t in enumerate(texts) if has_hangul(t)]
        if idx:
            for i, toks in zip(idx, korean_tokens([texts[i] for i in idx])):
                out[i] = toks
    return out


def term_list(toks: list[str]) -> list[str]:
    """Words and adjacent word pairs of an analysed document, one entry per occurrence."""
    return list(toks) + [a + " " + b for a, b in zip(toks, toks[1:])]


def tfidf_vectorizer(min_df: int = 2, max_df: float = 0.5, max_features: int | None = 100_000):
    """scikit-learn's TfidfVectorizer configured as `Vocabulary` weights: documents are token lists
    (already analysed), terms are words and word pairs."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=term_list, lowercase=False, min_df=min_df, max_df=max_df,
                           max_features=max_features, sublinear_tf=True, smooth_idf=True, norm="l2",
                           dtype=np.float64)


class Vocabulary:
    """TF-IDF of words and word pairs (sublinear tf, smooth idf, l2 norm), in plain numpy.

    Transforming maps each token to an integer once (a dict look-up per token); words and
    word pairs then become columns by array look-ups (pairs as sorted integer keys), and
    counting, weighting and normalising are array operations over the whole batch.
    """

    def __init__(self, terms: list[str], idf: np.ndarray):
        self.terms = terms
        self.idf = idf.astype(np.float32)
        tok_ids: dict[str, int] = {}
        uni: list[tuple[int, int]] = []
        pairs: list[tuple[int, int, int]] = []
        for col, t in enumerate(terms):
            parts = t.split(" ")
            ids = [tok_ids.setdefault(p, len(tok_ids)) for p in parts]
            if len(ids) == 1:
                uni.append((ids[0], col))
            else:
                pairs.append((ids[0], ids[1], col))
        self.tok_ids = tok_ids
        n = len(tok_ids)
        self._uni_col = np.full(n + 1, -1, dtype=np.int64)  # index n: unknown token
        for i, col in uni:
            self._uni_col[i] = col
        keys = np.array([a * (n + 1) + b for a, b, _ in pairs], dtype=np.int64)
        cols = np.array([c for _, _, c in pairs], dtype=np.int64)
        order = np.argsort(keys)
        self._pair_keys, self._pair_cols = keys[order], cols[order]

    @classmethod
    def fit(cls, docs: list[list[str]], min_df: int = 2, max_df: float = 0.5, max_features: int = 100_000):
        """The vocabulary and idf as scikit-learn's TfidfVectorizer fits them (the same weighting as
        `transform`: sublinear tf, smooth idf, l2 norm; beyond `max_features`, the most frequent terms).
        Only the fitted terms and idf are kept: inference stays numpy, the model files plain data."""

        vec = tfidf_vectorizer(min_df=min_df, max_df=max_df, max_features=max_features)
        try:
            vec.fit(docs)
        except ValueError:  # no term passes min_df/max_df (a tiny or uniform training set)
            return cls([], np.zeros(0))
        return cls(list(vec.get_feature_names_out()), vec.idf_)

    def transform(self, docs: list[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays (indptr, indices, data) of the documents' l2-normalised TF-IDF rows."""
        n_docs = len(docs)
        lens = np.fromiter((len(d) for d in docs), dtype=np.int64, count=n_docs)
        unknown = len(self.tok_ids)
        get = self.tok_ids.get
        ids = np.fromiter((get(t, unknown) for d in docs for t in d), dtype=np.int64, count=int(lens.sum()))
        doc = np.repeat(np.arange(n_docs, dtype=np.int64), lens)
        # words
        ucol = self._uni_col[ids]
        keep = ucol >= 0
        cols = [ucol[keep]]
        rows = [doc[keep]]
        # adjacent pairs within a document
        if len(ids) > 1:
            same = doc[1:] == doc[:-1]
            a, b = ids[:-1][same], ids[1:][same]
            ok = (a != unknown) & (b != unknown)
            key = a[ok] * (unknown + 1) + b[ok]
            pdoc = doc[:-1][same][ok]
            if len(self._pair_keys) and len(key):
                pos = np.searchsorted(self._pair_keys, key)
                pos[pos >= len(self._pair_keys)] = 0
                hit = self._pair_keys[pos] == key
                cols.append(self._pair_cols[pos[hit]])
                rows.append(pdoc[hit])
        return weigh_counts(np.concatenate(rows), np.concatenate(cols), n_docs, len(self.terms), self.idf)


def sparse_dot(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, W: np.ndarray,
               active: np.ndarray | None = None) -> np.ndarray:
    """(CSR rows) @ W for a dense W, numpy only: gather the rows of W, weight, sum per row."""
    n = len(indptr) - 1
    out = np.zeros((n, W.shape[1]), dtype=np.float32)
    if active is not None:  # leave out features without any weight (most, once the weights are pruned)
        keep = active[indices]
        rows = np.repeat(np.arange(n), np.diff(indptr))
        counts = np.bincount(rows[keep], minlength=n)
        indptr = np.concatenate([[0], np.cumsum(counts)])
        indices, data = indices[keep], data[keep]
    for a in range(0, n, CHUNK):
        b = min(n, a + CHUNK)
        lo, hi = indptr[a], indptr[b]
        if hi == lo:
            continue
        G = W[indices[lo:hi]] * data[lo:hi, None]
        starts = indptr[a:b] - lo
        nonempty = indptr[a + 1:b + 1] > indptr[a:b]
        sums = np.add.reduceat(G, starts[nonempty], axis=0)
        out[a:b][nonempty] = sums
    return out


class SparseWeights:
    """A pruned weight matrix (features × technologies) stored by feature row: a document's score gathers only
    the weights that are not zero (about 3 of 50 per active feature once pruned; the dense gather of
    `sparse_dot` reads all 50 and was most of the inference time with the character n-grams)."""

    def __init__(self, W: np.ndarray):
        r, c = np.nonzero(W)
        self.n_rows, self.n_out = W.shape
        self.ptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=W.shape[0]))]).astype(np.int64)
        self.cols = c.astype(np.int64)
        self.vals = W[r, c].astype(np.float32)
        self.lens = np.diff(self.ptr)

    def dot(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> np.ndarray:
        """(CSR rows) @ W, numpy only."""
        n = len(indptr) - 1
        out = np.zeros((n, self.n_out), dtype=np.float32)
        for a in range(0, n, CHUNK):
            b = min(n, a + CHUNK)
            lo, hi = indptr[a], indptr[b]
            ind, dat = indices[lo:hi], data[lo:hi]
            rows = np.repeat(np.arange(b - a, dtype=np.int64), np.diff(indptr[a:b + 1]))
            cnt = self.lens[ind]
            first = np.cumsum(cnt) - cnt
            pos = np.arange(int(cnt.sum()), dtype=np.int64) + np.repeat(self.ptr[ind] - first, cnt)
            key = np.repeat(rows, cnt) * self.n_out + self.cols[pos]
            vals = np.repeat(dat, cnt) * self.vals[pos]
            out[a:b] = np.bincount(key, weights=vals, minlength=(b - a) * self.n_out).reshape(b - a, self.n_out)
        return out


def _hstack_csr(*blocks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise concatenation of CSR arrays (indptr, indices, data) with the same number of rows (column
    indices already offset): each row holds the first block's entries, then the second's. No sort: every
    entry's place is computed."""
    counts = [np.diff(b[0]) for b in blocks]
    indptr = np.concatenate([[0], np.cumsum(sum(counts))]).astype(np.int64)
    indices = np.empty(indptr[-1], dtype=np.int32)
    data = np.empty(indptr[-1], dtype=np.float32)
    before = indptr[:-1].copy()  # where a row's entries of the current block begin
    for (ptr, ind, dat), cnt in zip(blocks, counts):
        within = np.arange(len(ind), dtype=np.int64) - np.repeat(ptr[:-1], cnt)
        dest = np.repeat(before, cnt) + within
        indices[dest] = ind
        data[dest] = dat
        before += cnt
    return indptr, indices, data


def _csr(indptr, indices, data, n_cols):
    import scipy.sparse as sp

    return sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, n_cols))


class TextModelClassifier(TechnologyClassifier):
    kind = "text"

    def __init__(self, taxonomy=None, C: float = 1.0, max_features: int = 100_000, keep: int = 4000,
                 chars: bool = CHAR_GRAMS, balanced: bool = BALANCED):
        super().__init__(taxonomy)
        self.C = C
        self.max_features = max_features
        self.keep = keep
        self.chars = chars
        self.balanced = balanced
        self.vocab: Vocabulary | None = None
        self.grams: CharGrams | None = None  # character n-grams of the words (None: a model without them)
        self.coef_ = None  # (vocabulary + technologies) × technologies, float32
        self.intercept_ = None
        self.platt_ = None  # (technologies × 2): a, b of sigmoid(a·decision + b)
        self.trained_ = None  # technologies with a model (enough positives)
        self.thin_ = None  # technologies whose model saw too few examples to overrule the keywords
        self.common_threshold_ = 0.5
        self.languages_: dict[str, float] = {}

    @property
    def korean_(self) -> bool:
        return self.languages_.get("ko", 0) >= MIN_LANGUAGE_SHARE

    # -- features -------------------------------------------------------------
    @property
    def n_features(self) -> int:
        return len(self.vocab.terms) + len(self.tech_ids) + (len(self.grams.terms) if self.grams else 0)

    def _rows(self, texts, latin, S):
        """CSR arrays of [TF-IDF of words and pairs | log1p(keyword strengths) | TF-IDF of character n-grams];
        with the n-grams, both blocks are scaled by 1/sqrt(2) so a row keeps about unit norm."""
        toks = analyse(texts, latin, korean=self.korean_)
        ptr, ind, dat = self._word_rows(toks, S)
        if not self.grams:
            return ptr, ind, dat
        gptr, gind, gdat = self.grams.transform(toks)
        return _hstack_csr((ptr, ind, dat * HALF), (gptr, gind + len(self.vocab.terms) + len(self.tech_ids), gdat * HALF))

    def _word_rows(self, toks, S):
        indptr, indices, data = self.vocab.transform(toks)
        V = len(self.vocab.terms)
        # the keyword strengths as extra columns
        kw = np.log1p(S).astype(np.float32)
        r, c = np.nonzero(kw > 0)
        kptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=len(toks)))])
        return _hstack_csr((indptr, indices, data), (kptr, V + c, kw[r, c]))

    # -- training -------------------------------------------------------------
    def _fit_linear(self, X, Y):
        from sklearn.svm import LinearSVC

        coef = np.zeros((X.shape[1], Y.shape[1]), dtype=np.float32)
        intercept = np.full(Y.shape[1], -10.0, dtype=np.float32)
        for j in np.flatnonzero(self.trained_):
            y = Y[:, j]
            if y.sum() == 0 or y.sum() == len(y):
                continue
            m = LinearSVC(C=self.C, max_iter=3000, class_weight="balanced" if self.balanced else None)
            m.fit(X, y)
            w = m.coef_[0].astype(np.float32)
            if self.keep and len(w) > self.keep:  # prune: the largest weights carry the decision
                cut = np.partition(np.abs(w), -self.keep)[-self.keep]
                w[np.abs(w) < cut] = 0.0
            coef[:, j] = w
            intercept[j] = m.intercept_[0]
        return coef, intercept

    def fit(self, records, labels, folds: int = 3, seed: int = 0):
        """Fit on `records` with `labels` (technology ids per record); thresholds and calibration out of fold."""
        from sklearn.linear_model import LogisticRegression

        texts = [(r.title + "\n" + r.text).strip() for r in records]
        Y = np.zeros((len(records), len(self.tech_ids)), dtype=np.int8)
        for i, labs in enumerate(labels):
            for t in labs:
                Y[i, self._tech_index[t]] = 1
        hangul = sum(has_hangul(t) for t in texts) / max(1, len(texts))
        self.languages_ = {"ko": hangul, "latin": 1.0 - hangul}
        self._base_rates = np.clip(Y.mean(axis=0), 1e-4, 0.5)
        self.trained_ = Y.sum(axis=0) >= MIN_POSITIVES
        self.thin_ = Y.sum(axis=0) < MIN_RELIABLE_POSITIVES
        m = self.match(texts)
        toks = analyse(texts, m.toks, korean=self.korean_)

        def design(vocabs, idx):
            self.vocab, self.grams = vocabs
            ptr, ind, dat = self._rows([texts[i] for i in idx], [toks[i] for i in idx], m.S[idx])
            return _csr(ptr, ind, dat, self.n_features)

        def fit_vocabs(docs):
            return (Vocabulary.fit(docs, max_features=self.max_features),
                    CharGrams.fit(docs) if self.chars else None)

        # out-of-fold decision values: for calibration and thresholds on data the model did not see
        rng = np.random.default_rng(seed)
        fold = rng.integers(0, folds, size=len(records))
        oof = np.full(Y.shape, -5.0, dtype=np.float32)
        for k in range(folds):
            tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
            vocabs = fit_vocabs([toks[i] for i in tr])
            coef, icpt = self._fit_linear(design(vocabs, tr), Y[tr])
            oof[te] = design(vocabs, te) @ coef + icpt
        self.platt_ = np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(self.tech_ids), 1))
        P = np.zeros(Y.shape, dtype=np.float64)
        for j in np.flatnonzero(self.trained_):
            lr = LogisticRegression(C=1.0)
            lr.fit(oof[:, [j]], Y[:, j])
            self.platt_[j] = [lr.coef_[0, 0], lr.intercept_[0]]
            P[:, j] = 1 / (1 + np.exp(-(self.platt_[j, 0] * oof[:, j] + self.platt_[j, 1])))
        self.common_threshold_, self.thresholds = choose_thresholds(P, Y, self.trained_)
        self.oof_ = P
        everything = np.arange(len(records))
        self.coef_, self.intercept_ = self._fit_linear(design(fit_vocabs(toks), everything), Y)
        return self

    # -- scoring --------------------------------------------------------------
    def passage_scores(self, passages, langs, match):
        if self.coef_ is None:
            raise ModelError("text model is not trained")
        ptr, ind, dat = self._rows(passages, match.toks, match.S)
        if getattr(self, "_sparse", None) is None or self._sparse.n_rows != self.coef_.shape[0]:
            self._sparse = SparseWeights(self.coef_)
        D = self._sparse.dot(ptr, ind, dat) + self.intercept_
        P = 1 / (1 + np.exp(-(self.platt_[:, 0] * D + self.platt_[:, 1])))
        match.model_rows = (ptr, ind, dat)
        # untrained technologies and unseen scripts: the keywords speak
        # Keyword scores stand in where the model knows nothing. They are put on the
        # model's threshold scale (keyword 0.5 lands on the technology's threshold) so
        # a keyword decides exactly as in the built-in classifier.
        kwP = 1.0 - np.exp(-match.S.astype(np.float64))
        th = np.clip(self.thresholds, 1e-6, 1 - 1e-6)
        kw = 1 / (1 + np.exp(-(np.log(np.clip(kwP, 1e-6, 1 - 1e-6) / np.clip(1 - kwP, 1e-6, 1))
                                + np.log(th / (1 - th)))))
        kw[kwP == 0] = 0.0
        P[:, ~self.trained_] = kw[:, ~self.trained_]
        thin = self.trained_ & self.thin_
        P[:, thin] = np.maximum(P[:, thin], kw[:, thin])
        if NAMED_FLOOR and match.named is not None:
            # a passage naming a product generation of the technology (HBM3E) is about it even where the training
            # patents' classes put such passages elsewhere (stacked HBM is classed as packaging). Only generations:
            # the same floor for every acronym (DRAM, GPU memory in NVIDIA abstracts) cost 0.025 micro-F1 on the
            # frozen patents (NVIDIA precision 0.740 -> 0.660)
            P = np.where(match.named, np.maximum(P, kw), P)
        match.unseen = np.zeros(len(passages), dtype=bool)
        if not self.korean_:
            match.unseen = np.array([has_hangul(p) for p in passages], dtype=bool)
            P[match.unseen] = kw[match.unseen]
        return P

    def passage_evidence(self, i, j, match):
        """Keywords found, and the features that pushed the technology up most: terms the analyst can check."""
        ev = super().passage_evidence(i, j, match)
        if not self.trained_[j] or match.unseen[i]:
            return ev
        ptr, ind, dat = match.model_rows
        cols, vals = ind[ptr[i]:ptr[i + 1]], dat[ptr[i]:ptr[i + 1]]
        contrib = vals * self.coef_[cols, j]
        top = np.argsort(-contrib)[:5]
        V, T = len(self.vocab.terms), len(self.tech_ids)

        def name(col):
            if col < V:
                return f"'{self.vocab.terms[col]}'"
            if col < V + T:
                return f"keywords:{self.tech_ids[col - V]}"
            return f"letters '{self.grams.terms[col - V - T].strip()}'"

        words = [name(cols[k]) for k in top if contrib[k] > 0]
        if words:
            ev.append("model terms " + ", ".join(words))
        return ev

    # -- persistence ----------------------------------------------------------
    def save(self, model_dir: Path) -> None:
        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        # weights stored sparse (pruned), float16 values: a model of a few MB
        r, c = np.nonzero(self.coef_)
        np.savez_compressed(
            model_dir / "text_model.npz", format=np.array(FORMAT), rows=r.astype(np.int32), cols=c.astype(np.int16),
            vals=self.coef_[r, c].astype(np.float16), shape=np.array(self.coef_.shape), idf=self.vocab.idf.astype(np.float16),
            intercept=self.intercept_, platt=self.platt_, trained=self.trained_, thresholds=self.thresholds,
            common_threshold=np.array(self.common_threshold_), base_rates=self._base_rates,
            languages=np.array([self.languages_.get("ko", 0.0), self.languages_.get("latin", 1.0)]),
            params=np.array([self.C, self.max_features, self.keep, float(self.grams is not None), float(self.balanced)]),
            char_idf=(self.grams.idf if self.grams else np.zeros(0)).astype(np.float16))
        voc = {"tech_ids": self.tech_ids, "terms": self.vocab.terms}
        if self.grams:
            voc["char_terms"] = self.grams.terms
        (model_dir / "vocabulary.json").write_text(json.dumps(voc, ensure_ascii=False, separators=(",", ":")),
                                                   encoding="utf-8")
        (model_dir / "model.json").write_text(json.dumps(self.info, ensure_ascii=False, indent=1), encoding="utf-8")
        if self.korean_ngrams is not None:
            from models.classify.korean_ngrams import MODEL_FILE

            self.korean_ngrams.save(model_dir / MODEL_FILE)

    @classmethod
    def load(cls, model_dir: Path, info: dict, taxonomy) -> TextModelClassifier:
        model_dir = Path(model_dir)
        path, vpath = model_dir / "text_model.npz", model_dir / "vocabulary.json"
        if info.get("format", 1) < FORMAT:
            raise ModelError(f"{model_dir}: model format {info.get('format', 1)} is older than {FORMAT}; retrain it (ews train)")
        for p in (path, vpath):
            if not p.exists():
                raise ModelError(f"{model_dir}: model.json says kind 'text' but {p.name} is missing")
        try:
            z = np.load(path, allow_pickle=False)
            voc = json.loads(vpath.read_text(encoding="utf-8"))
            params = [float(x) for x in z["params"]]
            C, max_features, keep = params[:3]
            # models written before the character n-grams have three parameters and no n-grams
            chars, balanced = (bool(x) for x in params[3:5]) if len(params) >= 5 else (False, False)
            self = cls(taxonomy, C=C, max_features=int(max_features), keep=int(keep), chars=chars, balanced=balanced)
            shape = tuple(int(x) for x in z["shape"])
            coef = np.zeros(shape, dtype=np.float32)
            coef[z["rows"], z["cols"].astype(np.int64)] = z["vals"].astype(np.float32)
            self.vocab = Vocabulary(voc["terms"], z["idf"].astype(np.float32))
            if chars:
                if "char_terms" not in voc or "char_idf" not in z.files:
                    raise ModelError(f"{model_dir}: the model uses character n-grams but their vocabulary is missing")
                self.grams = CharGrams(voc["char_terms"], z["char_idf"].astype(np.float32))
            self.coef_ = coef
            self.intercept_, self.platt_ = z["intercept"], z["platt"]
            self.trained_, self.thresholds = z["trained"].astype(bool), z["thresholds"]
            self.common_threshold_ = float(z["common_threshold"])
            self._base_rates = z["base_rates"]
            ko, latin = (float(x) for x in z["languages"])
            self.languages_ = {"ko": ko, "latin": latin}
            tech_ids = voc["tech_ids"]
        except ModelError:
            raise
        except Exception as e:  # a truncated or foreign file: say so, whatever the reader raised
            raise ModelError(f"{model_dir}: corrupt or unreadable model file ({type(e).__name__}: {e})") from None
        if tech_ids != self.tech_ids:
            raise ModelError(f"{model_dir}: model technologies differ from taxonomy {self.taxonomy_version}")
        if shape != (self.n_features, len(self.tech_ids)):
            raise ModelError(f"{model_dir}: corrupt model file (weights do not fit the vocabulary)")
        positives = info.get("training", {}).get("positives", {})
        self.thin_ = np.array([positives.get(t, 0) < MIN_RELIABLE_POSITIVES for t in self.tech_ids])
        self.info = info
        self.version = info["version"]
        from models.classify.korean_ngrams import MODEL_FILE, KoreanNgramModel, NgramModelError, check_classes

        if (model_dir / MODEL_FILE).exists():
            try:
                self.korean_ngrams = KoreanNgramModel.load(model_dir / MODEL_FILE)
                check_classes(self.korean_ngrams, taxonomy, model_dir / MODEL_FILE)
            except NgramModelError as e:
                raise ModelError(str(e)) from None
        return self


def best_threshold(p: np.ndarray, y: np.ndarray, floor: float = 0.2, ceiling: float = 0.9) -> float:
    """The probability cut that maximises F1 on (out-of-fold) scores; bounded so a fluke cannot set 0.01."""
    if y.sum() == 0:
        return 0.5
    order = np.argsort(-p)
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(1 - ys)
    f1 = f1_from_counts(tp, fp, ys.sum() - tp)
    k = int(np.argmax(f1))
    t = float(ps[k]) if k + 1 >= len(ps) else float((ps[k] + ps[k + 1]) / 2)
    return float(min(ceiling, max(floor, t)))


def choose_thresholds(P: np.ndarray, Y: np.ndarray, trained: np.ndarray) -> tuple[float, np.ndarray]:
    """A common threshold maximising micro-F1 over all technologies, and per technology its own
    F1-optimal cut shrunk towards the common one (weight: number of positives vs THRESHOLD_SHRINK)."""
    lo, hi = THRESHOLD_RANGE
    cols = np.flatnonzero(trained)
    best, common = -1.0, 0.5
    Pt, Yt = P[:, cols], Y[:, cols].astype(bool)
    for t in np.arange(lo, 0.7, 0.025):
        pred = Pt >= t
        tp = (pred & Yt).sum()
        f1 = f1_from_counts(tp, pred.sum() - tp, Yt.sum() - tp)
        if f1 > best + 1e-9:
            best, common = f1, float(t)
    th = np.full(Y.shape[1], common)
    for j in cols:
        n = int(Y[:, j].sum())
        own = best_threshold(P[:, j], Y[:, j], floor=lo, ceiling=hi)
        th[j] = (n * own + THRESHOLD_SHRINK * common) / (n + THRESHOLD_SHRINK)
    return common, th
