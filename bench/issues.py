"""Issue discovery on real policy text: ETO AGORA's 147 AI provisions enacted by the US Congress (2020-2025).

    .venv/bin/python bench/issues.py [--data ../shared/data]

The provisions (official name + long summary, read from the shared data
folder, never copied) are given to `analysis.issues.discover_issues` as policy
documents of the field `ai`. AGORA's analysts tagged each provision with
thematic tags (applications, harms, risk factors, strategies); nothing in the
issue discovery saw them. Figures:

- coverage: share of provisions placed in an issue (the rest are in groups too
  small to be an issue);
- tag agreement: mean Jaccard similarity of the tag sets of two provisions in the
  same issue, against two provisions drawn from all (lift = ratio); random groups
  of the same sizes give a lift of 1;
- security relevance: Spearman correlation, over issues, between their
  `relevance` and the share of their provisions AGORA tagged (a) with controls
  on the circulation of compute or data (the nearest AGORA has to export
  controls) or a security risk factor, and (b) with a security or military
  application (a different notion: defence use, not technology control;
  printed for contrast).
The issues themselves (key phrases, size, relevance) are printed for reading.
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.issues import discover_issues  # noqa: E402
from ews.kernel.schema import Document, TaggedDocument, Tagging  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
FILE = "policy_docs/agora_ai_laws_enacted_by_congress_2020_2025.csv"
CONTROL_TAGS = ("Strategies: Input controls: Compute circulation", "Strategies: Input controls: Data circulation",
                "Risk factors: Security")
DEFENCE_TAGS = ("Applications: Security", "Applications: Government: military and public safety")


def load(data: Path):
    f = data / FILE
    if not f.exists():
        return None
    d = pd.read_csv(f)
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    docs, tags, labels = [], [], {}
    for _, row in d.iterrows():
        doc = Document.build(source="agora", source_key=str(row["AGORA ID"]), kind="policy",
                             title=str(row["Official name"]), text=str(row["Long summary"]), lang="en",
                             published=dt.date(2024, 6, 1), fetched_at=now, jurisdiction="US")
        docs.append(doc)
        tags.append(TaggedDocument(doc_id=doc.id, tagging=Tagging(id=doc.id, fields=["ai"]), model_version="bench",
                                   taxonomy_version="2024.1"))
        labels[doc.id] = {t.strip() for t in str(row["Tags"]).split(";") if t.strip() and t != "nan"}
    return docs, tags, labels


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)
    loaded = load(args.data)
    if loaded is None:
        print(f"no AGORA file under {args.data}: nothing to evaluate", file=sys.stderr)
        return 1
    docs, tags, labels = loaded
    issues = discover_issues(docs, tags, "ai", period="2024-06", window=1)
    within = [jaccard(labels[a], labels[b]) for i in issues for a, b in itertools.combinations(i.documents, 2)]
    ids = list(labels)
    overall = [jaccard(labels[a], labels[b]) for a, b in itertools.combinations(ids, 2)]
    covered = sum(i.size for i in issues)
    def share(i, prefixes):
        return float(np.mean([any(t.startswith(prefixes) for t in labels[d]) for d in i.documents]))

    sec = [share(i, CONTROL_TAGS) for i in issues]
    defence = [share(i, DEFENCE_TAGS) for i in issues]
    rel = [i.relevance for i in issues]
    from scipy.stats import spearmanr

    rho = spearmanr(rel, sec).statistic if len(issues) > 2 else float("nan")
    rho_defence = spearmanr(rel, defence).statistic if len(issues) > 2 else float("nan")
    print(f"{len(docs)} provisions → {len(issues)} issues, coverage {covered / len(docs):.2f}")
    print(f"tag agreement within issues {np.mean(within):.3f} vs all pairs {np.mean(overall):.3f} "
          f"(lift {np.mean(within) / np.mean(overall):.2f})")
    print(f"Spearman over issues of relevance and the share tagged (a) compute/data circulation controls or "
          f"security risk: {rho:.2f}; (b) security/military application: {rho_defence:.2f}\n")
    print("| issue | provisions | key phrases | relevance | (a) controls share | (b) defence share |")
    print("|---|---|---|---|---|---|")
    for i, a, b in zip(issues, sec, defence):
        print(f"| {i.id} | {i.size} | {' · '.join(i.phrases['en'][:4])} | {i.relevance:.2f} | {a:.2f} | {b:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
