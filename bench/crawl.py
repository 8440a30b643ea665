"""Crawl throughput: the project's html_list spider with all its pipelines vs plain Scrapy, same pages.

    .venv/bin/python bench/crawl.py [--pages 5000] [--per-list 50]

A board of PAGES detail pages (Korean and English press releases, CP949 and UTF-8, each different) and
its list pages is served on 127.0.0.1. Then, in the same run:
- the project: `crawl_sources` on a registry entry for the board (robots.txt, the html_list spider,
  archive → normalise → validate → near-duplicates → store, SQLite and gzip on disk);
- plain Scrapy: a minimal spider following the same list and detail links, yielding one dict per page,
  no pipelines, the same concurrency.
Pages/s are measured on the server (first to last request of each crawl) and also as wall time with the
process start. Prints both rates and their ratio (the target is ≥ 0.5).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = dt.date(2020, 1, 1)


def detail_page(n: int) -> tuple[bytes, str]:
    day = START + dt.timedelta(days=n // 3)
    if n % 2:
        title = f"과기정통부, 양자컴퓨팅 기술 확보에 {100 + n}억원 투자 ({n}호)"
        paras = [f"과학기술정보통신부는 {day.month}월 {day.day}일 양자컴퓨팅 분야 {n}번 과제의 기술주권 확보를 위해 전략을 발표했다.",
                 f"이번 전략은 큐비트, 양자 오류정정 등 핵심기술을 중심으로 {2025 + n % 6}년까지 총 {n * 7 % 3000}억원을 투입한다.",
                 f"정부는 국내 연구기관 {n % 40 + 3}곳과 해외 연구기관 {n % 17 + 2}곳이 참여하는 공동연구를 지원한다."]
        html = (f"<html><head><meta charset='euc-kr'><title>{title}</title></head><body><div id='header'>메뉴</div>"
                f"<h3 class='view_title'>{title}</h3><ul class='view_info'><li class='date'>{day:%Y.%m.%d}</li></ul>"
                f"<div class='view_cont'>{''.join(f'<p>{p}</p>' for p in paras)}</div><div id='footer'>저작권</div></body></html>")
        return html.encode("cp949"), "text/html"
    title = f"Commerce tightens export controls on advanced computing items, rule {n}"
    paras = [f"The Bureau of Industry and Security published rule {n} on {day:%B %d, %Y}, adding {n % 50 + 3} entities.",
             f"The controls cover {n % 9 + 2} categories of semiconductor manufacturing equipment and {n % 5 + 1} software tools.",
             f"Officials said the measure number {n} was coordinated with {n % 4 + 1} allied governments."]
    html = (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><nav>Menu</nav>"
            f"<h3 class='view_title'>{title}</h3><ul class='view_info'><li class='date'>{day:%Y-%m-%d}</li></ul>"
            f"<div class='view_cont'>{''.join(f'<p>{p}</p>' for p in paras)}</div><footer>Footer</footer></body></html>")
    return html.encode("utf-8"), "text/html; charset=utf-8"


def list_page(page: int, pages: int, per_list: int) -> bytes:
    first = pages - 1 - (page - 1) * per_list  # newest first
    rows = []
    for n in range(first, max(first - per_list, -1), -1):
        day = START + dt.timedelta(days=n // 3)
        rows.append(f"<tr><td class='subject'><a href='/board/view.do?seq={n}'>item {n}</a></td>"
                    f"<td class='date'>{day:%Y.%m.%d}</td></tr>")
    nxt = f"<div class='paging'><a class='next' href='/board/list.do?page={page + 1}'>next</a></div>" if first - per_list >= 0 else ""
    return (f"<html><head><meta charset='utf-8'></head><body><table class='board_list'><tbody>{''.join(rows)}"
            f"</tbody></table>{nxt}</body></html>").encode()


class TimedSite:
    """The LocalSite with the time of every request, so rates exclude process start-up."""

    def __init__(self, pages: int, per_list: int):
        from crawlers.demo import LocalSite, Reply

        cache = {n: detail_page(n) for n in range(pages)}
        self.times: list[float] = []
        self.lock = threading.Lock()

        def view(req):
            try:
                body, ctype = cache[int(req.arg("seq", "-1"))]
            except (KeyError, ValueError):
                return None
            return Reply(200, body, {"Content-Type": ctype})

        def lst(req):
            return Reply(200, list_page(int(req.arg("page", "1")), pages, per_list), {"Content-Type": "text/html"})

        site = self

        class Site(LocalSite):
            def handle(self, req):
                with site.lock:
                    site.times.append(time.perf_counter())
                return super().handle(req)

        self.site = Site({"/board/view.do": view, "/board/list.do": lst})

    def reset(self):
        with self.lock:
            self.times = []

    def window(self) -> tuple[int, float]:
        with self.lock:
            return len(self.times), (self.times[-1] - self.times[0]) if len(self.times) > 1 else 0.0


PLAIN_SPIDER = r'''
import sys, scrapy
from scrapy.crawler import CrawlerProcess

class Plain(scrapy.Spider):
    name = "plain"
    start_urls = [sys.argv[1] + "/board/list.do?page=1"]

    def parse(self, response):
        for href in response.css("table.board_list tbody tr td.subject a::attr(href)").getall():
            yield response.follow(href, self.parse_detail)
        nxt = response.css("div.paging a.next::attr(href)").get()
        if nxt:
            yield response.follow(nxt, self.parse)

    def parse_detail(self, response):
        yield {"url": response.url, "title": response.css("h3.view_title::text").get(),
               "date": response.css("ul.view_info li.date::text").get(),
               "text": "\n".join(response.css("div.view_cont p::text").getall())}

p = CrawlerProcess({"LOG_LEVEL": "WARNING", "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
                    "DOWNLOAD_DELAY": 0, "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": False,
                    "ROBOTSTXT_OBEY": False})
p.crawl(Plain)
p.start()
'''


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--per-list", type=int, default=50)
    args = ap.parse_args(argv)

    from crawlers.crawl import _bytecode_cache, crawl_sources
    from crawlers.registry import Source

    ts = TimedSite(args.pages, args.per_list)
    end = START + dt.timedelta(days=args.pages // 3 + 2)
    out = {}
    with ts.site as site, tempfile.TemporaryDirectory(prefix="ews-bench-crawl-") as tmp:
        src = Source(id="bench-board", kind="policy", country="KR", language="ko",
                     endpoint=f"{site.url}/board/list.do?page=1", spider="html_list", parser="html_detail",
                     settings={"list_item": "table.board_list tbody tr", "item_link": "td.subject a::attr(href)",
                               "item_date": "td.date::text", "next_page": "div.paging a.next::attr(href)",
                               "detail_title": "h3.view_title::text", "detail_date": "ul.view_info li.date::text",
                               "detail_body": "div.view_cont", "key_param": "seq", "max_pages": 100000},
                     private_network=True)  # the benchmark site runs on 127.0.0.1
        # project
        ts.reset()
        t0 = time.perf_counter()
        (h,) = crawl_sources([src], START, end, Path(tmp) / "home")
        wall = time.perf_counter() - t0
        n, span = ts.window()
        out["project"] = {"requests": n, "items": h.items, "errors": h.errors, "server_s": span, "wall_s": wall}
        if not h.ok or h.items != args.pages:
            print(f"warning: project crawl: {h.items} items, {h.errors} errors {h.error_messages[:3]}", file=sys.stderr)
        # plain Scrapy, same pages, same concurrency, in its own process as well
        ts.reset()
        env = dict(os.environ)
        _bytecode_cache(env)
        t0 = time.perf_counter()
        script = Path(tmp) / "plain_spider.py"  # a file: Scrapy reads callbacks' source
        script.write_text(PLAIN_SPIDER, encoding="utf-8")
        proc = subprocess.run([sys.executable, str(script), site.url], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        n, span = ts.window()
        if proc.returncode != 0:
            print(proc.stderr[-2000:], file=sys.stderr)
            return 1
        out["plain"] = {"requests": n, "server_s": span, "wall_s": wall}

    pr, pl = out["project"], out["plain"]
    def rate(d, k):
        return d["requests"] / d[k] if d[k] else float("nan")
    print(f"site: {args.pages} detail pages + {-(-args.pages // args.per_list)} list pages on 127.0.0.1")
    print(f"{'crawler':<34}{'requests':>9}{'items':>7}{'pages/s':>10}{'pages/s incl. start':>22}")
    print(f"{'project (html_list + pipelines)':<34}{pr['requests']:>9}{pr['items']:>7}{rate(pr, 'server_s'):>10.1f}"
          f"{rate(pr, 'wall_s'):>22.1f}")
    print(f"{'plain Scrapy (no pipelines)':<34}{pl['requests']:>9}{'-':>7}{rate(pl, 'server_s'):>10.1f}"
          f"{rate(pl, 'wall_s'):>22.1f}")
    ratio = rate(pr, "server_s") / rate(pl, "server_s")
    ratio_wall = rate(pr, "wall_s") / rate(pl, "wall_s")
    print(f"ratio project/plain: {ratio:.2f} (incl. process start: {ratio_wall:.2f}); target >= 0.5: "
          f"{'met' if ratio >= 0.5 else 'NOT met'}")
    print(json.dumps({"pages": args.pages, "project": pr, "plain": pl, "ratio": round(ratio, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
