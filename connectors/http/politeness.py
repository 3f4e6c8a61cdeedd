"""Per-host politeness: a minimum interval between requests and a cap on requests in flight.

Only hosts that still constrain a request are remembered. A host with nothing in
flight or waiting, whose last request started longer ago than its interval and
whose `Retry-After` has passed, is forgotten when the map grows past a size:
starting it afresh lets its next request go at once, which the interval allowed
anyway. So a long run over many hosts keeps the hosts of its hot window, not
every host it ever touched. A `Crawl-delay` raise is forgotten with its host;
the fetcher applies it again before each request from the robots.txt rules it keeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import urlsplit

#: Host count at which idle hosts are first swept out; after a sweep the next one
#: waits until the map doubles what remained, so a request costs O(1) amortised.
SWEEP_AT = 1024


class _Host:
    __slots__ = ("slots", "users", "last_start", "interval", "not_before")

    def __init__(self, slots: int, interval: float) -> None:
        self.slots = threading.BoundedSemaphore(slots)
        #: Threads holding or waiting for a slot; a host in use is never forgotten.
        self.users = 0
        self.last_start = float("-inf")
        self.interval = interval
        #: Nothing starts before this (`Retry-After`, back-off).
        self.not_before = float("-inf")

    def next_start(self) -> float:
        return max(self.last_start + self.interval, self.not_before)


class HostGate:
    """Spaces requests to each host and bounds how many run at once.

    Thread-safe, so one gate serves every thread of a process (Beam runs several
    DoFn threads per worker): politeness is per host, whoever is asking. One lock
    guards the bookkeeping; nobody sleeps or waits for a slot while holding it.
    """

    def __init__(self, *, min_interval: float, max_per_host: int,
                 host_intervals: Mapping[str, float] | None = None) -> None:
        self._min_interval = min_interval
        self._host_intervals = {host.lower(): seconds for host, seconds in (host_intervals or {}).items()}
        self._max_per_host = max_per_host
        self._hosts: dict[str, _Host] = {}
        self._sweep_at = SWEEP_AT
        self._lock = threading.Lock()

    def _host(self, host: str) -> _Host:
        """The host's state, made if it is not kept; the caller holds `_lock`."""
        state = self._hosts.get(host)
        if state is None:
            if len(self._hosts) >= self._sweep_at:
                self._sweep()
            state = self._hosts[host] = _Host(self._max_per_host, self.interval_of(host))
        return state

    def _sweep(self) -> None:
        """Forget every host that constrains nothing any more (see the module docstring)."""
        now = time.monotonic()
        idle = [name for name, state in self._hosts.items() if not state.users and state.next_start() <= now]
        for name in idle:
            del self._hosts[name]
        self._sweep_at = max(SWEEP_AT, 2 * len(self._hosts))

    def interval_of(self, host: str) -> float:
        """The configured interval of `host` (a URL's netloc): its own override (with or
        without the port), else its nearest parent domain's, else the default."""
        if host.lower() in self._host_intervals:
            return self._host_intervals[host.lower()]
        name = urlsplit(f"//{host}").hostname or ""
        while name:
            if name in self._host_intervals:
                return self._host_intervals[name]
            name = name.partition(".")[2]
        return self._min_interval

    def slow_down(self, host: str, interval: float) -> None:
        """Raise a host's interval (robots.txt `Crawl-delay`); never lowers it. The raise
        counts from the host's last start, so it also delays a start already due."""
        with self._lock:
            state = self._host(host)
            state.interval = max(state.interval, interval)

    def defer(self, host: str, seconds: float) -> None:
        """Start nothing at `host` for `seconds` (after a 429/503 `Retry-After`)."""
        with self._lock:
            state = self._host(host)
            state.not_before = max(state.not_before, time.monotonic() + seconds)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of the host's slots, starting no sooner than its interval allows."""
        with self._lock:
            state = self._host(host)
            state.users += 1
        try:
            with state.slots:
                with self._lock:
                    start = max(time.monotonic(), state.next_start())
                    state.last_start = start
                delay = start - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                yield
        finally:
            with self._lock:
                state.users -= 1
