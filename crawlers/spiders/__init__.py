"""Spiders by source TYPE (not per site); a registry entry picks one by name and configures it.

Which class implements which type is a row of the spider table (crawlers.spider_table).
"""
from crawlers.spider_table import spider_class

__all__ = ["spider_class"]
