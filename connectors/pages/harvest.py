"""Fetch the pages behind feed and sitemap items, and merge what both say."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from newsbeam.connectors.http import HTML_TYPES, FetchError, Fetcher, Response
from newsbeam.connectors.pages.extract import ExtractSettings, extract_article
from newsbeam.connectors.pages.walls import bot_challenge
from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.state import ListingCheckpoint, Validators
from newsbeam.schemas import DeadLetter, RecordError


@dataclass(frozen=True, slots=True)
class ItemHint:
    """What a feed or sitemap says about one story, before its page is read."""

    url: str
    #: The state-store key that marks this item as seen.
    key: str
    #: The feed or sitemap the item was listed in.
    listed_in: str
    title: str = ""
    summary: str = ""
    published: str | None = None
    source: str = ""
    language: str | None = None
    authors: tuple[str, ...] = ()


class ListingMemory(Protocol):
    """What a listing reader asks of whoever remembers earlier reads.

    The batch run's form is `connectors.state.RunMemory` (the connector state
    store); the streaming poller's is `pipelines.streaming_sources.PollMemory`
    (validators and links the job already emitted). Neither is changed by
    reading: what to remember comes back as a `ListingCheckpoint`.
    """

    def validators(self, url: str) -> Validators:
        """The validators to send when fetching `url`."""
        ...

    def take(self, items: Sequence[ItemHint], limit: int) -> tuple[list[ItemHint], bool]:
        """Up to `limit` of `items` to read now, in order, and whether new ones were left for later."""
        ...

    def attempts(self, keys: Iterable[str]) -> dict[str, int]:
        """How many earlier reads failed on each of `keys` in a way worth retrying."""
        ...


@dataclass(frozen=True, slots=True)
class PageSettings:
    """Whether and how item pages are fetched; plain data so Beam can pickle it."""

    fetch_pages: bool = True
    #: Pages fetched at once (the fetcher's per-host cap still applies).
    workers: int = 4
    #: Pages fetched before any of them is extracted (see `harvest`); at most
    #: twice this many bodies are held at a time. 1 is page by page.
    batch: int = 8
    #: Runs that try a page failing transiently (timeout, 5xx, 429) before it is
    #: given up on and its item counted as seen.
    max_attempts: int = 3
    extract: ExtractSettings = field(default_factory=ExtractSettings)


@dataclass(frozen=True, slots=True)
class Harvested:
    """Outputs for one item, and whether to try it again on a later run.

    A failed page yields a dead letter saying why and, when the listing had a
    summary, a record with that summary as text: the story is not lost, and a
    later run that gets the page replaces it (same URL, same article id).
    """

    item: ItemHint
    outputs: list[RawRecord | DeadLetter]
    retry_later: bool = False


def _listing_record(item: ItemHint) -> dict[str, Any]:
    return {
        "url": item.url,
        "title": item.title,
        "text": item.summary,
        "published": item.published,
        "source": item.source,
        "language": item.language,
        "authors": list(item.authors),
    }


def _failure(item: ItemHint, stage: str, reason: str, detail: str, *, transient: bool) -> Harvested:
    if item.summary.strip():
        detail = f"{detail}; kept the listing's summary as text"
    letter = DeadLetter.of(stage, reason, detail, item.url, asdict(item))
    outputs: list[RawRecord | DeadLetter] = [letter]
    if item.summary.strip():
        outputs.append(RawRecord(item.url, _listing_record(item)))
    return Harvested(item, outputs, transient)


def fetch_article(item: ItemHint, *, fetcher: Fetcher, settings: PageSettings = PageSettings()) -> Harvested:
    """The record for one item: its page's article, or its listing's summary and why."""
    return _article(item, _fetch_page(item, fetcher, settings), settings)


def _fetch_page(item: ItemHint, fetcher: Fetcher, settings: PageSettings) -> Response | Harvested:
    """The item's page, or already the item's outcome (pages not fetched, or the fetch failed)."""
    if not settings.fetch_pages:
        if not item.summary.strip():
            return _failure(item, "extract", "empty_extraction", "listing has no summary and pages are not fetched",
                            transient=False)
        return Harvested(item, [RawRecord(item.url, _listing_record(item))])
    try:
        return fetcher.get(item.url, accept=HTML_TYPES)
    except FetchError as error:
        if error.response is not None and (challenge := bot_challenge(error.response.headers, error.response.text())):
            return _failure(item, "fetch", "blocked_page", f"HTTP {error.response.status}: {challenge}", transient=False)
        return _failure(item, "fetch", error.reason, error.detail, transient=error.transient)


def _article(item: ItemHint, fetched: Response | Harvested, settings: PageSettings) -> Harvested:
    """The item's outcome from its fetched page: the extracted article, merged with the listing."""
    if isinstance(fetched, Harvested):
        return fetched
    try:
        page = extract_article(fetched.text(), fetched.url, reference_date=item.published, outlet=item.source,
                               settings=settings.extract)
    except RecordError as error:
        return _failure(item, "extract", error.reason, error.detail, transient=False)
    record = {
        "url": fetched.url,
        "title": page["title"] or item.title,
        "headlines": page["headlines"],
        "text": page["text"],
        "published": page["published"],
        "source": page["source"] or item.source,
        "language": page["language"] or item.language,
        "authors": page["authors"] or list(item.authors),
    }
    return Harvested(item, [RawRecord(item.url, record)])


