"""Issues per field: recent documents grouped into topics, named in Korean and English, ranked and tracked.

    from analysis.issues import discover_issues
    issues = discover_issues(documents, tagged, field="battery", alerts=alerts, history=IssueHistory(path))

Documents: the field's patents, policy documents and papers (tagged with the
field or one of its technologies) dated inside the window: the `window`
periods ending at `period` (default: the newest document's month).

Terms: `models.emerging.document_terms` (kiwipiepy nouns and noun runs for
Korean, stop-word-free 1-3-grams for English: one tokenizer for the project),
plus language-independent features (patent classes, tagged technologies) that
let Korean and English documents on one subject meet; weighted by TF-IDF (terms in at least 2 documents), reduced by LSA (truncated
SVD) and grouped by average-linkage agglomerative clustering on cosine distance
with a distance threshold, so the number of issues follows the data. A
mostly-Korean group joins the mostly-English group whose bridge features agree
(cosine >= 0.7): words alone never join two languages. Groups under
`MIN_SIZE` documents are left out.

Names: class-based TF-IDF (BERTopic, Grootendorst 2022): a term's frequency in
the group times log(1 + A / its frequency over all groups), A the average number
of terms per group; the best Hangul terms make the Korean name, the best Latin
ones the English name (an n-gram inside a better-ranked longer one is skipped).
A group without Korean text is named in Korean by its most frequent
technology's Korean name.

Ranking: `rank` = mean of `relevance` and the growth mapped to [0, 1].
- growth: log2 of (documents in the later half of the window + 1) / (earlier half + 1);
- relevance: 0.7 x the mean over the group's documents of the largest weight
  of the security-term groups each names (`analysis/data/security_terms.yaml`:
  export controls, sanctions, entity lists 1; supply chain 0.7; talent 0.5;
  standards 0.4) + 0.3 x (1 - exp(-linked alerts / 2)),
  an alert being linked when its evidence names one of the group's documents.

Tracking: each run's issues are kept per field and period
(`IssueHistory`); a group takes the id of the previous period's issue it shares
most documents or key terms with (Jaccard >= 0.3), else a new id derived from
the field and its key terms (the same data always gives the same id). Status:
`new` (no predecessor), `growing` (growth >= 0.58, i.e. x1.5), `fading`
(growth <= -0.58), else `steady`.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from analysis.resources import security_groups, security_weight
from ews.kernel.files import write_text_atomic
from ews.kernel.ids import stable_id
from ews.kernel.periods import granularity, period_of, to_period
from ews.kernel.schema import Document, document_date
from ews.kernel.text import has_hangul
from models.emerging import document_terms

MIN_SIZE = 3
DISTANCE = 0.75          # cosine distance below which groups merge (average linkage, LSA space)
LSA_DIMS = 50
WINDOW = {"month": 6, "quarter": 4, "year": 4, "week": 26}
BRIDGE_MERGE = 0.7      # a Korean and an English group whose classes and technologies agree this much are one issue
MATCH_JACCARD = 0.3
GROWING = math.log2(1.5)
TOP_PHRASES = 5
MAX_DOCUMENTS = 3000     # the newest ones; clustering memory grows with the square of this


class IssueError(ValueError):
    pass


@dataclass
class Issue:
    id: str
    field: str
    period: str
    phrases: dict[str, list[str]]
    growth: float
    relevance: float
    rank: float
    status: str
    documents: list[str]
    alerts: list[str]
    size: int
    technologies: list[str] = field(default_factory=list)
    security_terms: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)      # period -> documents
    terms: list[str] = field(default_factory=list)             # the top c-TF-IDF terms, for tracking
    summary: dict[str, list[str]] = field(default_factory=dict)

    def public(self) -> dict:
        d = asdict(self)
        d.pop("terms")
        return d


class IssueHistory:
    """Issues of earlier runs, one JSON file per field: {period: [issue, ...]}."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict[str, list[dict]]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise IssueError(f"{self.path}: unreadable issue history ({e}); move it away to start afresh") from None
        return data if isinstance(data, dict) else {}

    def previous(self, period: str) -> list[dict]:
        """The issues of the latest recorded period before `period`."""
        earlier = [p for p in self.load() if p < period]
        return self.load()[max(earlier)] if earlier else []

    def save(self, period: str, issues: list[Issue]) -> None:
        data = self.load()
        data[period] = [{"id": i.id, "documents": i.documents, "terms": i.terms, "size": i.size} for i in issues]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, json.dumps(data, ensure_ascii=False, sort_keys=True))


def field_documents(documents, tagged, field_id: str) -> list[tuple[Document, list[str]]]:
    tags = {t.doc_id: t for t in tagged}
    out = []
    for d in documents:
        t = tags.get(d.id)
        if t is None:
            continue
        techs = [s.id for s in t.tagging.technologies if s.id.split(".", 1)[0] == field_id]
        if techs or field_id in t.tagging.fields:
            out.append((d, techs))
    return out


