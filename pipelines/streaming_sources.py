"""One poll of one feed for the streaming pipeline, through the connectors' feed reader.

The batch run and the poller read feeds with the same function
(`connectors.feeds.read_feed`: conditional GET, discovery of the feeds a home
page announces, page fetching and extraction). What differs is who remembers:
a streaming job lets the index decide what is done (see `pipelines/streaming.py`),
so the poller hands the reader a `PollMemory` built from the validators and the
links to skip that `PollSourceFn` keeps per source, and turns the reader's
checkpoints back into validators: one set for each feed read, the polled URL's
and those of the feeds a polled home page announces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from newsbeam.connectors.feeds import FeedSettings, read_feed
from newsbeam.connectors.http import Fetcher, FetchSettings
from newsbeam.connectors.pages import ItemHint, PageSettings
from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.state import ListingCheckpoint, Validators
from newsbeam.schemas import DeadLetter

__all__ = ["FeedPoller", "PollMemory", "PollResult", "Validators"]


@dataclass(slots=True)
class PollResult:
    """One poll of one source: the validators to send next time, per feed read, and what it yielded."""

    validators: dict[str, Validators]
    #: The polled URL answered 304.
    not_modified: bool = False
    items: list[RawRecord | DeadLetter] = field(default_factory=list)
    #: Why no feed could be read under the polled URL (its dead letter's reason and detail); None when one was.
    error: str | None = None


class PollMemory:
    """The poller's `ListingMemory`: one source's validators per feed and the links not to read again.

    A polled home page has no validators of its own (it is read in full to find
    its feeds); the feeds it announces keep theirs, so an unchanged one answers
    304. Within one poll a link is taken once, even when two announced feeds list it.
    """

    def __init__(self, validators: Mapping[str, Validators], skip: Iterable[str]) -> None:
        self._validators = validators
        self._skip = set(skip)

    def validators(self, url: str) -> Validators:
        return self._validators.get(url, Validators())

    def take(self, items: Sequence[ItemHint], limit: int) -> tuple[list[ItemHint], bool]:
        fresh = []
        for item in items:
            if item.url not in self._skip:
                self._skip.add(item.url)
                fresh.append(item)
        taken, left = fresh[:limit], fresh[limit:]
        self._skip.difference_update(item.url for item in left)
        return taken, bool(left)

    def attempts(self, keys: Iterable[str]) -> dict[str, int]:
        # The job keeps no failure counts: a page that failed is tried again next poll.
        return {}


class FeedPoller:
    """Polls feeds through one `Fetcher`, kept for the life of a worker."""

    def __init__(self, fetch: FetchSettings = FetchSettings(), pages: PageSettings = PageSettings()) -> None:
        self._fetcher = Fetcher(fetch)
        self._settings = FeedSettings(pages=pages)

    def close(self) -> None:
        self._fetcher.close()

    def poll(self, url: str, validators: Mapping[str, Validators] | None = None, skip: Iterable[str] = ()) -> PollResult:
        """Read `url` (conditionally; a home page's announced feeds) and the pages of items not in `skip` (links).

        `validators` are those of the feeds read under `url` (by feed URL). The
        result's are the ones to send next time: each feed's new ones, or its
        old ones again when it must be read in full next time (an item to retry,
        more new items than one read takes).
        """
        result = PollResult(dict(validators or {}))
        memory = PollMemory(result.validators.copy(), skip)
        read = False
        for item in read_feed(url, fetcher=self._fetcher, memory=memory, settings=self._settings):
            if not isinstance(item, ListingCheckpoint):
                result.items.append(item)
                continue
            read = True
            if item.url == url:
                result.not_modified = item.unchanged
            if item.validators is not None:
                result.validators[item.url] = item.validators
        if not read:
            # Every feed read ends with its checkpoint: none means the source itself failed.
            failures = [item for item in result.items if isinstance(item, DeadLetter)]
            result.error = f"{failures[0].reason}: {failures[0].detail}" if failures else "no feed was read"
        return result
