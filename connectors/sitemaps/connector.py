"""Read sitemaps: walk indexes, keep entries newer than `since`, fetch new pages.

Like the feed reader, it yields a `ListingCheckpoint` after each sitemap's
records instead of remembering anything itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from newsbeam.connectors.http import FetchError, Fetcher
from newsbeam.connectors.http.decode import CorruptBodyError, TooLargeError, gunzip_if_gzipped
from newsbeam.connectors.pages import ItemHint, ListingMemory, PageSettings, harvest_listing
from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.sitemaps.parse import SitemapEntry, SitemapRef, parse_sitemap
from newsbeam.connectors.state import ListingCheckpoint, Validators
from newsbeam.pipelines.normalize.dates import parse_published
from newsbeam.schemas import DeadLetter, RecordError

STAGE = "sitemap"


@dataclass(frozen=True, slots=True)
class SitemapSettings:
    """Plain data so Beam can pickle it."""

    pages: PageSettings = field(default_factory=PageSettings)
    #: How deep indexes may nest, and how many sitemaps one run reads: bounds
    #: against an index that names itself or a million children.
    max_depth: int = 3
    max_sitemaps: int = 500
    max_items_per_sitemap: int = 50_000


def _when(value: str | None) -> datetime | None:
    try:
        return parse_published(value)
    except RecordError:
        return None


def _is_old(value: str | None, since: datetime | None) -> bool:
    """Older than `since`; an entry without a readable date is kept (it may be new)."""
    when = _when(value)
    return since is not None and when is not None and when < since


def _hint(entry: SitemapEntry, sitemap_url: str) -> ItemHint:
    # Only a News sitemap's publication date says when the story appeared;
    # `lastmod` moves with every edit, so it cuts by `since` but dates nothing.
    published = _when(entry.news_published)
    return ItemHint(
        url=entry.loc,
        key=f"page {entry.loc}",
        listed_in=sitemap_url,
        title=entry.news_title,
        published=published.isoformat() if published else None,
        source=entry.publication,
        language=entry.language,
    )


def iter_sitemap_records(
    url: str,
    *,
    since: datetime | None = None,
    fetcher: Fetcher,
    memory: ListingMemory,
    settings: SitemapSettings = SitemapSettings(),
) -> Iterator[RawRecord | DeadLetter | ListingCheckpoint]:
    """Records for the new pages a sitemap (or sitemap index) lists after `since`, and each sitemap's checkpoint.

    `since` must be timezone-aware. Child sitemaps whose `lastmod` is before it
    are not fetched at all; entries are cut by their Google News publication
    date, else their `lastmod`.
    """
    budget = [settings.max_sitemaps]
    yield from _read(url, 0, since=since, fetcher=fetcher, memory=memory, settings=settings, budget=budget)


def _read(url: str, depth: int, *, since, fetcher, memory, settings, budget
          ) -> Iterator[RawRecord | DeadLetter | ListingCheckpoint]:
    if budget[0] <= 0:
        yield DeadLetter.of(STAGE, "too_many_sitemaps", f"more than {settings.max_sitemaps} sitemaps", url, "")
        return
    budget[0] -= 1
    known = memory.validators(url)
    try:
        response = fetcher.get(url, etag=known.etag, last_modified=known.last_modified)
        if response.not_modified:
            yield ListingCheckpoint(url, unchanged=True)
            return
        body = gunzip_if_gzipped(response.body, fetcher.settings.max_body_bytes)
        nodes = list(parse_sitemap(body))
    except FetchError as error:
        yield DeadLetter.of(STAGE, error.reason, error.detail, url, "")
        return
    except TooLargeError as error:
        yield DeadLetter.of(STAGE, "too_large", str(error), url, "")
        return
    except CorruptBodyError as error:
        yield DeadLetter.of(STAGE, "bad_encoding", str(error), url, "")
        return
    except RecordError as error:
        served = f" (served as {response.mime!r})" if response.mime else ""
        yield DeadLetter.of(STAGE, error.reason, error.detail + served, url,
                            response.body[:4096].decode("utf-8", "replace"))
        return
    children = [node for node in nodes if isinstance(node, SitemapRef)]
    for child in children:
        if _is_old(child.lastmod, since):
            continue
        if depth + 1 > settings.max_depth:
            yield DeadLetter.of(STAGE, "too_deep", f"sitemap indexes nest deeper than {settings.max_depth}", child.loc, "")
            continue
        yield from _read(child.loc, depth + 1, since=since, fetcher=fetcher, memory=memory, settings=settings,
                         budget=budget)
    entries = [node for node in nodes if isinstance(node, SitemapEntry)
               and not _is_old(node.news_published or node.lastmod, since)]
    # An index's own validators are not saved: a 304 for it would hide new
    # entries in children it names whose own URLs did not change.
    validators = Validators.of(response.headers) if not children else None
    yield from harvest_listing(url, [_hint(entry, url) for entry in entries], validators, fetcher=fetcher,
                               memory=memory, pages=settings.pages, limit=settings.max_items_per_sitemap)
