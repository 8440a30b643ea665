"""USPTO weekly bulk files (full-text grants `ipgYYMMDD.zip`, applications `ipaYYMMDD.zip`, all generations).

1. The listing at the endpoint: the USPTO Open Data Portal products JSON
   ({"bulkDataProductBag": [{"productFileBag": {"fileDataBag": [{fileName, fileDownloadURI,
   fileDataFromDate, fileReleaseDate}]}}]}) or an HTML/plain directory listing with links to the zips.
2. Every file matching settings.file_pattern whose date (stated by the listing, else read from the
   file name) is in the window is downloaded to disk in chunks (BulkFileDownloaderMiddleware) — never
   held in memory — and read one XML document at a time (`iter_bulk_zip`).
3. Only patents whose CPC/IPC classes point to a technology of the taxonomy are kept (settings.cpc_filter:
   "taxonomy" (default), a list of class prefixes, or "none"); each kept document's XML is archived on
   its own, so `ews reparse` reads it without the zip. The zip is deleted when read.
Files already read without error are remembered in the source's state and not downloaded again.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from urllib.parse import urljoin

from parsel import Selector

from crawlers.cpcfilter import CpcFilter
from crawlers.parsers.base import HostileInput, ParseError
from crawlers.parsers.patent_xml import iter_bulk_zip
from crawlers.spider_table import parse_page
from crawlers.spiders.base import SourceSpider

MAX_DOC_ERRORS = 20
_NAME_DATE = re.compile(r"(\d{2})(\d{2})(\d{2})(?=\D*\.zip$)", re.I)


def file_date_from_name(name: str) -> dt.date | None:
    m = _NAME_DATE.search(name)
    if not m:
        return None
    try:
        return dt.date(2000 + int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def parse_listing(body: bytes, url: str, pattern: str) -> list[tuple[str, str, dt.date | None]]:
    """(file name, absolute URL, file date) of every file the listing names whose name matches `pattern`."""
    rx = re.compile(pattern)
    out: dict[str, tuple[str, str, dt.date | None]] = {}
    text = body.lstrip()
    if text[:1] in (b"{", b"["):
        try:
            obj = json.loads(body)
        except (ValueError, RecursionError) as e:
            raise ParseError(f"{url}: bulk listing is not valid JSON: {type(e).__name__}: {str(e)[:200]}") from None
        products = obj.get("bulkDataProductBag") if isinstance(obj, dict) else obj
        for prod in products if isinstance(products, list) else []:
            bag = prod.get("productFileBag") if isinstance(prod, dict) else None
            bag = bag.get("fileDataBag") if isinstance(bag, dict) else None
            for f in bag if isinstance(bag, list) else []:
                if not isinstance(f, dict):
                    continue
                name = str(f.get("fileName") or "")
                link = f.get("fileDownloadURI") or f.get("fileDownloadUrl")
                if not name or not isinstance(link, str) or not rx.fullmatch(name):
                    continue
                when = None
                for k in ("fileDataFromDate", "fileReleaseDate", "fileDate"):
                    try:
                        when = dt.date.fromisoformat(str(f.get(k))[:10])
                        break
                    except (TypeError, ValueError):
                        continue
                out[name] = (name, urljoin(url, link), when or file_date_from_name(name))
        return sorted(out.values())
    sel = Selector(text=body.decode("utf-8", "replace"), type="html")
    for href in sel.css("a::attr(href)").getall():
        name = href.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        if rx.fullmatch(name):
            out[name] = (name, urljoin(url, href), file_date_from_name(name))
    return sorted(out.values())


class BulkZipSpider(SourceSpider):
    name = "bulk_zip"
    default_role = "bulk_doc"

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.keep = CpcFilter(self.source.settings.get("cpc_filter", "taxonomy"))
        self.bulk_dir = Path(self.home) / "bulk-tmp"

    def first_requests(self):
        key = self.api_key()
        headers = {"X-API-KEY": key} if key else {}
        yield self.request(self.source.endpoint, self.parse_listing, headers=headers)

    def parse_listing(self, response):
        ctx = self.context(response)
        pattern = self.source.settings.get("file_pattern", r"ip[ag]\d{6}\.zip")
        yield self.page_item(response, ctx, role="listing")  # archived first, whatever follows
        try:
            files = parse_listing(response.body, response.url, pattern)
        except ParseError as e:
            self.record_error(str(e))
            return
        done = set(self.state.get("bulk_files_done", []))
        wanted = [(n, u, d) for n, u, d in files if d is not None and self.in_window(d)]
        if not wanted:
            self.logger.info("%s: no bulk file matching %r dated in the window", ctx.where, pattern)
        key = self.api_key()
        for name, url, _ in wanted:
            if name in done:
                self.skipped_known += 1
                continue
            req = self.follow(url, self.parse_zip, where=ctx.where, cb_kwargs={"name": name},
                              headers={"X-API-KEY": key} if key else {},
                              meta={"bulk_to_file": True, "bulk_dir": str(self.bulk_dir)})
            if req is not None:
                yield req

    def parse_zip(self, response, name: str):
        path = response.meta.get("bulk_path")
        if not path:
            self.record_error(f"{response.url}: HTTP {response.status}: bulk file not downloaded")
            return
        ctx0 = self.context(response)
        errors_before, kept, seen = self.errors, 0, 0
        try:
            for n, (member, xml) in enumerate(iter_bulk_zip(path)):
                seen += 1
                doc_url = f"{response.url}#{member}/{n}"
                ctx = type(ctx0)(**{**ctx0.__dict__, "url": doc_url})
                try:
                    (doc,) = parse_page(self.source, "bulk_doc", xml, ctx).documents
                except Exception as e:  # ParseError, or a parser bug: this document's error, the file goes on
                    msg = str(e) if isinstance(e, ParseError) else f"{doc_url}: parser failed: {type(e).__name__}: {e}"
                    if self.errors - errors_before < MAX_DOC_ERRORS:
                        self.record_error(msg)
                    else:
                        self.errors += 1
                    continue
                if not self.keep(doc):
                    continue
                kept += 1
                yield self.page_item(response, ctx, [doc], body=xml, url=doc_url, context={"member": member})
        except HostileInput as e:  # a decompression bomb, a line or document beyond the caps
            self.record_error(f"{response.url}: bulk file refused: {e}")
        except Exception as e:  # a truncated or corrupt zip (BadZipFile, EOFError, zlib.error …)
            self.record_error(f"{response.url}: unreadable bulk file: {type(e).__name__}: {e}")
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass
        self.crawler.stats.inc_value("ews/bulk_documents_seen", seen)
        self.logger.info("%s: %d documents read, %d in the taxonomy's classes", name, seen, kept)
        if self.errors == errors_before:
            self.state.setdefault("bulk_files_done", []).append(name)
