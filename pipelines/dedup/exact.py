"""Exact duplicates: one canonical URL, or one normalized text, seen twice."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from newsbeam.pipelines.hot_window import ExpiryQueue
from newsbeam.schemas import Article


class ExactDuplicateIndex:
    """Canonical URL and content hash → the first article that had it.

    Keys live for the dedup horizon after they were last seen, so memory follows
    the arrival rate, not the corpus size.
    """

    def __init__(self, horizon: timedelta) -> None:
        self._first: dict[str, str] = {}
        self._expiry = ExpiryQueue(horizon)
        #: Keys added, re-timed or forgotten since the state was last saved
        #: (None until saving starts: then the whole index is written once).
        self.unsaved: set[str] | None = None

    def __len__(self) -> int:
        return len(self._first)

    def original_of(self, article: Article) -> str | None:
        """The id of an earlier article with the same URL or text, if any."""
        for key in self._keys(article):
            if (original := self._first.get(key)) is not None:
                return original
        return None

    def add(self, article: Article, original: str | None = None) -> None:
        """Remember the article's keys; a copy's keys lead to its original, so a
        copy of a copy still points at the first-seen article."""
        keys = self._keys(article)
        for key in keys:
            self._first.setdefault(key, original or article.id)
            self._expiry.touch(key, article.published)
        expired = list(self._expiry.expired())
        for key in expired:
            self._first.pop(key, None)
        if self.unsaved is not None:
            self.unsaved.update(keys, expired)

    # -- saved state -------------------------------------------------------------

    @property
    def watermark(self) -> datetime | None:
        return self._expiry.watermark

    def keys(self) -> Iterator[str]:
        return iter(self._first)

    def entry(self, key: str) -> tuple[str, datetime | None] | None:
        """(original, last seen) of a held key, None when the key is not held."""
        original = self._first.get(key)
        return None if original is None else (original, self._expiry.last_touched(key))

    def restore(self, entries: Iterable[tuple[str, str, datetime | None]], watermark: datetime | None) -> None:
        """Hold these (key, original, last seen) entries, as saved by `entry`."""
        entries = list(entries)
        self._first = {key: original for key, original, _ in entries}
        self._expiry.restore(((key, when) for key, _, when in entries if when is not None), watermark)

    @staticmethod
    def _keys(article: Article) -> list[str]:
        keys = [f"hash:{article.content_hash}"]
        if article.canonical_url:
            keys.append(f"url:{article.canonical_url}")
        return keys
