"""robots.txt rules per origin, kept and refreshed the way RFC 9309 asks.

RFC 9309 sorts a robots.txt fetch into three outcomes: rules (2xx), "unavailable"
(4xx: no rules, crawl anything) and "unreachable" (5xx or a network failure:
crawl nothing). Rules are cached for at most `max_age` (§2.4 asks for no more
than 24 hours). After a failure robots.txt is asked for again after a back-off
that doubles with each failure in a row, so one bad minute does not shut a host
out of a long-running job; meanwhile the last rules the origin gave stand in for
it, which §2.4 allows while robots.txt is unreachable, and with none the origin
stays closed.

The cache keeps at most `max_origins` origins, the least recently asked leaving
first; when an entry is stored, the least recently asked ones that are due for a
refresh leave too: a long run over many hosts keeps the robots.txt of its hot window. An
origin forgotten is read again when it comes back; forgetting an entry after a
failure forgets the last rules standing in for it, so the origin stays closed
until robots.txt answers, never opened.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from protego import Protego


class RobotsUnreachable(Exception):
    """robots.txt could not be read (5xx, network failure) and no earlier rules stand in."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


@dataclass(frozen=True, slots=True)
class _Entry:
    #: The latest rules the origin gave (an empty set for a 4xx); None until it gave any.
    rules: Protego | None
    #: Why the latest fetch failed; None when it succeeded.
    failure: Exception | None
    #: Fetches failed in a row.
    failures: int
    #: Clock reading after which robots.txt is fetched again.
    refresh_at: float


class _Fetching:
    """The lock one origin's fetch holds, and how many threads hold or wait for it."""

    __slots__ = ("lock", "threads")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.threads = 0


class RobotsCache:
    """Thread-safe: one fetch per origin at a time, the other threads of that origin wait for it.

    `load(origin)` fetches and parses an origin's robots.txt, returning the rules
    (an empty set for "unavailable") or raising `RobotsUnreachable`.
    """

    def __init__(
        self,
        load: Callable[[str], Protego],
        *,
        max_age: float,
        backoff: float,
        max_backoff: float,
        max_origins: int,
        clock: Callable[[], float],
    ) -> None:
        self._load = load
        self._max_age = max_age
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_origins = max_origins
        self._clock = clock
        #: Least recently asked first.
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        #: Origins being fetched; an origin leaves when no thread holds or waits for its lock.
        self._fetching: dict[str, _Fetching] = {}
        self._lock = threading.Lock()

    def rules(self, origin: str) -> Protego:
        """The rules that apply to `origin` now, fetching them if they are due.

        Raises `RobotsUnreachable` while robots.txt cannot be read and the origin
        never gave rules.
        """
        entry = self._current(origin)
        if entry.rules is None:
            assert entry.failure is not None
            raise RobotsUnreachable(entry.failure)
        return entry.rules

    def _current(self, origin: str) -> _Entry:
        with self._lock:
            entry = self._entries.get(origin)
            if entry is not None and self._clock() < entry.refresh_at:
                self._entries.move_to_end(origin)
                return entry
            fetching = self._fetching.setdefault(origin, _Fetching())
            fetching.threads += 1
        try:
            with fetching.lock:
                with self._lock:
                    entry = self._entries.get(origin)
                if entry is not None and self._clock() < entry.refresh_at:
                    return entry  # another thread fetched it while this one waited
                entry = self._fetch(origin, entry)
                with self._lock:
                    self._keep(origin, entry)
                return entry
        finally:
            with self._lock:
                fetching.threads -= 1
                if not fetching.threads:
                    del self._fetching[origin]

    def _keep(self, origin: str, entry: _Entry) -> None:
        """Store `entry` as the most recently asked, then drop the least recently asked
        while there are too many or it is due for a refresh; the caller holds `_lock`."""
        self._entries[origin] = entry
        self._entries.move_to_end(origin)
        now = self._clock()
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if len(self._entries) <= self._max_origins and now < oldest.refresh_at:
                break
            self._entries.popitem(last=False)

    def _fetch(self, origin: str, previous: _Entry | None) -> _Entry:
        try:
            rules = self._load(origin)
        except RobotsUnreachable as error:
            failures = (previous.failures if previous else 0) + 1
            wait = min(self._backoff * 2 ** min(failures - 1, 32), self._max_backoff)
            return _Entry(previous.rules if previous else None, error.cause, failures, self._clock() + wait)
        return _Entry(rules, None, 0, self._clock() + self._max_age)
