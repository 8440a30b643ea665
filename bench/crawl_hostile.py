"""Cost of hostile bodies to the crawler's parsers: time and peak memory per case, each in a fresh process.

    .venv/bin/python bench/crawl_hostile.py

Cases (issue 12): a 50 MB HTML page, an 8 MB one (just under the page cap), a zip holding one 1 GiB line
(the 6 GiB case stops at the same cap), a ratio bomb (1 GiB of short lines), a 100k-deep JSON answer.
Prints one line per case: outcome, wall and CPU seconds, peak RSS growth of the process.
"""
from __future__ import annotations

import json
import subprocess
import sys

CASES = ["html_50mb", "html_8mb", "zip_one_line_1gib", "zip_ratio_1gib", "json_deep_100k"]

CHILD = r'''
import datetime as dt, io, os, resource, sys, tempfile, time, zipfile, json
from crawlers.parsers.base import PageContext, ParseError, json_object
from crawlers.parsers.html import parse_detail_page
from crawlers.parsers.patent_xml import iter_bulk_zip

case = sys.argv[1]
ctx = PageContext(source="b", kind="policy", url="http://127.0.0.1/x", fetched_at=dt.datetime(2025, 1, 2, tzinfo=dt.UTC),
                  lang="en", settings={"detail_body": "div.body"}, content_type="text/html; charset=utf-8")

def page(mb):
    p = b"<p>export controls on lithography systems and memory</p>"
    return b"<html><body><div class='body'>" + p * int(mb * 1024 * 1024 / len(p)) + b"</div></body></html>"

def zip_file(chunks):
    fd, path = tempfile.mkstemp(suffix=".zip")
    os.close(fd)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("ipg240102.xml", "w", force_zip64=True) as out:
        for c in chunks:
            out.write(c)
    return path

if case.startswith("html"):
    arg = page(50 if case == "html_50mb" else 7.9)
elif case == "zip_one_line_1gib":
    arg = zip_file(b"a" * (1 << 20) for _ in range(1024))
elif case == "zip_ratio_1gib":
    line = b"<p>" + b"b" * 1020 + b"</p>\n"
    arg = zip_file(line * 1024 for _ in range(1024))
else:
    arg = b'{"patents": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
size = os.path.getsize(arg) if isinstance(arg, str) else len(arg)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0, c0 = time.perf_counter(), time.process_time()
try:
    if case.startswith("html"):
        out = f"parsed ({len(parse_detail_page(arg, ctx).document.text)} chars)"
    elif case.startswith("zip"):
        out = f"read {sum(1 for _ in iter_bulk_zip(arg))} documents"
    else:
        json_object(arg, ctx)
        out = "parsed"
except ParseError as e:
    out = f"refused ({type(e).__name__}: {str(e)[:70]})"
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
print(json.dumps({"case": case, "input_mb": round(size / 1e6, 1), "outcome": out, "wall_s": round(wall, 2),
                  "cpu_s": round(cpu, 2), "peak_rss_growth_mb": round(peak)}))
if isinstance(arg, str):
    os.unlink(arg)
'''


def main() -> int:
    for case in CASES:
        proc = subprocess.run([sys.executable, "-c", CHILD, case], capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{case}: failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(proc.stdout)
        print(f"{r['case']:<18} input {r['input_mb']:>7} MB  {r['outcome']:<95} wall {r['wall_s']:>6} s  "
              f"cpu {r['cpu_s']:>6} s  peak RSS +{r['peak_rss_growth_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
