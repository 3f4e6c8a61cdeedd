"""Exact duplicates: one canonical URL, or one normalized text, seen twice."""

from __future__ import annotations

from datetime import timedelta

from newsbeam.pipelines.hot_window import ExpiringMap
from newsbeam.schemas import Article


class ExactDuplicateIndex:
    """Canonical URL and content hash → the first article that had it.

    Keys live for the dedup horizon after they were last seen, so memory follows
    the arrival rate, not the corpus size. `first` is the map the state is saved
    from and restored into.
    """

    def __init__(self, horizon: timedelta) -> None:
        self.first: ExpiringMap[str, str] = ExpiringMap(horizon)

    def __len__(self) -> int:
        return len(self.first)

    def original_of(self, article: Article) -> str | None:
        """The id of an earlier article with the same URL or text, if any."""
        for key in self._keys(article):
            if (original := self.first.get(key)) is not None:
                return original
        return None

    def add(self, article: Article, original: str | None = None) -> None:
        """Remember the article's keys; a copy's keys lead to its original, so a
        copy of a copy still points at the first-seen article."""
        for key in self._keys(article):
            self.first.setdefault(key, original or article.id, article.published)
        self.first.expire()

    @staticmethod
    def _keys(article: Article) -> list[str]:
        keys = [f"hash:{article.content_hash}"]
        if article.canonical_url:
            keys.append(f"url:{article.canonical_url}")
        return keys
