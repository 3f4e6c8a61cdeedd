"""CC-NEWS WARC files as reader specs (`ccnews:PATH`), streamed over HTTP, finished files remembered.

Each WARC file is one spec, so Beam reads files in parallel and a broken one
costs only its own dead letter. Records are turned down by their headers —
capture date, host, declared language — before their pages are decompressed or
extracted; the language the extraction finds is checked after. A file read to
its end yields a `ListingCheckpoint` naming it; the pipeline commits it (marks
the file finished in the connector state) only after the index writes of the
run landed, so a re-run skips finished files and reads again any file that
failed or was cut off (the index skips the articles that landed from it).
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from urllib3.exceptions import HTTPError
from warcio.exceptions import ArchiveLoadFailed

from newsbeam.connectors.ccnews.listing import DEFAULT_BASE, DateRange
from newsbeam.connectors.files.warc import read_warc_stream
from newsbeam.connectors.http import FetchError, Fetcher, FetchSettings
from newsbeam.connectors.pages.extract import language_code
from newsbeam.connectors.records import RawRecord, ReadItem
from newsbeam.connectors.state import ConnectorState, ListingCheckpoint
from newsbeam.connectors.web import FetchingReader
from newsbeam.pipelines.normalize.dates import as_utc, parse_stated
from newsbeam.schemas import DeadLetter

CCNEWS = "ccnews:"
STAGE = "read"


def finished_key(path: str) -> str:
    """The connector-state key that marks a WARC file read to its end (by path, so a mirror counts too)."""
    return CCNEWS + path


@dataclass(frozen=True, slots=True)
class CCNewsSettings:
    """Everything a worker needs to read CC-NEWS files; plain data, picklable."""

    state_path: str
    dates: DateRange
    base: str = DEFAULT_BASE
    fetch: FetchSettings = field(default_factory=FetchSettings)
    #: Keep only pages of these hosts and their subdomains (empty: every host).
    hosts: tuple[str, ...] = ()
    #: Keep only pages in these languages, two-letter codes (empty: every language).
    languages: tuple[str, ...] = ()
    #: Show a progress bar (files, records, articles/s) on stderr.
    progress: bool = False
    files: int = 0


def _host_kept(url: str, hosts: tuple[str, ...]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == wanted or host.endswith("." + wanted) for wanted in hosts)


class _Progress:
    """One tqdm bar per process: files finished, records seen, articles kept a second."""

    def __init__(self, files: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=files, desc="cc-news", unit="file", mininterval=1.0)
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self.records = self.articles = 0

    def count(self, *, records: int = 0, articles: int = 0, files: int = 0) -> None:
        with self._lock:
            self.records += records
            self.articles += articles
            if files:
                self._bar.update(files)
            if files or self.records % 200 == 0:
                rate = self.articles / max(time.monotonic() - self._started, 1e-9)
                self._bar.set_postfix(records=self.records, articles=self.articles,
                                      **{"articles/s": f"{rate:.1f}"}, refresh=False)


class CCNewsReader(FetchingReader):
    """`reader(spec)` for `ReadRecords`: `ccnews:PATH` specs here, any other spec to `fallback`.

    Checkpoints from either go to the same connector state (`commit`). Pickles
    as its settings and fallback.
    """

    settings: CCNewsSettings

    def __init__(self, settings: CCNewsSettings, fallback: Callable[[str], Iterable[ReadItem]]) -> None:
        super().__init__(settings)
        self.fallback = fallback
        self._progress: _Progress | None = None

    def __reduce__(self):
        return (CCNewsReader, (self.settings, self.fallback))

    def __call__(self, spec: str) -> Iterator[ReadItem]:
        if not spec.startswith(CCNEWS):
            yield from self.fallback(spec)
            return
        fetcher = self._open_fetcher()
        if self.settings.progress and self._progress is None:
            self._progress = _Progress(self.settings.files)
        path = spec[len(CCNEWS):]
        url = urljoin(self.settings.base if self.settings.base.endswith("/") else self.settings.base + "/", path)
        try:
            with fetcher.stream(url) as body:
                for item in read_warc_stream(body, url, keep=self._keep):
                    if isinstance(item, RawRecord) and not self._language_kept(item.data.get("language")):
                        continue
                    if self._progress is not None:
                        self._progress.count(articles=isinstance(item, RawRecord))
                    yield item
        except FetchError as error:
            yield DeadLetter.of(STAGE, "ccnews_unavailable", f"{error.reason}: {error.detail}", url, "")
            return
        except (HTTPError, OSError, EOFError, zlib.error, ArchiveLoadFailed) as error:
            # Cut off mid-file: what was read stays, the file is read again next run.
            yield DeadLetter.of(STAGE, "ccnews_interrupted", f"{type(error).__name__}: {error}", url, "")
            return
        if self._progress is not None:
            self._progress.count(files=1)
        yield ListingCheckpoint(url, seen=(finished_key(path),))

    def _keep(self, record: Any) -> bool:
        """Whether a response record is worth extracting, from its headers alone."""
        if self._progress is not None:
            self._progress.count(records=1)
        settings = self.settings
        # An unreadable capture date filters nothing: the page's own date is read on extraction.
        stated = parse_stated(record.rec_headers.get_header("WARC-Date"))
        if stated is not None and as_utc(stated) not in settings.dates:
            return False
        if settings.hosts and not _host_kept(record.rec_headers.get_header("WARC-Target-URI") or "", settings.hosts):
            return False
        declared = (record.rec_headers.get_header("WARC-Identified-Content-Language")
                    or record.http_headers.get_header("content-language"))
        return self._language_kept(language_code((declared or "").split(",", 1)[0]), declared_only=True)

    def _language_kept(self, language: str | None, *, declared_only: bool = False) -> bool:
        """Unknown languages pass the header check (extraction detects them) but not the final one."""
        if not self.settings.languages:
            return True
        if language is None:
            return declared_only
        return language in self.settings.languages


def unfinished(state: ConnectorState, paths: list[str]) -> list[str]:
    """The paths not yet read to their end by an earlier run, in their order."""
    left = set(state.unseen([finished_key(path) for path in paths]))
    return [path for path in paths if finished_key(path) in left]


def plan_backfill(settings: CCNewsSettings, fallback: Callable[[str], Iterable[ReadItem]]
                  ) -> tuple[CCNewsReader, list[str], int]:
    """The reader, the specs of the range's unfinished WARC files, and how many files earlier runs finished.

    Raises `FetchError` when a month's listing cannot be read.
    """
    from dataclasses import replace

    from newsbeam.connectors.ccnews.listing import list_warcs

    with Fetcher(settings.fetch) as fetcher:
        paths = list_warcs(settings.base, settings.dates, fetcher)
    state = ConnectorState(settings.state_path)
    try:
        left = unfinished(state, paths)
    finally:
        state.close()
    reader = CCNewsReader(replace(settings, files=len(left)), fallback)
    return reader, [CCNEWS + path for path in left], len(paths) - len(left)
