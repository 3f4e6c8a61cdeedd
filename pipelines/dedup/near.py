"""Near duplicates: syndicated copies of one text, found by MinHash LSH and verified."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from datasketch import MinHashLSH

from newsbeam.pipelines.features import ArticleFeatures
from newsbeam.pipelines.hot_window import ExpiryQueue


class NearDuplicateIndex:
    """Originals within the horizon, retrievable by LSH band collisions.

    LSH makes candidate retrieval O(1) per article; each candidate is then verified
    on the full signature (the estimated Jaccard similarity of word shingles), and
    the earliest verified original wins. Only originals are indexed, so every
    duplicate points at the first article of its group, never at another copy.
    """

    def __init__(self, threshold: float, num_perm: int, horizon: timedelta) -> None:
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._signatures: dict[str, np.ndarray] = {}
        self._order: dict[str, int] = {}
        self._expiry = ExpiryQueue(horizon)
        self._added = 0

    def __len__(self) -> int:
        return len(self._signatures)

    def original_of(self, features: ArticleFeatures) -> str | None:
        """The earliest indexed original whose text this one nearly repeats."""
        verified = [
            key
            for key in self._lsh.query(_HashValues(features.signature))
            if similarity(self._signatures[key], features.signature) >= self.threshold
        ]
        return min(verified, key=self._order.__getitem__) if verified else None

    def add(self, features: ArticleFeatures) -> None:
        key = features.article_id
        self._lsh.insert(key, _HashValues(features.signature), check_duplication=False)
        self._signatures[key] = features.signature
        self._order[key] = self._added
        self._added += 1
        self._expiry.touch(key, features.published)
        for old in self._expiry.expired():
            self._lsh.remove(old)
            del self._signatures[old]
            del self._order[old]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two shingle sets behind two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


class _HashValues:
    """The one attribute MinHashLSH reads from a MinHash, without rebuilding one."""

    __slots__ = ("hashvalues",)

    def __init__(self, hashvalues: np.ndarray) -> None:
        self.hashvalues = hashvalues

    def __len__(self) -> int:
        return len(self.hashvalues)
