"""Near duplicates: syndicated copies of one text, found by MinHash LSH and verified."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

import numpy as np
from datasketch import MinHashLSH

from newsbeam.pipelines.features import ArticleFeatures
from newsbeam.pipelines.hot_window import ExpiringMap


class NearDuplicateIndex:
    """Originals within the horizon, retrievable by LSH band collisions.

    LSH makes candidate retrieval O(1) per article; each candidate is then verified
    on the full signature (the estimated Jaccard similarity of word shingles), and
    the earliest verified original wins. Only originals are indexed, so every
    duplicate points at the first article of its group, never at another copy.

    The banding is datasketch's `MinHashLSH` (its choice of bands and rows for the
    threshold), kept as one dict per band keyed by the band's bytes: the same
    candidates, without a storage layer's method calls per band, which cost more
    than the rest of the look-up. Saved state keeps only the signatures; the bands
    are rebuilt from them (`restore`).
    """

    def __init__(self, threshold: float, num_perm: int, horizon: timedelta) -> None:
        self.threshold = threshold
        self._bands, self._rows = _banding(threshold, num_perm)
        #: Each original within the horizon: (its place in the order originals were added, its signature).
        self.originals: ExpiringMap[str, tuple[int, np.ndarray]] = ExpiringMap(horizon)
        self._added = 0
        self._tables: list[dict[bytes, set[str]]] = [{} for _ in range(self._bands)]
        self._last_signature: np.ndarray | None = None
        self._last_keys: list[bytes] = []

    def __len__(self) -> int:
        return len(self.originals)

    def original_of(self, features: ArticleFeatures) -> str | None:
        """The earliest indexed original whose text this one nearly repeats."""
        candidates: set[str] = set()
        for table, key in zip(self._tables, self._band_keys(features.signature)):
            if (bucket := table.get(key)) is not None:
                candidates |= bucket
        earliest: tuple[int, str] | None = None
        for key in candidates:
            order, signature = self.originals.get(key)
            if similarity(signature, features.signature) >= self.threshold and (earliest is None or order < earliest[0]):
                earliest = (order, key)
        return earliest[1] if earliest else None

    def add(self, features: ArticleFeatures) -> None:
        key = features.article_id
        self._post(key, features.signature)
        self.originals.put(key, (self._added, features.signature), features.published)
        self._added += 1
        for old, (_, signature) in self.originals.expire():
            for table, band in zip(self._tables, self._band_keys(signature)):
                bucket = table[band]
                bucket.discard(old)
                if not bucket:
                    del table[band]

    def _band_keys(self, signature: np.ndarray) -> list[bytes]:
        """Each band of the signature as bytes (a void view: one call, no per-band slicing).

        An original is looked up and then added with the same signature object,
        so the last answer is kept for it.
        """
        if signature is self._last_signature:
            return self._last_keys
        used = self._bands * self._rows
        keys = np.ascontiguousarray(signature[:used], dtype=np.uint32).view(f"V{4 * self._rows}").tolist()
        self._last_signature, self._last_keys = signature, keys
        return keys

    def _post(self, key: str, signature: np.ndarray) -> None:
        for table, band in zip(self._tables, self._band_keys(signature)):
            if (bucket := table.get(band)) is None:
                table[band] = {key}
            else:
                bucket.add(key)

    # -- saved state -------------------------------------------------------------

    @property
    def added(self) -> int:
        """Originals ever added: the next one's place in the "earliest original" order."""
        return self._added

    def restore(self, entries: Iterable[tuple[str, tuple[int, np.ndarray], datetime | None]], watermark: datetime | None,
                added: int) -> None:
        """Hold these (key, (order, signature), time) originals, as `originals.entry` gave them; the bands are rebuilt."""
        entries = sorted(entries, key=lambda entry: entry[1][0])
        self.originals.restore(entries, watermark)
        self._added = added
        self._tables = [{} for _ in range(self._bands)]
        self._last_signature, self._last_keys = None, []
        for key, (_, signature), _ in entries:
            self._post(key, signature)


@cache
def _banding(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows per band that datasketch picks for this threshold."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two shingle sets behind two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)
