"""Spiders by source TYPE (not per site); a registry entry picks one by name and configures it.

Imported lazily so that listing the registry never imports Scrapy.
"""
from __future__ import annotations

import importlib

SPIDER_CLASSES = {
    "json_api": "crawlers.spiders.json_api:JsonApiSpider",
    "xml_api": "crawlers.spiders.xml_api:XmlApiSpider",
    "bulk_zip": "crawlers.spiders.bulk_zip:BulkZipSpider",
    "html_list": "crawlers.spiders.html_list:HtmlListSpider",
    "feed": "crawlers.spiders.feed:FeedSpider",
}


def spider_class(spider_type: str):
    try:
        target = SPIDER_CLASSES[spider_type]
    except KeyError:
        raise KeyError(f"no spider implements type {spider_type!r} yet "
                       f"(implemented: {', '.join(sorted(SPIDER_CLASSES))})") from None
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)
