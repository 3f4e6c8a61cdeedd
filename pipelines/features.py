"""What dedup and clustering compare: weighted terms and a MinHash signature.

Featurizing is the costly, embarrassingly parallel part of the work, so it runs as
its own stage before the sequential assignment; the features carry raw term
weights, not TF-IDF, because document frequencies are only known online.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache

import numpy as np
import snowballstemmer
from datasketch import MinHash

from newsbeam.pipelines.normalize.text import fold_for_comparison
from newsbeam.schemas import Article

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_ENTITY = re.compile(r"\b[A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*")
_SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "es": "spanish", "eu": "basque", "fi": "finnish", "fr": "french", "hi": "hindi",
    "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian",
    "nl": "dutch", "no": "norwegian", "pl": "polish", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish", "ne": "nepali",
}


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """How text becomes features; part of the clustering configuration."""

    num_perm: int = 128
    shingle_words: int = 4
    title_weight: float = 3.0
    entity_weight: float = 1.5
    #: Only the opening of a long article counts for clustering: ledes name the
    #: event, tails wander into background that links unrelated stories.
    body_words: int = 400
    #: Stemmer for articles whose language could not be told (short headlines):
    #: one consistent stemmer keeps them comparable with each other.
    fallback_language: str = "en"


@dataclass(slots=True)
class ArticleFeatures:
    """Features of one article, ready for the online assignment stage."""

    article_id: str
    published: datetime | None
    #: The language the terms were stemmed in (the fallback when undetected).
    language: str
    #: Stemmed term → weight (title and entity boosts applied, sublinear TF).
    terms: dict[str, float]
    #: Stem → the surface form seen, for readable event keywords.
    surface: dict[str, str]
    signature: np.ndarray
    shingle_count: int


def has_stemmer(language: str) -> bool:
    """Whether terms of this language are stemmed (else the fallback stemmer is used)."""
    return language in _SNOWBALL


@cache
def _stemmer(language: str):
    name = _SNOWBALL.get(language)
    return snowballstemmer.stemmer(name) if name else None


@lru_cache(maxsize=1 << 18)
def _stem(language: str, word: str) -> str:
    stemmer = _stemmer(language)
    return stemmer.stemWord(word) if stemmer else word


def words(text: str) -> list[str]:
    """Case-folded word tokens, apostrophes inside words kept."""
    return _WORD.findall(text.casefold().replace("’", "'"))


def entities(text: str) -> list[str]:
    """Capitalised word runs (names, places) that do not start a sentence.

    A crude but language-agnostic proxy for named entities: it is what separates
    two stories that share only common verbs.
    """
    found = []
    for match in _ENTITY.finditer(text):
        start = match.start()
        before = text[max(0, start - 2) : start].strip()
        if start == 0 or before.endswith((".", "!", "?", "\n", "\"", "“")):
            continue
        found.append(match.group().casefold())
    return found


def _weigh(counts: Counter, factor: float, terms: dict[str, float]) -> None:
    for term, count in counts.items():
        terms[term] = terms.get(term, 0.0) + factor * (1.0 + math.log(count))


def stemming_language(article: Article, config: FeatureConfig) -> str:
    """The article's language when it can be stemmed, else the fallback language."""
    return article.language if has_stemmer(article.language) else config.fallback_language


def term_weights(article: Article, config: FeatureConfig) -> tuple[dict[str, float], dict[str, str]]:
    """Stemmed terms of title, lede and entities, with field boosts."""
    language = stemming_language(article, config)
    surface: dict[str, str] = {}

    def stems(tokens: list[str]) -> Counter:
        counts: Counter = Counter()
        for token, count in Counter(tokens).items():
            if len(token) < 2 and not token.isdigit():
                continue
            stem = _stem(language, token)
            surface.setdefault(stem, token)
            counts[stem] += count
        return counts

    body_tokens = words(article.text)[: config.body_words]
    terms: dict[str, float] = {}
    _weigh(stems(body_tokens), 1.0, terms)
    _weigh(stems(words(article.title)), config.title_weight, terms)
    # Names boost the stems they are made of rather than forming phrase features
    # of their own: "Charles Plosser", "Fed's Plosser" and "Plosser" must agree.
    lede = " ".join(article.text.split()[: config.body_words])
    _weigh(stems(words(" ".join(entities(f"{article.title}. {lede}")))), config.entity_weight, terms)
    return terms, surface


#: Odd multiplier that chains word hashes into a shingle hash (the FNV prime).
_CHAIN = np.uint64(0x01000193)
_LOW32 = np.uint64(0xFFFFFFFF)


@lru_cache(maxsize=1 << 18)
def _word_hash(word: str) -> int:
    return zlib.crc32(word.encode("utf-8"))


def shingle_hashes(text: str, size: int) -> np.ndarray:
    """32-bit hashes of the word n-grams of the folded text (what wire copies share).

    Each word is hashed once (cached) and the n-grams are chained in numpy:
    hashing every shingle's bytes with SHA-1 cost more than all other features
    together. MinHash mixes the values again, so a simple chain is enough.
    """
    tokens = fold_for_comparison(text).split()
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    size = max(1, min(size, len(tokens)))
    hashes = np.fromiter((_word_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    count = len(tokens) - size + 1
    chained = hashes[:count].copy()
    for offset in range(1, size):
        chained = (chained * _CHAIN + hashes[offset : offset + count]) & _LOW32
    return chained


@cache
def _template(num_perm: int) -> MinHash:
    # Building the permutations costs more than hashing a whole article: make them once.
    return MinHash(num_perm=num_perm, seed=1)


def featurize(article: Article, config: FeatureConfig = FeatureConfig()) -> ArticleFeatures:
    """All features of one article; deterministic across runs and machines."""
    terms, surface = term_weights(article, config)
    article_shingles = shingle_hashes(article.text, config.shingle_words)
    template = _template(config.num_perm)
    minhash = MinHash(num_perm=config.num_perm, seed=1, permutations=template.permutations, scheme=template.scheme,
                      hashfunc=int)
    minhash.update_batch(article_shingles.tolist())
    return ArticleFeatures(
        article_id=article.id,
        published=article.published,
        language=stemming_language(article, config),
        terms=terms,
        surface=surface,
        signature=minhash.hashvalues.astype(np.uint32),
        shingle_count=len(article_shingles),
    )
