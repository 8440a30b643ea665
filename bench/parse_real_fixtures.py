"""Parse every recorded real response in ../shared/data/raw_source_fixtures/ and print per-format counts.

    .venv/bin/python bench/parse_real_fixtures.py [FIXTURE_DIR]

Skips (exit 0) when the fixtures are absent. Exit 1 if any patent document failed to parse.
Counts per format: files, documents, applicants, inventors, inventors with a country, CPC codes.
"""
from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawlers.parsers.base import PageContext, ParseError  # noqa: E402
from crawlers.parsers.patent_xml import parse_epo_exchange, parse_ppubs_search, parse_uspto_document, uspto_generation  # noqa: E402
from crawlers.parsers.xmlsafe import parse_xml  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "raw_source_fixtures"
NOT_PATENTS = {"cpcMaster", "cpcScheme"}  # CPC scheme files shipped beside the bulk samples


def main(argv: list[str]) -> int:
    base = Path(argv[1]) if len(argv) > 1 else DEFAULT
    if not base.is_dir():
        print(f"skipped: no fixtures at {base}")
        return 0
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    failures = []
    now = dt.datetime.now(dt.UTC)

    def add(fmt, docs, path):
        r = rows[fmt]
        r["files"] += 1
        for d in docs:
            r["documents"] += 1
            r["applicants"] += len(d.patent.applicants)
            r["inventors"] += len(d.patent.inventors)
            r["inventors_with_country"] += sum(1 for p in d.patent.inventors if p.country)
            r["cpc_codes"] += len(d.patent.cpc)
            r["with_filing_date"] += d.patent.application_date is not None

    for path in sorted(base.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(base)
        ctx = PageContext(source="fixture", kind="patent", url=str(rel), fetched_at=now)
        body = path.read_bytes()
        try:
            if rel.parts[0] == "uspto_bulk_xml" and path.suffix == ".xml":
                if rel.parts[1] in NOT_PATENTS:
                    rows[f"uspto-{rel.parts[1]} (not patents, skipped)"]["files"] += 1
                    continue
                gen = uspto_generation(parse_xml(body, str(rel), lenient_entities=True))
                add(f"uspto-bulk {rel.parts[1]} <{gen}>", [parse_uspto_document(body, ctx)], rel)
            elif rel.parts[0] == "epo_ops" and path.suffix == ".xml":
                if body.lstrip().startswith(b"{"):
                    rows["epo-ops search JSON (ids only)"]["files"] += 1
                    continue
                docs = parse_epo_exchange(body, ctx)
                add("epo-ops exchange-documents" if docs else "epo-ops other (claims, legal, family, search)", docs, rel)
            elif rel.parts[0] == "uspto_ppubs" and path.suffix == ".json":
                add(f"uspto-ppubs {path.name}", parse_ppubs_search(body, ctx), rel)
            else:
                rows[f"not parsed ({rel.parts[0]}/*{path.suffix})"]["files"] += 1
        except ParseError as e:
            failures.append(str(e))
        except Exception as e:  # a bench reports, it does not stop at the first surprise
            failures.append(f"{rel}: {type(e).__name__}: {e}")

    cols = ["files", "documents", "applicants", "inventors", "inventors_with_country", "cpc_codes", "with_filing_date"]
    width = max(len(k) for k in rows) + 2
    print("format".ljust(width) + "".join(c.rjust(len(c) + 2) for c in cols))
    for fmt in sorted(rows):
        print(fmt.ljust(width) + "".join(str(rows[fmt].get(c, 0)).rjust(len(c) + 2) for c in cols))
    for f in failures:
        print("FAILED:", f)
    print(f"{sum(r['documents'] for r in rows.values())} documents, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
