"""Feeds: RSS 0.9x/2.0, Atom and RDF; feed lists and OPML; discovery; incremental reads."""

from newsbeam.connectors.feeds.connector import FeedSettings, iter_feed_records, read_feed
from newsbeam.connectors.feeds.discover import discover_feeds
from newsbeam.connectors.feeds.lists import load_feed_list, parse_opml
from newsbeam.connectors.feeds.parse import parse_feed

__all__ = ["FeedSettings", "discover_feeds", "iter_feed_records", "load_feed_list", "parse_feed", "parse_opml",
           "read_feed"]
