"""The near-duplicate index finds what datasketch's LSH finds, also after a snapshot."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from datasketch import MinHashLSH

from newsbeam.pipelines.dedup import NearDuplicateIndex
from newsbeam.pipelines.features import ArticleFeatures, MinHasher

START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _features(article_id: str, shingles: np.ndarray, hours: float = 0.0) -> ArticleFeatures:
    signature = MinHasher(128).signature(shingles.astype(np.uint32))
    return ArticleFeatures(article_id=article_id, published=START + timedelta(hours=hours), language="en", terms={},
                           surface={}, signature=signature, shingle_count=len(shingles))


def _corpus() -> list[ArticleFeatures]:
    rng = np.random.default_rng(3)
    texts = [rng.integers(0, 2**32, 300) for _ in range(40)]
    # Copies share 60-95% of their original's shingles.
    copies = [np.concatenate([texts[i][: 300 - k], rng.integers(0, 2**32, k)]) for i, k in zip(range(0, 40, 3), range(15, 200, 14))]
    return [_features(f"t{i}", t, i) for i, t in enumerate(texts)] + [
        _features(f"c{i}", c, 50 + i) for i, c in enumerate(copies)]


def test_candidates_and_originals_match_datasketch_and_survive_a_snapshot():
    corpus = _corpus()
    index = NearDuplicateIndex(0.5, 128, timedelta(days=3))
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    found = []
    for features in corpus:
        original = index.original_of(features)
        class Sketch:  # noqa: D401 - what MinHashLSH reads from a MinHash
            hashvalues = features.signature
            def __len__(self):
                return 128
        held = {key: index.originals.get(key) for key in lsh.query(Sketch())}
        reference = [key for key, (_, signature) in held.items() if np.count_nonzero(signature == features.signature) / 128 >= 0.5]
        assert original == (min(reference, key=lambda key: held[key][0]) if reference else None)
        found.append(original)
        if original is None:
            index.add(features)
            lsh.insert(features.article_id, Sketch())
    assert sum(f is not None for f in found) >= 5  # copies with Jaccard >= 0.5
    restored = NearDuplicateIndex(0.5, 128, timedelta(days=3))
    restored.restore(((key, *index.originals.entry(key)) for key in index.originals.keys()), index.originals.watermark,
                     index.added)
    assert [restored.original_of(f) for f in corpus[40:]] == [index.original_of(f) for f in corpus[40:]]


def test_index_forgets_originals_past_the_horizon():
    corpus = _corpus()
    index = NearDuplicateIndex(0.5, 128, timedelta(hours=5))
    for features in corpus[:40]:
        index.add(features)
    assert len(index) == 6 and sum(len(t) for t in index._tables) == 6 * index._bands
