"""Per-host politeness: a minimum interval between requests and a cap on requests in flight."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import urlsplit


class _Host:
    __slots__ = ("lock", "slots", "next_start", "interval")

    def __init__(self, slots: int, interval: float) -> None:
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(slots)
        self.next_start = 0.0
        self.interval = interval


class HostGate:
    """Spaces requests to each host and bounds how many run at once.

    Thread-safe, so one gate serves every thread of a process (Beam runs several
    DoFn threads per worker): politeness is per host, whoever is asking.
    """

    def __init__(self, *, min_interval: float, max_per_host: int,
                 host_intervals: Mapping[str, float] | None = None) -> None:
        self._min_interval = min_interval
        self._host_intervals = {host.lower(): seconds for host, seconds in (host_intervals or {}).items()}
        self._max_per_host = max_per_host
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()

    def _host(self, host: str) -> _Host:
        with self._lock:
            if host not in self._hosts:
                self._hosts[host] = _Host(self._max_per_host, self.interval_of(host))
            return self._hosts[host]

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
        """Raise a host's interval (robots.txt `Crawl-delay`); never lowers it."""
        state = self._host(host)
        with state.lock:
            state.interval = max(state.interval, interval)

    def defer(self, host: str, seconds: float) -> None:
        """Start nothing at `host` for `seconds` (after a 429/503 `Retry-After`)."""
        state = self._host(host)
        with state.lock:
            state.next_start = max(state.next_start, time.monotonic() + seconds)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of the host's slots, starting no sooner than its interval allows."""
        state = self._host(host)
        with state.slots:
            with state.lock:
                start = max(time.monotonic(), state.next_start)
                state.next_start = start + state.interval
            delay = start - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            yield
