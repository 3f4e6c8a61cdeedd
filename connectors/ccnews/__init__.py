"""Common Crawl's CC-NEWS archive as a backfill source: pick a date range's WARC files, stream and filter them."""

from newsbeam.connectors.ccnews.listing import DEFAULT_BASE, DateRange, list_warcs, select_warcs
from newsbeam.connectors.ccnews.reader import CCNEWS, CCNewsReader, CCNewsSettings, plan_backfill

__all__ = ["CCNEWS", "DEFAULT_BASE", "CCNewsReader", "CCNewsSettings", "DateRange", "list_warcs", "plan_backfill",
           "select_warcs"]
