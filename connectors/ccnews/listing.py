"""Which CC-NEWS WARC files cover a date range, from each month's `warc.paths.gz`.

Common Crawl publishes CC-NEWS as `crawl-data/CC-NEWS/YYYY/MM/` folders whose
`warc.paths.gz` lists the month's files, each named by the time its crawl
started (`CC-NEWS-20250601012345-00042.warc.gz`). A file is picked when that
time falls in the range, and so is the last file started before the range,
which runs into it; the records inside are filtered by their own dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urljoin

from newsbeam.connectors.http import Fetcher
from newsbeam.connectors.http.decode import gunzip_if_gzipped

DEFAULT_BASE = "https://data.commoncrawl.org/"
WARC_NAME = re.compile(r"CC-NEWS-(\d{14})-\d+\.warc(?:\.gz)?$")


@dataclass(frozen=True, slots=True)
class DateRange:
    """Whole UTC days, both ends included; `start <= when < end` holds for the instants inside."""

    first: date
    last: date

    @classmethod
    def parse(cls, text: str) -> DateRange:
        """`2025-06-01..2025-06-07`, or one day `2025-06-01`."""
        first, sep, last = text.strip().partition("..")
        try:
            found = cls(date.fromisoformat(first.strip()), date.fromisoformat((last if sep else first).strip()))
        except ValueError:
            raise ValueError(f"not a date range: {text!r} (want YYYY-MM-DD..YYYY-MM-DD)") from None
        if found.last < found.first:
            raise ValueError(f"the range {text!r} ends before it starts")
        return found

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), timezone.utc)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), timezone.utc)

    def __contains__(self, when: datetime) -> bool:
        return self.start <= when < self.end

    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every month the range touches, in order."""
        months, year, month = [], self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


def warc_time(path: str) -> datetime | None:
    """The crawl start a CC-NEWS file's name states, or None for a name of another shape."""
    match = WARC_NAME.search(path)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


def select_warcs(paths: list[str], dates: DateRange) -> list[str]:
    """The listed paths whose file names' times fall in `dates`, and the last one started before, in time order.

    A file holds what was captured from its start until the next file's: the
    one started last before the range holds the range's first minutes.
    """
    timed = sorted((when, path) for path in paths if (when := warc_time(path)) is not None and when < dates.end)
    inside = [i for i, (when, _) in enumerate(timed) if when >= dates.start]
    first = inside[0] - 1 if inside else len(timed) - 1
    return [path for _, path in timed[max(first, 0):]]


def paths_listing_url(base: str, year: int, month: int) -> str:
    return urljoin(base if base.endswith("/") else base + "/", f"crawl-data/CC-NEWS/{year:04d}/{month:02d}/warc.paths.gz")


def list_warcs(base: str, dates: DateRange, fetcher: Fetcher) -> list[str]:
    """The paths (relative to `base`) of the WARC files covering `dates`, read from each month's listing.

    A listing that cannot be fetched raises `FetchError`: a backfill that silently
    skipped a month would look complete.
    """
    paths: list[str] = []
    # The month before, too, when the range starts on the 1st: its last file may run into the range.
    for year, month in DateRange(dates.first - timedelta(days=1), dates.last).months():
        body = gunzip_if_gzipped(fetcher.get(paths_listing_url(base, year, month)).body, fetcher.settings.max_body_bytes)
        paths.extend(line.strip() for line in body.decode("utf-8", "replace").splitlines() if line.strip())
    return select_warcs(paths, dates)