def window_periods(period: str, n: int) -> list[str]:
    from ews.kernel.periods import format_period

    g = granularity(period)
    p = to_period(period)
    return [format_period(p - i, g) for i in range(n - 1, -1, -1)]


def bridge_features(doc: Document, techs: list[str]) -> list[str]:
    """Language-independent features: patent classes (subgroup and main group) and the tagged technologies.

    They let a Korean and an English document on the same subject meet, which their words alone cannot."""
    out = [f"~tech:{t}" for t in techs]
    if doc.patent is not None:
        for c in doc.patent.cpc + doc.patent.ipc:
            out += [f"~cpc:{c}", f"~cpc:{c.split('/')[0]}"]
    return sorted(set(out))


def _cluster(texts_terms: list[list[str]]) -> tuple[np.ndarray, object, list[str]]:
    """Labels per document (-1: in no group of MIN_SIZE), the term matrix and its vocabulary."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    vec = TfidfVectorizer(analyzer=lambda terms: terms, min_df=2, sublinear_tf=True)
    try:
        x = vec.fit_transform(texts_terms)
    except ValueError:  # no term in two documents: nothing groups
        return np.full(len(texts_terms), -1), None, []
    n = x.shape[0]
    dims = min(LSA_DIMS, x.shape[1] - 1, n - 1)
    z = TruncatedSVD(n_components=dims, random_state=0).fit_transform(x) if dims >= 2 else x.toarray()
    z = normalize(z)
    empty = np.linalg.norm(z, axis=1) == 0
    labels = np.full(n, -1)
    if (~empty).sum() >= 2:
        fit = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                      distance_threshold=DISTANCE).fit(z[~empty])
        labels[~empty] = fit.labels_
    sizes = Counter(labels[labels >= 0])
    labels = np.array([lab if lab >= 0 and sizes[lab] >= MIN_SIZE else -1 for lab in labels])
    return labels, x, vec.get_feature_names_out().tolist()


def merge_across_languages(labels: np.ndarray, bridges: list[list[str]], korean: list[bool]) -> np.ndarray:
    """Join a mostly-Korean group to the mostly-English group with the most similar bridge features."""
    groups = sorted(set(labels[labels >= 0]))
    profile, lang = {}, {}
    for g in groups:
        idx = [i for i, lab in enumerate(labels) if lab == g]
        c = Counter(f for i in idx for f in bridges[i])
        norm = math.sqrt(sum(v * v for v in c.values()))
        profile[g] = {f: v / norm for f, v in c.items()} if norm else {}
        lang[g] = sum(korean[i] for i in idx) * 2 > len(idx)
    pairs = sorted(((sum(w * profile[b].get(f, 0.0) for f, w in profile[a].items()), a, b)
                    for a in groups if lang[a] for b in groups if not lang[b]), reverse=True)
    labels = labels.copy()
    joined: set = set()
    for sim, ko, en in pairs:
        if sim < BRIDGE_MERGE:
            break
        if ko in joined:
            continue
        labels[labels == ko] = en
        joined.add(ko)
    return labels


def class_tfidf(term_sets: list[list[str]], labels: np.ndarray) -> dict[int, list[tuple[str, float]]]:
    """Per group, its terms by class-based TF-IDF, best first."""
    groups = sorted(set(labels[labels >= 0]))
    tf = {g: Counter() for g in groups}
    for terms, lab in zip(term_sets, labels):
        if lab >= 0:
            tf[lab].update(set(terms))
    total = Counter()
    for c in tf.values():
        total.update(c)
    avg = np.mean([sum(c.values()) for c in tf.values()]) if tf else 0
    out = {}
    for g, c in tf.items():
        size = int((labels == g).sum())
        # a term of one document in the group says nothing of the group
        scored = [(t, (n / size) * math.log(1 + avg / total[t])) for t, n in c.items() if n >= 2]
        out[g] = sorted(scored, key=lambda kv: (-kv[1], kv[0]))
    return out


def _pick(ranked: list[tuple[str, float]], korean: bool, k: int) -> list[str]:
    chosen: list[str] = []
    for term, _ in ranked:
        if has_hangul(term) != korean or not re.search(r"\w", term):
            continue
        padded = f" {term} "
        if any(padded in f" {c} " for c in chosen):
            continue
        chosen = [c for c in chosen if f" {c} " not in padded]  # a longer phrase replaces its part
        chosen.append(term)
        if len(chosen) == k:
            break
    return chosen


def _alert_documents(alerts) -> dict[str, set[str]]:
    out = {}
    for a in alerts:
        ev = a.evidence or {}
        ids = {d.get("id") for d in (ev.get("contributors") or {}).get("documents") or []}
        ids |= {p.get("doc_id") for p in ev.get("foreign_patents") or []}
        out[a.id] = {i for i in ids if i}
    return out


def _jaccard(a, b) -> float:
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 0.0


def discover_issues(documents, tagged, field_id: str, period: str | None = None, alerts=(),
                    history: IssueHistory | None = None, window: int | None = None,
                    taxonomy=None) -> list[Issue]:
    """The field's issues in the window ending at `period`, ranked, with stable ids against `history`."""
    if period is not None:
        granularity(period)   # raises PeriodError for a malformed period
    rows = []
    for d, techs in field_documents(documents, tagged, field_id):
        date = document_date(d)
        if date is not None:
            rows.append((d, techs, date))
    if not rows:
        return []
    gran = granularity(period) if period else "month"
    period = period or period_of(max(r[2] for r in rows), gran)
    periods = window_periods(period, window or WINDOW[gran])
    inside = set(periods)
    rows = [(d, t, period_of(date, gran)) for d, t, date in rows if period_of(date, gran) in inside]
    rows.sort(key=lambda r: (r[2], r[0].id), reverse=True)
    rows = rows[:MAX_DOCUMENTS]
    if len(rows) < MIN_SIZE:
        return []
    term_sets = [sorted(document_terms(d)) for d, _, _ in rows]
    bridges = [bridge_features(d, techs) for d, techs, _ in rows]
    labels, _, _ = _cluster([terms + b for terms, b in zip(term_sets, bridges)])
    labels = merge_across_languages(labels, bridges, [has_hangul(f"{d.title} {d.text}") for d, _, _ in rows])
    ranked_terms = class_tfidf(term_sets, labels)
    alert_docs = _alert_documents(alerts)
    half = len(periods) // 2
    early, late = set(periods[:half]), set(periods[half:])
    previous = history.previous(period) if history else []
    used_prev: set[str] = set()
    names = _korean_names(taxonomy)
    issues = []
    for g, ranked in ranked_terms.items():
        members = [i for i, lab in enumerate(labels) if lab == g]
        docs = [rows[i][0] for i in members]
        ids = sorted(d.id for d in docs)
        techs = Counter(t for i in members for t in rows[i][1])
        per_period = Counter(rows[i][2] for i in members)
        n_late = sum(n for p, n in per_period.items() if p in late)
        n_early = sum(n for p, n in per_period.items() if p in early)
        growth = math.log2((n_late + 1) / (n_early + 1))
        sec = Counter()
        flagged = 0.0
        for d in docs:
            found = security_groups(f"{d.title}\n{d.text}")
            sec.update(found)
            flagged += security_weight(found)
        linked = sorted(a for a, adocs in alert_docs.items() if adocs & set(ids))
        relevance = 0.7 * flagged / len(docs) + 0.3 * (1 - math.exp(-len(linked) / 2))
        top_terms = [t for t, _ in ranked[:20]]
        en = _pick(ranked, korean=False, k=TOP_PHRASES)
        ko = _pick(ranked, korean=True, k=TOP_PHRASES)
        if not ko and techs:
            ko = [names.get(techs.most_common(1)[0][0], "")] if names else []
        match = max((p for p in previous if p["id"] not in used_prev),
                    key=lambda p: max(_jaccard(p["documents"], ids), _jaccard(p["terms"], top_terms)), default=None)
        if match and max(_jaccard(match["documents"], ids), _jaccard(match["terms"], top_terms)) >= MATCH_JACCARD:
            issue_id, status = match["id"], None
            used_prev.add(issue_id)
        else:
            issue_id, status = "issue-" + stable_id("issue", field_id, *sorted(top_terms[:3]), length=12), "new"
        if status is None:
            status = "growing" if growth >= GROWING else "fading" if growth <= -GROWING else "steady"
        growth_norm = min(1.0, max(0.0, (growth + 2) / 4))
        issues.append(Issue(
            id=issue_id, field=field_id, period=period, phrases={"ko": [p for p in ko if p], "en": en},
            growth=round(growth, 4), relevance=round(relevance, 4),
            rank=round(0.5 * relevance + 0.5 * growth_norm, 4), status=status, documents=ids, alerts=linked,
            size=len(ids), technologies=[t for t, _ in techs.most_common()], security_terms=dict(sec),
            counts={p: per_period.get(p, 0) for p in periods}, terms=top_terms))
    issues = _unique_ids(issues)
    issues.sort(key=lambda i: (-i.rank, -i.size, i.id))
    if history is not None:
        history.save(period, issues)
    return issues


def _unique_ids(issues: list[Issue]) -> list[Issue]:
    seen: Counter[str] = Counter()
    for i in sorted(issues, key=lambda i: (-i.size, i.documents)):
        seen[i.id] += 1
        if seen[i.id] > 1:   # two groups with the same key terms: the smaller gets a suffix
            i.id = f"{i.id}-{seen[i.id]}"
    return issues


def _korean_names(taxonomy) -> dict[str, str]:
    if taxonomy is None:
        try:
            from ews.kernel.taxonomy import load_taxonomy

            taxonomy = load_taxonomy()
        except Exception:  # a name is a nicety; the issue stands without it
            return {}
    return {t.id: t.name_ko for t in taxonomy.technologies}
