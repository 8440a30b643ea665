"""The spider table: per spider type, its class, the parsers it speaks, its page roles and its settings.

One row per source type, read by the registry (to validate an entry when the registry loads), by
`crawlers.run` (to start the spider class), by the spiders and by `ews reparse` (to parse a page of a
given role: the same function at crawl time and at reparse time). Classes and parse functions are named
by dotted path, so loading the registry imports neither Scrapy nor the parsers.

A page role says how an archived response is read again: `api` (a page of a paged API), `feed`,
`detail` (an HTML or PDF document page), `bulk_doc` (one document of a bulk file), `bulk_record` (one
patent joined from bulk tables); `list`, `listing`, `api-empty` and `page` hold no documents.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crawlers.linkpolicy import parse_origin

EnvName = str  # the NAME of an environment variable (never its value)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class _Settings(BaseModel):
    """Settings every source type understands."""

    model_config = ConfigDict(extra="forbid")
    allowed_hosts: list[str] = Field(default_factory=list,
                                     description="hosts besides the endpoint's that links may point to")
    max_pages: int | None = Field(default=None, gt=0)
    scrapy: dict[str, Any] = Field(default_factory=dict, description="Scrapy settings for this source only")
    digest: bool = False
    api_key_env: EnvName | None = None

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        for h in v:
            parse_origin(h)
        return v

    @field_validator("*")
    @classmethod
    def _env_names(cls, v, info):
        if info.field_name.endswith("_env") and v is not None and not _ENV_NAME.fullmatch(v):
            raise ValueError(f"must name an environment variable (A-Z, 0-9, _), got {v!r}")
        return v


class JsonApiSettings(_Settings):
    page_size: int = Field(default=1000, gt=0)
    date_field: str = "patent_date"
    document_url: str | None = None
    cpc_prefixes: list[str] | None = None
    agencies: list[str] | None = None
    types: list[str] | None = None
    term: str | None = None
    fields: list[str] | None = None
    filter: str | None = None
    search: str | None = None
    mailto_env: EnvName | None = None


class XmlApiSettings(_Settings):
    auth_url: str | None = Field(default=None, pattern=r"^https?://")
    client_id_env: EnvName | None = None
    client_secret_env: EnvName | None = None
    cql: str | None = None
    range_size: int = Field(default=100, gt=0)
    key_param: str = "ServiceKey"
    date_param: str = "openDate"
    date_format: str = "%Y%m%d"
    page_param: str = "pageNo"
    page_size_param: str = "numOfRows"
    page_size: int = Field(default=500, gt=0)
    query: dict[str, str | int] = Field(default_factory=dict)
    doi_links: bool = False


class HtmlListSettings(_Settings):
    list_item: str
    item_link: str
    item_date: str | None = None
    next_page: str | None = None
    detail_title: str | None = None
    detail_date: str | None = None
    detail_body: str | None = None
    key_param: str | None = None
    require_items: bool = True
    pdf_max_bytes: int | None = Field(default=None, gt=0)
    pdf_max_pages: int | None = Field(default=None, gt=0)


class FeedSettings(_Settings):
    window_in_url: bool = False


class BulkZipSettings(_Settings):
    file_pattern: str = r"ip[ag]\d{6}\.zip"
    cpc_filter: Literal["taxonomy", "none"] | list[str] = "taxonomy"

    @field_validator("file_pattern")
    @classmethod
    def _pattern(cls, v: str) -> str:
        re.compile(v)
        return v


class BulkTablesSettings(_Settings):
    """A `bulk` source: the PatentsView bulk tables (`NAME.tsv.zip`) under its endpoint, loaded whole."""

    cpc_filter: Literal["taxonomy", "none"] | list[str] = "taxonomy"
    document_url: str | None = None
    optional_tables: bool = True   # fetch g_patent_abstract and g_location_disambiguated (404: read without)


@dataclass(frozen=True)
class SpiderType:
    cls: str                                  # "module:Class"
    settings: type[_Settings]
    parsers: dict[str, bool]                  # parser name → are its documents filtered by the crawl window?
    roles: dict[str, str | None]              # page role → "module:function" (None: no documents)
    default_role: str
    max_response_bytes: int                   # Scrapy DOWNLOAD_MAXSIZE for this type (a source may lower it)
    warn_response_bytes: int = field(default=8 * 1024 * 1024)


MB = 1024 * 1024
NO_DOCUMENTS = None
SPIDER_TABLE: dict[str, SpiderType] = {
    # PatentsView is asked by filing or grant date (settings.date_field) while documents are dated by the
    # grant: its answers are the window's by construction and are not filtered again.
    "json_api": SpiderType("crawlers.spiders.json_api:JsonApiSpider", JsonApiSettings,
                           {"patentsview": False, "federal_register": True, "openalex": True},
                           {"api": "crawlers.pages:json_api_page"}, "api", 64 * MB, 16 * MB),
    "xml_api": SpiderType("crawlers.spiders.xml_api:XmlApiSpider", XmlApiSettings,
                          {"epo_ops": False, "kipris": False},
                          {"api": "crawlers.pages:xml_api_page", "api-empty": NO_DOCUMENTS}, "api", 64 * MB, 16 * MB),
    "html_list": SpiderType("crawlers.spiders.html_list:HtmlListSpider", HtmlListSettings, {"html_detail": True},
                            {"detail": "crawlers.pages:detail_page", "list": NO_DOCUMENTS}, "detail", 50 * MB, 8 * MB),
    "feed": SpiderType("crawlers.spiders.feed:FeedSpider", FeedSettings, {"feed": True},
                       {"feed": "crawlers.pages:feed_page"}, "feed", 32 * MB, 8 * MB),
    "bulk_zip": SpiderType("crawlers.spiders.bulk_zip:BulkZipSpider", BulkZipSettings, {"uspto_bulk": False},
                           {"bulk_doc": "crawlers.pages:bulk_document", "listing": NO_DOCUMENTS}, "bulk_doc",
                           16 * MB, 4 * MB),
    # PatentsView bulk tables (crawlers.parsers.patentsview_tables): the whole history of granted patents,
    # joined from the tables once they are all on disk; each patent archived as its joined JSON record.
    "bulk": SpiderType("crawlers.spiders.bulk_tables:BulkTablesSpider", BulkTablesSettings,
                       {"patentsview_tables": False},
                       {"bulk_record": "crawlers.pages:bulk_record"}, "bulk_record",
                       16 * MB, 4 * MB),
}
PAGE_ROLES_WITHOUT_DOCUMENTS = {"page"} | {r for t in SPIDER_TABLE.values() for r, fn in t.roles.items() if fn is None}


def spider_type(name: str) -> SpiderType:
    try:
        return SPIDER_TABLE[name]
    except KeyError:
        raise KeyError(f"unknown spider type {name!r} (known: {', '.join(sorted(SPIDER_TABLE))})") from None


def _load(target: str):
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def spider_class(name: str):
    return _load(spider_type(name).cls)


def window_filtered(spider: str, parser: str) -> bool:
    return spider_type(spider).parsers.get(parser, True)


def parse_page(source, role: str, body: bytes, ctx, context: dict | None = None):
    """The documents (and paging hints, per-record errors) of one page of `source` in `role`: an ApiPage.
    The one dispatch the spiders and `ews reparse` share."""
    from crawlers.parsers.base import ApiPage, ParseError

    if role in PAGE_ROLES_WITHOUT_DOCUMENTS:
        return ApiPage()
    row = spider_type(source.spider)
    if role not in row.roles:
        raise ParseError(f"{ctx.where}: archived with role {role!r}, which a {source.spider} source never writes")
    return _load(row.roles[role])(source.parser, body, ctx, context or {})
