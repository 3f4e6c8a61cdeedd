"""Web sources as reader specs, so the batch pipeline reads them like files.

`ReadRecords` takes source specs and a reader function; `WebSourceReader` is
that function for `feed:URL` and `sitemap:URL` specs (anything else is a local
path). Each spec becomes one Beam element, so feeds are read in parallel and a
broken one only costs its own dead letters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from newsbeam.connectors.feeds import FeedSettings, read_feed
from newsbeam.connectors.files import read_path
from newsbeam.connectors.http import Fetcher, FetchSettings
from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.sitemaps import SitemapSettings, iter_sitemap_records
from newsbeam.connectors.state import ConnectorState
from newsbeam.schemas import DeadLetter

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


class WebSourceReader:
    """`reader(spec)` for `ReadRecords`: feeds, sitemaps, or local paths.

    The fetcher and the state store are opened on first use in each worker and
    reused for every spec it reads, so per-host politeness and robots.txt
    caching span the whole run there. Pickles as its settings.
    """

    def __init__(self, settings: WebSourceSettings) -> None:
        self.settings = settings
        self._fetcher: Fetcher | None = None
        self._state: ConnectorState | None = None

    def __reduce__(self):
        return (WebSourceReader, (self.settings,))

    def _open(self) -> tuple[Fetcher, ConnectorState]:
        if self._fetcher is None or self._state is None:
            self._fetcher = Fetcher(self.settings.fetch)
            self._state = ConnectorState(self.settings.state_path)
        return self._fetcher, self._state

    def __call__(self, spec: str) -> Iterator[RawRecord | DeadLetter]:
        if spec.startswith(FEED):
            fetcher, state = self._open()
            yield from read_feed(spec[len(FEED):], fetcher=fetcher, state=state, settings=self.settings.feeds)
        elif spec.startswith(SITEMAP):
            fetcher, state = self._open()
            yield from iter_sitemap_records(spec[len(SITEMAP):], since=self.settings.since, fetcher=fetcher,
                                            state=state, settings=self.settings.sitemaps)
        else:
            yield from read_path(Path(spec))

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()
        if self._state is not None:
            self._state.close()
