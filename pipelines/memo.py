"""A memo for pure functions called millions of times on comparatively few distinct values."""

from __future__ import annotations


class Memo(dict):
    """A per-process memo of a pure function of one value, emptied when full.

    News vocabulary is Zipfian: a few tens of thousands of words make up nearly
    every token, so looking a word up here costs a fraction of stemming or hashing
    it again. A plain dict whose misses are filled by `__missing__` keeps the hit
    path in C (no Python call per token, unlike `lru_cache`); emptying it when it
    reaches `limit` bounds memory on streams with an open vocabulary.
    """

    def __init__(self, compute, limit: int = 1 << 18) -> None:
        super().__init__()
        self._compute = compute
        self._limit = limit

    def __missing__(self, key):
        if len(self) >= self._limit:
            self.clear()
        value = self[key] = self._compute(key)
        return value
