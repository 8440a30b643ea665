"""PatentsView bulk tables (`bulk` source type): the history of granted patents, loaded whole.

1. Every table is fetched from `{endpoint}/{NAME}.tsv.zip` (g_patent, g_application, g_cpc_current,
   g_assignee_disambiguated, g_inventor_disambiguated; then g_patent_abstract and
   g_location_disambiguated, read without when the endpoint answers 404), one after the other, each
   streamed to disk in chunks (BulkFileDownloaderMiddleware) — never held in memory.
2. Once all are on disk, `crawlers.parsers.patentsview_tables` stages the side tables in a temporary
   SQLite file and joins g_patent with them batch by batch; each patent in the CPC filter
   (settings.cpc_filter, as for `bulk_zip`) is one document, archived as its joined JSON record, so
   `ews reparse` rebuilds it without the tables. Bad rows are this source's errors (the first
   MAX_DOC_ERRORS named, the rest counted); the good rows are kept.
3. The downloaded tables and the staging file are deleted at the end.

The same load runs without a crawl from a directory of downloaded tables: `ews ingest --patentsview DIR`.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from crawlers.cpcfilter import CpcFilter
from crawlers.parsers.patentsview_tables import OPTIONAL_TABLES, REQUIRED_TABLES, PatentsViewTables
from crawlers.spiders.base import SourceSpider
from ews.kernel.records import InputError

MAX_DOC_ERRORS = 20


class BulkTablesSpider(SourceSpider):
    name = "bulk"
    default_role = "bulk_record"

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.keep = CpcFilter(self.source.settings.get("cpc_filter", "taxonomy"))
        self.bad_rows = 0
        self.bulk_dir = Path(self.home) / "bulk-tmp" / f"{self.source.id}-{os.getpid()}"
        self.tables = list(REQUIRED_TABLES)
        if self.source.settings.get("optional_tables", True):
            self.tables += list(OPTIONAL_TABLES)

    def first_requests(self):
        req = self._table_request(0)
        if req is not None:
            yield req

    def _table_request(self, i: int):
        name = self.tables[i]
        key = self.api_key()
        url = f"{self.source.endpoint.rstrip('/')}/{name}.tsv.zip"
        # a 404 reaches parse_table: an optional table is read without, a required one named as missing
        meta = {"bulk_to_file": True, "bulk_dir": str(self.bulk_dir), "handle_httpstatus_list": [404]}
        return self.follow(url, self.parse_table, where=self.source.endpoint, cb_kwargs={"i": i}, meta=meta,
                           headers={"X-API-KEY": key} if key else {})

    def parse_table(self, response, i: int):
        name = self.tables[i]
        path = response.meta.get("bulk_path")
        if path:
            os.replace(path, self.bulk_dir / f"{name}.tsv.zip")
        elif name in OPTIONAL_TABLES and response.status == 404:
            self.note(f"{response.url}: HTTP 404: {name} read without", "ews/bulk_tables_absent")
        else:
            self.record_error(f"{response.url}: HTTP {response.status}: table {name} not downloaded; nothing loaded")
            return
        if i + 1 < len(self.tables):
            req = self._table_request(i + 1)
            if req is not None:
                yield req
            return
        yield from self._load(response)

    def _load(self, response):
        ctx = self.context(response)
        bad: list = []
        try:
            with PatentsViewTables(self.bulk_dir, self.bulk_dir / "stage", source=self.source.id,
                                   fetched_at=ctx.fetched_at, settings=self.source.settings, keep=self.keep) as tables:
                tables.stage(bad)
                for pairs in tables.records(bad):
                    self._report(bad)
                    for raw, doc in pairs:
                        url = f"{tables.tables['g_patent'].name}#{doc.source_key}"
                        yield self.page_item(response, ctx, [doc], body=json.dumps(raw, ensure_ascii=False).encode(),
                                             url=f"{self.source.endpoint.rstrip('/')}/{url}",
                                             context={"table": "g_patent"})
                self._report(bad)
                stats = tables.stats
        except InputError as e:  # a table that is not a readable zip, a header without a needed column
            self.record_error(f"{self.source.endpoint}: {e}")
            return
        for note in stats.notes:
            self.note(note)
        self.crawler.stats.inc_value("ews/bulk_documents_seen", stats.patents)
        self.logger.info("%d patents read, %d in the CPC filter, %d without an application row",
                         stats.patents, stats.documents, stats.without_application)

    def _report(self, bad: list) -> None:
        """The bad rows so far as this source's errors, named by the table's URL and line."""
        for b in bad:
            if self.bad_rows < MAX_DOC_ERRORS:
                self.record_error(f"{self.source.endpoint.rstrip('/')}/{Path(b.path).name}:{b.line}: {b.problem}")
            else:
                self.errors += 1
            self.bad_rows += 1
        bad.clear()

    def closed(self, reason: str) -> None:
        shutil.rmtree(self.bulk_dir, ignore_errors=True)
        super().closed(reason)
