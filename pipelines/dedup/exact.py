"""Exact duplicates: one canonical URL, or one normalized text, seen twice."""

from __future__ import annotations

from datetime import timedelta

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
        for key in self._keys(article):
            self._first.setdefault(key, original or article.id)
            self._expiry.touch(key, article.published)
        for key in self._expiry.expired():
            self._first.pop(key, None)

    @staticmethod
    def _keys(article: Article) -> list[str]:
        keys = [f"hash:{article.content_hash}"]
        if article.canonical_url:
            keys.append(f"url:{article.canonical_url}")
        return keys