def harvest(items: Iterable[ItemHint], *, fetcher: Fetcher, settings: PageSettings = PageSettings()) -> Iterator[Harvested]:
    """`fetch_article` for each item, in input order.

    Pages are fetched `settings.batch` at a time (by `settings.workers` threads),
    then extracted one after another in the calling thread; with workers, the
    next batch is fetched while this one is extracted. Extraction run back to
    back finds its caches as the last page left them, and so does the fetching:
    page by page, each evicted what the other had just warmed, and the
    connector's CPU over extraction alone was ~2 points (realistic pages) to
    ~6 points (small pages) higher (benchmarks/results/fetch_extract.md).
    """
    items, size = list(items), max(1, settings.batch)
    batches = [items[start:start + size] for start in range(0, len(items), size)]
    if settings.workers <= 1 or len(items) <= 1:
        for batch in batches:
            pages = [_fetch_page(item, fetcher, settings) for item in batch]
            yield from (_article(item, page, settings) for item, page in zip(batch, pages))
        return
    with ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="newsbeam-page") as pool:
        def fetch(batch: list[ItemHint]) -> list[Future[Response | Harvested]]:
            return [pool.submit(_fetch_page, item, fetcher, settings) for item in batch]

        ahead = fetch(batches[0])
        for index, batch in enumerate(batches):
            current, ahead = ahead, fetch(batches[index + 1]) if index + 1 < len(batches) else []
            pages = [page.result() for page in current]  # the whole batch, then its extraction back to back
            yield from (_article(item, page, settings) for item, page in zip(batch, pages))


def harvest_listing(
    listing_url: str,
    items: Iterable[ItemHint],
    validators: Validators | None,
    *,
    fetcher: Fetcher,
    memory: ListingMemory,
    pages: PageSettings,
    limit: int,
) -> Iterator[RawRecord | DeadLetter | ListingCheckpoint]:
    """Records for the listing's items `memory` hands out, then the listing's checkpoint.

    The checkpoint comes after the last record and is only to be committed once
    those records are stored, so a run that dies before then reads the listing
    again instead of skipping what it never delivered. When an item failed in a
    way worth retrying, the checkpoint keeps the old validators: otherwise the
    next read would get a 304 and never see that item again. The same holds for
    items left over when a listing has more than `limit` new ones. After
    `max_attempts` reads a transiently failing page is given up on, so one dead
    link cannot make its feed be read in full forever.
    """
    fresh, retry = memory.take(list(items), limit)  # left-over items must still be there next time
    earlier = memory.attempts(item.key for item in fresh)
    done: list[str] = []
    failed: list[str] = []
    for result in harvest(fresh, fetcher=fetcher, settings=pages):
        key = result.item.key
        attempt = earlier.get(key, 0) + 1
        if result.retry_later and attempt < pages.max_attempts:
            retry = True
            failed.append(key)
            yield from _noted(result.outputs, f"attempt {attempt} of {pages.max_attempts}; retried next run")
        elif result.retry_later:
            done.append(key)
            yield from _noted(result.outputs, f"attempt {attempt} of {pages.max_attempts}; given up")
        else:
            done.append(key)
            yield from result.outputs
    yield ListingCheckpoint(listing_url, None if retry else validators, tuple(done), tuple(failed))


def _noted(outputs: list[RawRecord | DeadLetter], note: str) -> Iterator[RawRecord | DeadLetter]:
    for output in outputs:
        yield replace(output, detail=f"{output.detail}; {note}") if isinstance(output, DeadLetter) else output
