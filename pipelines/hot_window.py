"""Bounded state: forget what is older than a horizon, measured in event time."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ExpiryQueue:
    """Keys with the event time they were last touched; pops those past a horizon.

    Memory of every online index (dedup keys, hot events) is bounded by what falls
    inside the horizon, not by the corpus. A key touched again is queued again and
    its older entry ignored when it comes out (lazy deletion).

    Articles are assigned in publication order, so touches nearly always come in
    time order: those go to the back of a deque, which stays sorted, and cost O(1);
    only a touch earlier than the latest queued (a merge re-dating an event, a late
    arrival in a stream) goes to a heap. `expired` takes from whichever front is
    older, so keys leave in (time, touch) order either way, at the same watermark
    as from one heap, and each entry is queued and taken out once.
    """

    def __init__(self, horizon: timedelta) -> None:
        self.horizon = horizon
        #: (time, touch number, key) in time order: touches no earlier than the last queued.
        self._in_order: deque[tuple[datetime, int, Hashable]] = deque()
        #: (time, touch number, key) of the touches that came out of order.
        self._late: list[tuple[datetime, int, Hashable]] = []
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
        entry = (when, self._counter, key)
        if not self._in_order or when >= self._in_order[-1][0]:
            self._in_order.append(entry)
        else:
            heapq.heappush(self._late, entry)

    def expired(self) -> Iterator[Hashable]:
        """Pop every key last touched before `watermark - horizon`."""
        if self.watermark is None:
            return
        cutoff = self.watermark - self.horizon
        while True:
            if self._late and (not self._in_order or self._late[0][:2] < self._in_order[0][:2]):
                if self._late[0][0] >= cutoff:
                    return
                when, _, key = heapq.heappop(self._late)
            elif self._in_order and self._in_order[0][0] < cutoff:
                when, _, key = self._in_order.popleft()
            else:
                return
            if self._latest.get(key) == when:
                del self._latest[key]
                yield key

    def last_touched(self, key: Hashable) -> datetime | None:
        """When `key` was last touched, or None when it is not held."""
        return self._latest.get(key)

    def restore(self, touched: Iterable[tuple[Hashable, datetime]], watermark: datetime | None) -> None:
        """Hold exactly these keys with these times (a saved queue being resumed).

        Only the times are saved; the queue is rebuilt from them, so a key expires
        at the same watermark as in the queue that was saved.
        """
        self._latest = dict(touched)
        self._in_order = deque(sorted((when, counter, key) for counter, (key, when) in enumerate(self._latest.items())))
        self._late = []
        self._counter = len(self._in_order)
        self.watermark = watermark


class ExpiringMap(Generic[K, V]):
    """A mapping whose keys leave when they were last touched more than a horizon ago.

    The dedup keys (key → first article), the near-duplicate originals (original →
    its order and signature) and the originals' event links (original → event) are
    such maps: each `put` or `setdefault` touches its key at the article's
    publication time, and `expire` drops the keys the watermark has left behind,
    oldest first, each once (`ExpiryQueue`), so the cost per article does not grow
    with the map.

    `unsaved` collects the keys added, re-timed or dropped since the state was
    last saved; it is None until saving starts (the first save writes the whole map).
    """

    def __init__(self, horizon: timedelta) -> None:
        self._values: dict[K, V] = {}
        self._expiry = ExpiryQueue(horizon)
        self.unsaved: set[K] | None = None

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: K) -> V | None:
        return self._values.get(key)

    def keys(self) -> Iterator[K]:
        return iter(self._values)

    @property
    def watermark(self) -> datetime | None:
        """The latest time any key was touched at: what `expire` measures the horizon back from."""
        return self._expiry.watermark

    def put(self, key: K, value: V, when: datetime | None) -> None:
        """Map `key` to `value`, touched at `when` (None: at the watermark)."""
        self._values[key] = value
        self._touch(key, when)

    def setdefault(self, key: K, value: V, when: datetime | None) -> V:
        """Touch `key` at `when`, mapping it to `value` unless it is held already; its value."""
        held = self._values.setdefault(key, value)
        self._touch(key, when)
        return held

    def expire(self) -> list[tuple[K, V]]:
        """Drop and return the (key, value) pairs last touched before `watermark - horizon`."""
        expired = [(key, self._values.pop(key)) for key in self._expiry.expired()]
        if self.unsaved is not None:
            self.unsaved.update(key for key, _ in expired)
        return expired

    def entry(self, key: K) -> tuple[V, datetime | None] | None:
        """(value, last touched) of a held key, None when the key is not held."""
        if key not in self._values:
            return None
        return self._values[key], self._expiry.last_touched(key)

    def restore(self, entries: Iterable[tuple[K, V, datetime | None]], watermark: datetime | None) -> None:
        """Hold exactly these (key, value, last touched) entries, as `entry` gave them."""
        entries = list(entries)
        self._values = {key: value for key, value, _ in entries}
        self._expiry.restore(((key, when) for key, _, when in entries if when is not None), watermark)

    def _touch(self, key: K, when: datetime | None) -> None:
        self._expiry.touch(key, when)
        if self.unsaved is not None:
            self.unsaved.add(key)
