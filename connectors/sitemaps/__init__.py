"""Sitemaps: indexes, plain and gzipped URL sets, Google News sitemaps, a `since` cut-off."""

from newsbeam.connectors.sitemaps.connector import SitemapSettings, iter_sitemap_records
from newsbeam.connectors.sitemaps.parse import SitemapEntry, SitemapRef, parse_sitemap

__all__ = ["SitemapEntry", "SitemapRef", "SitemapSettings", "iter_sitemap_records", "parse_sitemap"]
