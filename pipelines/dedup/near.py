"""Near duplicates: syndicated copies of one text, found by MinHash LSH and verified."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

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

    The banding is datasketch's `MinHashLSH` (its choice of bands and rows for the
    threshold), kept as one dict per band keyed by the band's bytes: the same
    candidates, without a storage layer's method calls per band, which cost more
    than the rest of the look-up. Snapshots keep only the signatures; the bands
    are rebuilt from them.
    """

    def __init__(self, threshold: float, num_perm: int, horizon: timedelta) -> None:
        self.threshold = threshold
        self._bands, self._rows = _banding(threshold, num_perm)
        self._signatures: dict[str, np.ndarray] = {}
        self._order: dict[str, int] = {}
        self._expiry = ExpiryQueue(horizon)
        self._added = 0
        self._tables: list[dict[bytes, set[str]]] = [{} for _ in range(self._bands)]
        self._last_signature: np.ndarray | None = None
        self._last_keys: list[bytes] = []

    def __len__(self) -> int:
        return len(self._signatures)

    def original_of(self, features: ArticleFeatures) -> str | None:
        """The earliest indexed original whose text this one nearly repeats."""
        candidates: set[str] = set()
        for table, key in zip(self._tables, self._band_keys(features.signature)):
            if (bucket := table.get(key)) is not None:
                candidates |= bucket
        verified = [key for key in candidates if similarity(self._signatures[key], features.signature) >= self.threshold]
        return min(verified, key=self._order.__getitem__) if verified else None

    def add(self, features: ArticleFeatures) -> None:
        key = features.article_id
        self._post(key, features.signature)
        self._signatures[key] = features.signature
        self._order[key] = self._added
        self._added += 1
        self._expiry.touch(key, features.published)
        for old in self._expiry.expired():
            signature = self._signatures.pop(old)
            del self._order[old]
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

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for derived in ("_tables", "_last_signature", "_last_keys"):
            del state[derived]
        return state

    def __setstate__(self, state: dict) -> None:
        if (lsh := state.pop("_lsh", None)) is not None:  # a snapshot from when datasketch held the bands
            state["_bands"], state["_rows"] = lsh.b, lsh.r
        self.__dict__.update(state)
        self._tables = [{} for _ in range(self._bands)]
        self._last_signature, self._last_keys = None, []
        for key in sorted(self._signatures, key=self._order.__getitem__):
            self._post(key, self._signatures[key])


@cache
def _banding(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows per band that datasketch picks for this threshold."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two shingle sets behind two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)
