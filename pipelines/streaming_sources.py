"""One poll of one feed for the streaming pipeline, on the connectors' HTTP, parsing and pages.

The batch connector (`connectors.feeds.read_feed`) marks items seen in the
connector state store as it reads them, which suits a pass that ends before the
next starts. A streaming job must instead let the index decide what is done (see
`pipelines/streaming.py`), so here the poll is split open: the caller passes the
validators and the links to skip, and gets back the new validators and records,
while fetching, feed parsing, page extraction and politeness stay the
connectors' own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from newsbeam.connectors.feeds.lists import load_feed_list
from newsbeam.connectors.feeds.parse import parse_feed
from newsbeam.connectors.http import FetchError, Fetcher, FetchSettings
from newsbeam.connectors.pages import PageSettings, harvest
from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.state import Validators
from newsbeam.schemas import DeadLetter, RecordError

STAGE = "feed"

__all__ = ["FeedPoller", "PollResult", "Validators", "read_source_list"]


def read_source_list(path: Path) -> list[str]:
    """Feed URLs from a list file (one a line, `#` comments) or an OPML file."""
    return load_feed_list(path)


@dataclass(slots=True)
class PollResult:
    """One poll of one feed: the validators to send next time and what it yielded."""

    validators: Validators
    not_modified: bool = False
    items: list[RawRecord | DeadLetter] = field(default_factory=list)


class FeedPoller:
    """Polls feeds through one `Fetcher`, kept for the life of a worker."""

    def __init__(self, fetch: FetchSettings = FetchSettings(), pages: PageSettings = PageSettings()) -> None:
        self._fetcher = Fetcher(fetch)
        self._pages = pages

    def close(self) -> None:
        self._fetcher.close()

    def poll(self, url: str, validators: Validators = Validators(), skip: Iterable[str] = ()) -> PollResult:
        """Fetch `url` (conditionally) and read the pages of its items not in `skip` (links)."""
        try:
            response = self._fetcher.get(url, etag=validators.etag, last_modified=validators.last_modified)
        except FetchError as error:
            return PollResult(validators, items=[DeadLetter.of(STAGE, error.reason, error.detail, url, "")])
        if response.not_modified:
            return PollResult(validators, not_modified=True)
        fresh = Validators.of(response.headers) or Validators()
        try:
            feed = parse_feed(response.body, response.url, response.headers.get("content-type"))
        except RecordError as error:
            raw = response.body[:4096].decode("utf-8", "replace")
            return PollResult(fresh, items=[DeadLetter.of(STAGE, error.reason, error.detail, url, raw)])
        result = PollResult(fresh, items=[DeadLetter.of(STAGE, "missing_link", d, url, e) for d, e in feed.skipped])
        skipped = set(skip)
        for harvested in harvest([i for i in feed.items if i.url not in skipped], fetcher=self._fetcher,
                                 settings=self._pages):
            result.items.extend(harvested.outputs)
        return result
