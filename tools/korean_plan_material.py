"""Derive the Korean training material of the Korean n-gram model from the master plan (seed 001).

    .venv/bin/python tools/korean_plan_material.py [--seed ../shared/seeds/001_*.txt]

Writes `models/classify/data/korean_plan.jsonl`: one line per sentence or bullet of the plan's prose
(lines of 12 to 400 characters with at least 8 Hangul syllables, markup and table cells left out; the two
lists of the 12 fields and 50 technologies, lines 58-169 and 576-685, are left out because the taxonomy
carries them as names), with the seed line it came from and labels derived mechanically from the taxonomy:

- `technologies`: technologies whose taxonomy keywords (names, keywords, the derived Korean variants;
  no EXTRA_TERMS) reach the keyword decision in the line;
- `fields`: those technologies' fields and fields whose own words occur in it.

No evaluation passage is read: the policy passages of the dev set come from seeds 000 and 004, never 001.
The seed is reference material outside the project; what is shipped is this derived, labelled extract.
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ews.kernel.taxonomy import load_taxonomy  # noqa: E402
from models.classify.terms import keyword_matcher, strength  # noqa: E402

OUT = ROOT / "models" / "classify" / "data" / "korean_plan.jsonl"
LISTS = ((58, 169), (576, 685))  # the plan's lists of fields and technologies (the taxonomy's names)
DECISION = math.log(2)  # keyword strength at which the keyword classifier tags (1 - exp(-S) = 0.5)
_TAG = re.compile(r"<[^>]+>")
_HANGUL = re.compile(r"[가-힣]")


def units(lines: list[str]):
    seen = set()
    for n, raw in enumerate(lines, 1):
        if any(a <= n <= b for a, b in LISTS):
            continue
        text = _TAG.sub(" ", raw)
        if "\t" in text:  # table rows: cells of figures, not prose
            cells = [c.strip() for c in text.split("\t") if c.strip()]
            text = max(cells, key=len) if cells else ""
        text = re.sub(r"^[\s\-*•·✓☑#>]+", "", text)
        text = re.sub(r"\*\*", "", text)
        text = " ".join(text.split())
        if not 12 <= len(text) <= 400 or len(_HANGUL.findall(text)) < 8 or text in seen:
            continue
        seen.add(text)
        yield n, text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=Path, default=None)
    ap.add_argument("--output", type=Path, default=OUT)
    args = ap.parse_args()
    seed = args.seed or next(iter(sorted(glob.glob(str(ROOT.parent.parent / "shared" / "seeds" / "001_*.txt")))
                                   or sorted(glob.glob(str(ROOT.parent / "shared" / "seeds" / "001_*.txt")))), None)
    if seed is None or not Path(seed).exists():
        sys.exit("seed 001 not found; pass --seed PATH")
    tax = load_taxonomy()
    matcher = keyword_matcher(tax, extra=False)
    field_of = {t.id: t.field_id for t in tax.technologies}
    lines = Path(seed).read_text(encoding="utf-8").splitlines()
    out = []
    for n, text in units(lines):
        hits = matcher.find(text)
        techs = sorted(t for t, hs in hits.items() if not t.startswith("field:") and strength(hs) >= DECISION)
        fields = {field_of[t] for t in techs}
        # a field's own word counts even where it is weak ('양자', 'AI'): the label says what the line is about
        fields |= {t.split(":", 1)[1] for t, hs in hits.items() if t.startswith("field:") and hs}
        out.append({"id": f"plan-001-{n}", "src": f"001:l.{n}", "text": text, "technologies": techs,
                    "fields": [f for f in tax.field_ids if f in fields]})
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as f:
        for r in out:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    n_t = sum(1 for r in out if r["technologies"])
    n_f = sum(1 for r in out if r["fields"])
    print(f"{len(out)} units from {seed}: {n_t} with a technology, {n_f} with a field -> {args.output}")


if __name__ == "__main__":
    main()
