"""Web sources as reader specs, so the batch pipeline reads them like files.

`ReadRecords` takes source specs and a reader function; `WebSourceReader` is
that function for `feed:URL` and `sitemap:URL` specs (anything else is a local
path). Each spec becomes one Beam element, so feeds are read in parallel and a
broken one only costs its own dead letters.

Reading marks nothing: the reader yields each listing's `ListingCheckpoint`
beside its records, and the pipeline hands them to `WebSourceReader.commit`
once the index holds what was read. The readers of one run share a run id, under
which they claim the items they take, so no item is read twice in a run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from newsbeam.connectors.feeds import FeedSettings, read_feed
from newsbeam.connectors.files import read_path
from newsbeam.connectors.http import Fetcher, FetchSettings
from newsbeam.connectors.records import ReadItem
from newsbeam.connectors.sitemaps import SitemapSettings, iter_sitemap_records
from newsbeam.connectors.state import ConnectorState, ListingCheckpoint, RunMemory

FEED = "feed:"
SITEMAP = "sitemap:"


@dataclass(frozen=True, slots=True)
class WebSourceSettings:
    """Everything a worker needs to read web sources; plain data, picklable."""

    state_path: str
    fetch: FetchSettings = field(default_factory=FetchSettings)
    feeds: FeedSettings = field(default_factory=FeedSettings)
    sitemaps: SitemapSettings = field(default_factory=SitemapSettings)
    #: Sitemap entries older than this are skipped (timezone-aware).
    since: datetime | None = None
    #: Names this run's claims on items; every worker gets the same one.
    run: str = field(default_factory=lambda: uuid.uuid4().hex)


class FetchingReader:
    """A reader that fetches and remembers: the fetcher and the state store are opened on
    first use in each worker and reused for every spec it reads, so per-host politeness
    and robots.txt caching span the whole run there. `settings` has `fetch` and
    `state_path`; subclasses pickle as their settings.
    """

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._fetcher: Fetcher | None = None
        self._state: ConnectorState | None = None

    def _open_fetcher(self) -> Fetcher:
        if self._fetcher is None:
            self._fetcher = Fetcher(self.settings.fetch)
        return self._fetcher

    def _open_state(self) -> ConnectorState:
        if self._state is None:
            self._state = ConnectorState(self.settings.state_path)
        return self._state

    def commit(self, checkpoints: Iterable[ListingCheckpoint]) -> None:
        """Remember what the checkpoints say; call only once their records are stored."""
        self._open_state().commit(checkpoints)

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()
        if self._state is not None:
            self._state.close()


class WebSourceReader(FetchingReader):
    """`reader(spec)` for `ReadRecords`: feeds, sitemaps, or local paths. Pickles as its settings."""

    settings: WebSourceSettings

    def __reduce__(self):
        return (WebSourceReader, (self.settings,))

    def __call__(self, spec: str) -> Iterator[ReadItem]:
        if spec.startswith(FEED):
            memory = RunMemory(self._open_state(), self.settings.run, spec)
            yield from read_feed(spec[len(FEED):], fetcher=self._open_fetcher(), memory=memory,
                                 settings=self.settings.feeds)
        elif spec.startswith(SITEMAP):
            memory = RunMemory(self._open_state(), self.settings.run, spec)
            yield from iter_sitemap_records(spec[len(SITEMAP):], since=self.settings.since,
                                            fetcher=self._open_fetcher(), memory=memory,
                                            settings=self.settings.sitemaps)
        else:
            yield from read_path(Path(spec))
