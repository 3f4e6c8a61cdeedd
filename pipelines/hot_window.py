"""Bounded state: forget what is older than a horizon, measured in event time."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Iterator
from datetime import datetime, timedelta


class ExpiryQueue:
    """Keys with the event time they were last touched; pops those past a horizon.

    Memory of every online index (dedup keys, hot events) is bounded by what falls
    inside the horizon, not by the corpus. A key touched again is re-pushed and its
    older entry ignored when popped (lazy deletion keeps touches O(log n)).
    """

    def __init__(self, horizon: timedelta) -> None:
        self.horizon = horizon
        self._heap: list[tuple[datetime, int, Hashable]] = []
        self._latest: dict[Hashable, datetime] = {}
        self._counter = 0
        self.watermark: datetime | None = None

    def __len__(self) -> int:
        return len(self._latest)

    def touch(self, key: Hashable, when: datetime | None) -> None:
        """Record that `key` was used at `when` (None: at the current watermark)."""
        when = when or self.watermark
        if when is None:
            return
        if self.watermark is None or when > self.watermark:
            self.watermark = when
        previous = self._latest.get(key)
        if previous is not None and previous >= when:
            return
        self._latest[key] = when
        self._counter += 1
        heapq.heappush(self._heap, (when, self._counter, key))

    def expired(self) -> Iterator[Hashable]:
        """Pop every key last touched before `watermark - horizon`."""
        if self.watermark is None:
            return
        cutoff = self.watermark - self.horizon
        while self._heap and self._heap[0][0] < cutoff:
            when, _, key = heapq.heappop(self._heap)
            if self._latest.get(key) == when:
                del self._latest[key]
                yield key

    def last_touched(self, key: Hashable) -> datetime | None:
        """When `key` was last touched, or None when it is not held."""
        return self._latest.get(key)

    def restore(self, touched: Iterable[tuple[Hashable, datetime]], watermark: datetime | None) -> None:
        """Hold exactly these keys with these times (a saved queue being resumed).

        Only the times are saved; the heap is rebuilt from them, so a key expires
        at the same watermark as in the queue that was saved.
        """
        self._latest = dict(touched)
        self._heap = [(when, counter, key) for counter, (key, when) in enumerate(self._latest.items())]
        heapq.heapify(self._heap)
        self._counter = len(self._heap)
        self.watermark = watermark
