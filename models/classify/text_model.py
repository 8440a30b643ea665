"""The trained text model: TF-IDF words and character n-grams plus keyword evidence, one-vs-rest linear.

- Words: Latin words normalised as the keyword matcher does; Korean text is cut
  into Kiwi morphemes (nouns, roots, foreign words) so particles do not split a
  term's counts. Kiwi is loaded only when a passage contains Hangul.
- Character n-grams (within word boundaries, optional: `char_ngrams=True`) catch
  spelling variants and compounds the word tokens miss, but cost about 2 ms per
  1,500-character document in scikit-learn's pure-Python analyser, which alone
  breaks the 1,000 documents/s budget; measured on the patents they did not pay
  for themselves, so they are off by default.
- Keyword strengths of the 50 technologies (the taxonomy's terms, both languages)
  are 50 more features, so what the taxonomy says and what the data shows are
  weighed together.
- One linear SVM per technology (as accurate as logistic regression here and
  7x faster to train); its decision values are calibrated on out-of-fold
  predictions (Platt scaling) so a score of 0.8 means about 8 in 10.
- Each technology gets its own decision threshold: the one that maximised F1 out
  of fold, shrunk towards a common 0.4 in proportion to how few examples it had
  (a threshold picked on 5 positives is mostly noise; unshrunk per-technology
  thresholds gave micro-F1 0.46 on held-out patents, shrunk 0.58).
- A language the model saw too little of in training (Korean, when trained on
  English patents) is scored by the keywords instead: a text model knows nothing
  of words it never saw, and pretending otherwise would score every Korean
  passage "none".
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from models.classify.base import ModelError, TechnologyClassifier
from models.classify.rules import keyword_scores
from models.classify.terms import has_hangul, latin_tokens

FORMAT = 1
MIN_POSITIVES = 3  # fewer training examples than this: keep the keyword score, no model for the technology
MIN_LANGUAGE_SHARE = 0.02  # below this share of training passages a script counts as unseen
THRESHOLD_PRIOR = 0.4  # common threshold the per-technology ones are shrunk towards
THRESHOLD_SHRINK = 10  # ... with the weight of this many positive examples

_kiwi = None


def _get_kiwi():
    global _kiwi
    if _kiwi is None:
        from kiwipiepy import Kiwi

        _kiwi = Kiwi()
    return _kiwi


_KEEP_TAGS = ("NNG", "NNP", "SL", "SH", "XR", "VV", "VA", "SN")


def analyse(texts: list[str]) -> list[str]:
    """Each text as space-separated normalised tokens: Kiwi morphemes for Korean, folded words for Latin script."""
    out: list[str] = [""] * len(texts)
    korean = [i for i, t in enumerate(texts) if has_hangul(t)]
    for i, t in enumerate(texts):
        if not has_hangul(t):
            out[i] = " ".join(latin_tokens(t))
    if korean:
        kiwi = _get_kiwi()
        for i, toks in zip(korean, kiwi.tokenize([texts[i] for i in korean])):
            words = []
            for tok in toks:
                if tok.tag.startswith(_KEEP_TAGS):
                    words.append(" ".join(latin_tokens(tok.form)) if tok.tag in ("SL", "SH") else tok.form)
            out[i] = " ".join(w for w in words if w)
    return out


def _identity(x):
    return x


class TextModelClassifier(TechnologyClassifier):
    kind = "text"

    def __init__(self, taxonomy=None, C: float = 0.3, char_ngrams: bool = False, max_features: int = 200_000):
        super().__init__(taxonomy)
        self.C = C
        self.char_ngrams = char_ngrams
        self.max_features = max_features
        self.vectorizers = None
        self.coef_ = None  # (features × technologies) sparse-friendly dense array
        self.intercept_ = None
        self.platt_ = None  # (technologies × 2): a, b of sigmoid(a·decision + b)
        self.trained_ = None  # technologies with a model (enough positives)
        self.languages_: dict[str, float] = {}

    # -- features -------------------------------------------------------------
    def _make_vectorizers(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        word = TfidfVectorizer(analyzer="word", token_pattern=r"\S+", lowercase=False, ngram_range=(1, 2),
                               min_df=2, max_df=0.5, sublinear_tf=True, max_features=self.max_features,
                               dtype=np.float32)
        vecs = {"word": word}
        if self.char_ngrams:
            vecs["char"] = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, max_df=0.5,
                                           sublinear_tf=True, max_features=self.max_features, dtype=np.float32)
        return vecs

    def _features(self, passages: list[str], fit: bool = False):
        import scipy.sparse as sp

        analysed = analyse(passages)
        if fit:
            self.vectorizers = self._make_vectorizers()
        blocks = []
        for name, vec in self.vectorizers.items():
            src = analysed
            if name == "char":
                src = [p.lower() for p in passages]
            blocks.append(vec.fit_transform(src) if fit else vec.transform(src))
        kwP, kwev, S = keyword_scores(self._tech_terms, self.tech_ids, passages)
        blocks.append(sp.csr_matrix(np.log1p(S).astype(np.float32)))
        return sp.hstack(blocks, format="csr"), kwP, kwev

    # -- training -------------------------------------------------------------
    def _fit_linear(self, X, Y):
        from sklearn.svm import LinearSVC

        coef = np.zeros((X.shape[1], Y.shape[1]), dtype=np.float32)
        intercept = np.full(Y.shape[1], -10.0)
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.sum() == 0 or not self.trained_[j]:
                continue
            m = LinearSVC(C=self.C, max_iter=2000)
            m.fit(X, y)
            coef[:, j] = m.coef_[0]
            intercept[j] = m.intercept_[0]
        return coef, intercept

    def fit(self, records, labels, folds: int = 3, seed: int = 0):
        """Fit on `records` with `labels` (technology ids per record); thresholds and calibration out of fold."""
        from sklearn.linear_model import LogisticRegression

        index = {t: j for j, t in enumerate(self.tech_ids)}
        texts = [(r.title + "\n" + r.text).strip() for r in records]
        Y = np.zeros((len(records), len(self.tech_ids)), dtype=np.int8)
        for i, labs in enumerate(labels):
            for t in labs:
                Y[i, index[t]] = 1
        hangul = sum(has_hangul(t) for t in texts) / max(1, len(texts))
        self.languages_ = {"ko": hangul, "latin": 1.0 - hangul}
        self._base_rates = np.clip(Y.mean(axis=0), 1e-4, 0.5)
        self.trained_ = Y.sum(axis=0) >= MIN_POSITIVES

        # out-of-fold decision values: for calibration and thresholds on data the model did not see
        rng = np.random.default_rng(seed)
        fold = rng.integers(0, folds, size=len(records))
        oof = np.full(Y.shape, -5.0)
        for k in range(folds):
            tr, te = fold != k, fold == k
            X_tr, _, _ = self._features([texts[i] for i in np.flatnonzero(tr)], fit=True)
            coef, icpt = self._fit_linear(X_tr, Y[tr])
            X_te, _, _ = self._features([texts[i] for i in np.flatnonzero(te)])
            oof[te] = X_te @ coef + icpt
        self.platt_ = np.tile([1.0, 0.0], (len(self.tech_ids), 1))
        self.thresholds = np.full(len(self.tech_ids), 0.5)
        for j in np.flatnonzero(self.trained_):
            lr = LogisticRegression(C=1.0)
            lr.fit(oof[:, [j]], Y[:, j])
            self.platt_[j] = [lr.coef_[0, 0], lr.intercept_[0]]
            p = 1 / (1 + np.exp(-(self.platt_[j, 0] * oof[:, j] + self.platt_[j, 1])))
            n = Y[:, j].sum()
            self.thresholds[j] = (n * best_threshold(p, Y[:, j]) + THRESHOLD_SHRINK * THRESHOLD_PRIOR) / (n + THRESHOLD_SHRINK)
        X, _, _ = self._features(texts, fit=True)
        self.coef_, self.intercept_ = self._fit_linear(X, Y)
        return self

    # -- scoring --------------------------------------------------------------
    def passage_scores(self, passages, langs):
        if self.coef_ is None:
            raise ModelError("text model is not trained")
        X, kwP, kwev = self._features(passages)
        D = np.asarray(X @ self.coef_) + self.intercept_
        P = 1 / (1 + np.exp(-(self.platt_[:, 0] * D + self.platt_[:, 1])))
        # untrained technologies and unseen scripts: the keywords speak
        # Keyword scores stand in where the model knows nothing. They are put on the
        # model's threshold scale (keyword 0.5 lands on the technology's threshold) so
        # a keyword decides exactly as in the built-in classifier.
        kw = 1 / (1 + np.exp(-(np.log(np.clip(kwP, 1e-6, 1 - 1e-6) / np.clip(1 - kwP, 1e-6, 1))
                                + np.log(self.thresholds / (1 - self.thresholds)))))
        kw[kwP == 0] = 0.0
        P[:, ~self.trained_] = kw[:, ~self.trained_]
        if self.languages_.get("ko", 0) < MIN_LANGUAGE_SHARE:
            for i, p in enumerate(passages):
                if has_hangul(p):
                    P[i] = kw[i]
        evidence = self._explain(X, D, kwev)
        return P, evidence

    def _explain(self, X, D, kwev):
        """The features that pushed each positive technology up most: terms the analyst can check."""
        names = self._feature_names()
        out = []
        indptr, indices, data = X.indptr, X.indices, X.data
        for i in range(X.shape[0]):
            ev = {t: list(v) for t, v in kwev[i].items()}
            cols, vals = indices[indptr[i]:indptr[i + 1]], data[indptr[i]:indptr[i + 1]]
            # only technologies near or above a decision are worth explaining
            for j in np.flatnonzero((D[i] > -0.5) & self.trained_):
                tid = self.tech_ids[j]
                contrib = vals * self.coef_[cols, j]
                top = np.argsort(-contrib)[:5]
                words = [names[cols[k]] for k in top if contrib[k] > 0]
                if words:
                    ev.setdefault(tid, []).append("model terms " + ", ".join(words))
            out.append(ev)
        return out

    def _feature_names(self):
        if getattr(self, "_names", None) is None:
            names = []
            for name, vec in self.vectorizers.items():
                fn = vec.get_feature_names_out()
                names.extend(f"'{n}'" if name == "word" else f"~{n.strip()}~" for n in fn)
            names.extend(f"keywords:{t}" for t in self.tech_ids)
            self._names = names
        return self._names

    # -- persistence ----------------------------------------------------------
    def save(self, model_dir: Path) -> None:
        import joblib

        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        state = {"vectorizers": self.vectorizers, "coef": self.coef_, "intercept": self.intercept_,
                 "platt": self.platt_, "trained": self.trained_, "thresholds": self.thresholds,
                 "base_rates": self._base_rates, "languages": self.languages_, "tech_ids": self.tech_ids,
                 "params": {"C": self.C, "char_ngrams": self.char_ngrams, "max_features": self.max_features}}
        joblib.dump(state, model_dir / "text_model.joblib", compress=3)
        (model_dir / "model.json").write_text(json.dumps(self.info, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, model_dir: Path, info: dict, taxonomy) -> "TextModelClassifier":
        import joblib

        path = Path(model_dir) / "text_model.joblib"
        if not path.exists():
            raise ModelError(f"{model_dir}: model.json says kind 'text' but text_model.joblib is missing")
        try:
            state = joblib.load(path)
        except Exception as e:  # a truncated or foreign file: say so, whatever the unpickler raised
            raise ModelError(f"{path}: corrupt or unreadable model file ({type(e).__name__}: {e})") from None
        self = cls(taxonomy, **state["params"])
        if state["tech_ids"] != self.tech_ids:
            raise ModelError(f"{model_dir}: model technologies differ from taxonomy {self.taxonomy_version}")
        self.vectorizers = state["vectorizers"]
        self.coef_, self.intercept_, self.platt_ = state["coef"], state["intercept"], state["platt"]
        self.trained_, self.thresholds = state["trained"], state["thresholds"]
        self._base_rates, self.languages_ = state["base_rates"], state["languages"]
        self.info = info
        self.version = info["version"]
        return self


def best_threshold(p: np.ndarray, y: np.ndarray, floor: float = 0.2, ceiling: float = 0.9) -> float:
    """The probability cut that maximises F1 on (out-of-fold) scores; bounded so a fluke cannot set 0.01."""
    if y.sum() == 0:
        return 0.5
    order = np.argsort(-p)
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(1 - ys)
    f1 = 2 * tp / (tp + fp + ys.sum())
    k = int(np.argmax(f1))
    t = float(ps[k]) if k + 1 >= len(ps) else float((ps[k] + ps[k + 1]) / 2)
    return float(min(ceiling, max(floor, t)))
