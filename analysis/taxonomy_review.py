"""The taxonomy review: terms growing in documents that fit none of the 50 technologies (Markdown + JSON)."""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

from ews.kernel.files import write_text_atomic
from ews.kernel.schema import document_date
from ews.kernel.store import Store
from ews.kernel.text import HANGUL_SYLLABLES, is_hangul_syllable

_TOKEN = re.compile(rf"[A-Za-z][A-Za-z0-9\-]{{2,}}|[{HANGUL_SYLLABLES}]{{2,}}")
_KO_SUFFIX = re.compile(r"(으로|에서|에게|까지|부터|하는|했다|한다|하고|이며|이다|에는|과의|와의|들의|의|을|를|은|는|이|가|과|와|에|도|로|및)$")
STOPWORDS = frozenset("""
the and for with from that this these those are was were been being have has had not but its their them they
which what when where while into onto over under than then there here such also more most other some any each
all can may will would should could one two three using use used method methods system systems apparatus device
devices based thereof wherein comprising comprises including first second third new said via per between among
about after before during within without upon our your his her him she you who whom how why very only same
part parts unit units means layer process processes manufacturing structure structures material materials
data information technology technologies research development report policy government national strategy
plan plans program programs support announced year years month today said will press release
""".split())


_SEGMENT = re.compile(r"[\n.;:!?,()\[\]{}\"“”'‘’·|/]+")


def _terms(text: str) -> set[str]:
    """Words and two-word phrases; phrases never span a line break or punctuation."""
    grams: set[str] = set()
    for segment in _SEGMENT.split(text):
        grams |= _segment_terms(segment)
    return grams


def _segment_terms(text: str) -> set[str]:
    toks = []
    for m in _TOKEN.finditer(text):
        t = m.group(0)
        if is_hangul_syllable(t[0]):
            t = _KO_SUFFIX.sub("", t)
            if len(t) < 2:
                toks.append(None)
                continue
        else:
            t = t.lower().strip("-")
            if t in STOPWORDS or len(t) < 3:
                toks.append(None)
                continue
        toks.append(t)
    grams = {t for t in toks if t}
    grams.update(f"{a} {b}" for a, b in zip(toks, toks[1:]) if a and b)
    return grams


def emerging_terms(docs_before: list, docs_recent: list, known: set[str], min_df: int = 3, min_ratio: float = 2.0,
                   top: int = 50) -> list[dict]:
    """Terms whose document share grew, among documents no technology claimed.

    A term is a word (English lower-cased, Korean with a trailing particle removed) or two adjacent
    words; stop words and terms that contain or are contained in a taxonomy keyword (they fit one of
    the 50) are left out. Document frequency df counts each document once. Growth is the ratio of
    smoothed shares, ((df_recent + 0.5) / (N_recent + 1)) / ((df_before + 0.5) / (N_before + 1));
    a term is reported when df_recent >= min_df and the ratio >= min_ratio, ranked by
    ratio × log(1 + df_recent) (growth weighted by how many documents carry it).
    """
    def df(docs):
        c, ex = Counter(), defaultdict(list)
        for d in docs:
            for t in _terms(f"{d.title}\n{d.text}"):
                c[t] += 1
                if len(ex[t]) < 3:
                    ex[t].append({"id": d.id, "title": d.title[:160], "published": d.published.isoformat() if d.published else None})
        return c, ex

    before, _ = df(docs_before)
    recent, examples = df(docs_recent)
    nb, nr = len(docs_before), len(docs_recent)
    out = []
    for term, c in recent.items():
        if c < min_df or any(k in term or term in k for k in known):
            continue
        ratio = ((c + 0.5) / (nr + 1)) / ((before[term] + 0.5) / (nb + 1))
        if ratio < min_ratio:
            continue
        out.append({"term": term, "df_recent": c, "df_before": before[term], "growth": round(ratio, 3),
                    "score": round(ratio * math.log1p(c), 3), "examples": examples[term]})
    out.sort(key=lambda x: (-x["score"], -x["term"].count(" "), x["term"]))  # on a tie the phrase before its words
    # a bigram and its words often say the same thing: keep a word only if no kept bigram holds it with the same df
    kept: list[dict] = []
    for x in out:
        if " " not in x["term"] and any(x["term"] in k["term"].split() and k["df_recent"] == x["df_recent"] for k in kept):
            continue
        kept.append(x)
    return kept[:top]


