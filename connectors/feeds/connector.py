"""Read feeds: conditional GET, discovery, only new items, their pages fetched.

One reader serves the batch run and the streaming poller; what differs between
them is the `ListingMemory` that says which items are new and which validators
to send, and what they do with the `ListingCheckpoint` each feed ends with.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from newsbeam.connectors.feeds.discover import discover_feeds, looks_like_html
from newsbeam.connectors.feeds.parse import parse_feed
from newsbeam.connectors.http import FetchError, Fetcher
from newsbeam.connectors.iptc import read_wire_document
from newsbeam.connectors.pages import ListingMemory, PageSettings, harvest_listing
from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.state import ListingCheckpoint, Validators
from newsbeam.schemas import DeadLetter, RecordError

STAGE = "feed"


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """Plain data so Beam can pickle it."""

    pages: PageSettings = field(default_factory=PageSettings)
    #: New items taken from one feed per read; the rest wait for the next one.
    max_items_per_feed: int = 1000
    #: Follow <link rel="alternate"> when a listed URL is a web page, not a feed.
    discover: bool = True
    #: Feeds read from one discovered page (a site may announce comment feeds too).
    max_discovered: int = 3


def read_feed(
    url: str,
    *,
    fetcher: Fetcher,
    memory: ListingMemory,
    settings: FeedSettings = FeedSettings(),
    discovered: bool = False,
) -> Iterator[RawRecord | DeadLetter | ListingCheckpoint]:
    """Records for one feed URL (or the feeds its page announces), each feed's checkpoint after its records.

    A feed that answers 304 yields only an `unchanged` checkpoint. A web page
    yields the records and checkpoints of the feeds it announces, none of its own.
    A wire endpoint (NewsML-G2 or ninjs, told by the content) yields its items.
    """
    known = memory.validators(url)
    try:
        response = fetcher.get(url, etag=known.etag, last_modified=known.last_modified)
    except FetchError as error:
        yield DeadLetter.of(STAGE, error.reason, error.detail, url, "")
        return
    if response.not_modified:
        yield ListingCheckpoint(url, unchanged=True)
        return
    if (wire_items := read_wire_document(response.body, url)) is not None:
        # A wire endpoint: its items are whole stories, there are no pages to fetch.
        yield from wire_items
        yield ListingCheckpoint(url, Validators.of(response.headers))
        return
    if looks_like_html(response.body, response.mime):
        feeds = discover_feeds(response.text(), response.url) if settings.discover and not discovered else []
        if not feeds:
            yield DeadLetter.of(STAGE, "malformed_feed", "a web page that announces no feed", url, response.text())
        for feed in feeds[: settings.max_discovered]:
            yield from read_feed(feed, fetcher=fetcher, memory=memory, settings=settings, discovered=True)
        return
    try:
        feed = parse_feed(response.body, response.url, response.headers.get("content-type"))
    except RecordError as error:
        yield DeadLetter.of(STAGE, error.reason, error.detail, url, response.body[:4096].decode("utf-8", "replace"))
        return
    for detail, entry in feed.skipped:
        yield DeadLetter.of(STAGE, "missing_link", detail, url, entry)
    yield from harvest_listing(url, feed.items, Validators.of(response.headers), fetcher=fetcher, memory=memory,
                               pages=settings.pages, limit=settings.max_items_per_feed)


def iter_feed_records(
    feed_urls: Iterable[str],
    *,
    fetcher: Fetcher,
    memory: ListingMemory,
    settings: FeedSettings = FeedSettings(),
) -> Iterator[RawRecord | DeadLetter | ListingCheckpoint]:
    """`read_feed` for every URL; a broken feed is a dead letter, never a stop."""
    for url in feed_urls:
        yield from read_feed(url, fetcher=fetcher, memory=memory, settings=settings)