def taxonomy_review(store: Store, start: dt.date, end: dt.date, out_dir: Path, **kw) -> dict:
    """Terms emerging in [start, end) against the equally long period before, in documents no technology claimed.

    Writes out_dir/taxonomy-review/<start>_<end>.{md,json}."""
    from ews.kernel.taxonomy import load_taxonomy

    tax = load_taxonomy()
    known = {k.lower() for t in tax.technologies for k in (*t.keywords_en, *t.keywords_ko, t.name_en, t.name_ko)}
    known |= {f.name_en.lower() for f in tax.fields} | {f.name_ko for f in tax.fields}
    claimed = {t.doc_id for t in store.iter_tagged() if t.tagging.technologies}
    tagged_ids = {t.doc_id for t in store.iter_tagged()}
    before_start = start - (end - start)
    before, recent, not_classified = [], [], 0
    for doc in store.iter_documents():
        if doc.id in claimed:
            continue
        if doc.id not in tagged_ids:
            not_classified += 1
            continue
        d = document_date(doc)
        if d is None:
            continue
        if start <= d < end:
            recent.append(doc)
        elif before_start <= d < start:
            before.append(doc)
    terms = emerging_terms(before, recent, known, **kw)
    # the project's emergence model (Porter–Carley EScore and Kleinberg bursts over quarters) on the same store
    from models.emerging import unmatched_terms

    with_model = [{"term": t.term, "score": round(t.score, 4), "emerging": t.emerging,
                   "burst_weight": round(t.burst_weight, 4), "counts": t.counts}
                  for t in unmatched_terms(list(store.iter_documents()), list(store.iter_tagged()), granularity="quarter",
                                           as_of=end - dt.timedelta(days=1), top=30)]
    data = {"window": [start.isoformat(), end.isoformat()], "baseline": [before_start.isoformat(), start.isoformat()],
            "taxonomy_version": tax.version, "documents_recent": len(recent), "documents_before": len(before),
            "documents_not_classified": not_classified,
            "method": emerging_terms.__doc__.split("\n\n")[0].strip() + " " + " ".join(
                emerging_terms.__doc__.split("\n\n")[1].split()),
            "terms": terms, "emergence_model": with_model,
            "emergence_model_method": "models.emerging.unmatched_terms: Porter-Carley emergence score and Kleinberg "
                                      "bursts over the last 3 + 7 quarters, terms of untagged documents"}
    base = Path(out_dir) / "taxonomy-review"
    stem = f"{start.isoformat()}_{end.isoformat()}"
    write_text_atomic(base / f"{stem}.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
    md = [f"# Taxonomy review {start} – {end}", "",
          f"Terms growing in documents that fit none of the {len(tax.technologies)} technologies of taxonomy "
          f"{tax.version}: {len(recent)} such documents in the window, {len(before)} in the baseline "
          f"{before_start} – {start}.", "", data["method"], ""]
    if terms:
        md += ["| term | documents | before | growth | examples |", "|---|---:|---:|---:|---|"]
        md += [f"| {t['term']} | {t['df_recent']} | {t['df_before']} | {t['growth']:.1f}× | "
               + "; ".join(e["title"].replace("|", "/") for e in t["examples"]) + " |" for t in terms]
    else:
        md.append("No emerging term found.")
    md += ["", "## Emergence model (models.emerging)", "", data["emergence_model_method"] + ".", ""]
    if with_model:
        md += ["| term | EScore | emerging | burst weight |", "|---|---:|---|---:|"]
        md += [f"| {t['term']} | {t['score']:.3f} | {'yes' if t['emerging'] else 'burst only'} | {t['burst_weight']:.2f} |"
               for t in with_model]
    else:
        md.append("No term qualifies.")
    if not_classified:
        md += ["", f"{not_classified} documents are not classified yet and were not read."]
    write_text_atomic(base / f"{stem}.md", "\n".join(md) + "\n")
    return {"report": str(base / f"{stem}.md"), "terms": len(terms), "documents_recent": len(recent),
            "documents_before": len(before)}
