"""What dedup and clustering compare: weighted terms and a MinHash signature.

Featurizing is the costly, embarrassingly parallel part of the work, so it runs as
its own stage before the sequential assignment; the features carry raw term
weights, not TF-IDF, because document frequencies are only known online.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from itertools import repeat
from operator import itemgetter, mul

import numpy as np
import snowballstemmer
from datasketch import MinHash

from newsbeam.pipelines.memo import Memo
from newsbeam.pipelines.normalize.text import fold_case_and_quotes
from newsbeam.pipelines.rarity import background_idf
from newsbeam.schemas import Article

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
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
    #: Terms an article keeps, heaviest first. The clusterer compares its 60
    #: heaviest after weighing in the stream's document frequencies, which
    #: reorder terms but rarely lift one from below twice that rank; the rest
    #: would only be shipped to the sequential stage, counted and dropped.
    max_terms: int = 120
    #: Names an article reports as its main ones (`main_names`), for its event's description.
    names: int = 5
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
    #: Stemmed term → weight (title and entity boosts applied, sublinear TF,
    #: times the word's rarity in its language).
    terms: dict[str, float]
    #: Stem → the word seen for it, where the two differ ("elections" for
    #: "elect"), for readable event keywords; a stem missing here reads as itself.
    surface: dict[str, str]
    signature: np.ndarray
    shingle_count: int
    #: The names the article is most about, as written (`main_names`).
    names: tuple[str, ...] = ()

    def __reduce__(self):
        # Features cross a process boundary between featurizing and the sequential
        # assignment; pickled as dicts and an array object they cost about as much
        # as the assignment itself. Terms go as one key tuple and one packed array
        # of weights, the signature as its bytes.
        return _rebuild_features, (
            self.article_id, self.published, self.language, tuple(self.terms),
            array("d", self.terms.values()).tobytes(), tuple(self.surface), tuple(self.surface.values()),
            self.signature.tobytes(), self.shingle_count, self.names,
        )


def _rebuild_features(
    article_id: str, published: datetime | None, language: str, keys: tuple[str, ...], weights: bytes,
    stems: tuple[str, ...], words: tuple[str, ...], signature: bytes, shingle_count: int, names: tuple[str, ...],
) -> ArticleFeatures:
    return ArticleFeatures(article_id, published, language, dict(zip(keys, array("d", weights))),
                           dict(zip(stems, words)), np.frombuffer(signature, dtype=np.uint32), shingle_count, names)


def has_stemmer(language: str) -> bool:
    """Whether terms of this language are stemmed (else the fallback stemmer is used)."""
    return language in _SNOWBALL


@cache
def snowball_stemmer(language: str):
    """The Snowball stemmer of a language (PyStemmer's, in C), or None for a language without one."""
    name = _SNOWBALL.get(language)
    return snowballstemmer.stemmer(name) if name else None


def _stem_or_skip(stemmer, token: str) -> str | None:
    """A token's stem, or None for single letters (digits count: "5" is a term)."""
    if len(token) < 2 and not token.isdigit():
        return None
    if stemmer is None:
        return token
    return stemmer.stemWord(token)


@cache
def _stems(language: str) -> Memo:
    """Token → its stem, or None for a token too short to be a term."""
    return Memo(partial(_stem_or_skip, snowball_stemmer(language)))


@cache
def _rarities(language: str) -> Memo:
    """Word → its rarity in the language (see `rarity`)."""
    return Memo(partial(background_idf, language))


#: ASCII characters that separate words (all but letters, digits and the apostrophe).
_ASCII_SEPARATORS = {code: " " for code in range(128) if not (chr(code).isalnum() or chr(code) == "'")}
_APOSTROPHE_RUN = re.compile("'{2,}")


def words(text: str) -> list[str]:
    """Case-folded word tokens, apostrophes inside words kept.

    The tokens `_WORD` finds. Most text is ASCII, where mapping separators to
    spaces and splitting (then trimming apostrophes that are not inside a word)
    finds them several times faster than the Unicode-aware regex.
    """
    folded = text.casefold().replace("’", "'")
    if not folded.isascii():
        return _WORD.findall(folded)
    chunks = folded.translate(_ASCII_SEPARATORS).split()
    if "'" not in folded:
        return chunks
    return [word for chunk in chunks
            for word in (_APOSTROPHE_RUN.split(chunk.strip("'")) if "'" in chunk else (chunk,)) if word]


#: A run of capitalised words, `\b[A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*`, written
#: to start with its first capital (so the scan skips ahead to capitals instead
#: of testing a word boundary everywhere), with what precedes the run captured
#: by two lookbehinds: a sentence end right before it, or a sentence end and one
#: whitespace character.
_ENTITY_PATTERN = r"""([{upper}](?<!\w.)(?:(?<=([.!?"“«„]).)|(?<=([.!?"“«„]\s).))?[\w’'\-]*(?:\s+[{upper}][\w’'\-]*)*)"""
_ENTITY_IN_CONTEXT = re.compile(_ENTITY_PATTERN.format(upper="A-Z"))


@cache
def _entity_in_context_any_script() -> re.Pattern[str]:
    """`_ENTITY_IN_CONTEXT` for text beyond ASCII: capitals of every script with case (Latin
    with accents, Greek, Cyrillic, Armenian, …), so "Šefčovič" and "Шольц" are names too.

    Built on first use: finding the capitals scans every code point (~80 ms), which a
    process that reads only ASCII text need not pay at import.
    """
    capitals = "".join(c for c in map(chr, range(0x110000)) if c.isupper() or c.istitle())
    return re.compile(_ENTITY_PATTERN.format(upper=re.escape(capitals)))


def capitalised_runs(text: str) -> list[tuple[str, bool]]:
    """Every capitalised word run, as written, and whether it starts a sentence.

    One `findall` does both the scan and the sentence-start test, which
    per-match Python code made a tenth of all featurizing. ASCII text is scanned
    with an ASCII class of capitals, which is faster and finds the same runs.
    """
    pattern = _ENTITY_IN_CONTEXT if text.isascii() else _entity_in_context_any_script()
    runs = [(run, bool(after_end or after_end_space))
            for run, after_end, after_end_space in pattern.findall(text)]
    if text[:1].isupper() and runs:
        # The text opens with a capitalised run: the first match, at position 0, starts a sentence.
        runs[0] = (runs[0][0], True)
    return runs


#: Share of a headline's longer words (`_TITLE_CASE_WORD` letters or more) that are
#: capitalised when it is written in title case.
_TITLE_CASE_SHARE = 0.8
_TITLE_CASE_WORD = 4


def is_title_case(headline: str) -> bool:
    """Whether a headline is written in title case ("Biden's Dishonest Sales Pitch"): at
    least three words of four letters or more, four in five of them capitalised. Short
    words are left out because title-case styles differ on them ("of", "to", "With")."""
    longer = [word for word in headline.split() if len(word) >= _TITLE_CASE_WORD and word[0].isalpha()]
    return len(longer) >= 3 and sum(word[0].isupper() for word in longer) >= _TITLE_CASE_SHARE * len(longer)


def _run_words(runs: list[tuple[str, bool]]) -> list[str]:
    """The words of the capitalised runs (`capitalised_runs`) that do not start a sentence."""
    return words(" ".join(run for run, starts_sentence in runs if not starts_sentence))


def headline_name_words(headline: str, lede_names: Iterable[str]) -> list[str]:
    """The headline's words that may boost terms as names (`_run_words`), given the
    lede's (`lede_names`).

    In a title-case headline a capital is the outlet's house style, not a name, and
    taken for one it weighs that outlet's headline words (its framing: "Dishonest",
    "Sales", "Pitch") half as much again as a sentence-case outlet's. There a word
    counts only when the lede writes it capitalised past a sentence start.
    """
    runs = capitalised_runs(headline)
    if is_title_case(headline):
        confirmed = set(lede_names)
        runs = [(" ".join(word for word in run.split() if confirmed.issuperset(words(word))), starts_sentence)
                for run, starts_sentence in runs]
    return _run_words(runs)


_POSSESSIVE = re.compile(r"(?:['’]s?|-)$")
_POSSESSIVE_ENDS = ("'", "’", "'s", "’s", "-")


def main_names(runs: list[tuple[str, bool]], rarity: Memo, count: int) -> tuple[str, ...]:
    """The names an article is most about, from its capitalised runs (`capitalised_runs`).

    Ranked by how often a name occurs times how rare its last word is (a surname
    or a place's own word, not "Monday" or "State"), first appearance breaking
    ties; possessives dropped. A run that starts a sentence is a name only when
    it is two words or more once its leading common words ("The", "In") are
    dropped: "Councillor Ines Barrow said" opens many sentences, "Critics said"
    as many.
    """
    seen: dict[str, float] = {}
    for run, starts_sentence in runs:
        if starts_sentence:
            if " " not in run:  # most sentence openings: one capitalised word
                continue
            words_ = run.split()
            while words_ and rarity[words_[0].casefold()] < _COMMON_WORD_RARITY:
                del words_[0]
            if len(words_) < 2:
                continue
            run = " ".join(words_)
        name = _POSSESSIVE.sub("", run) if run.endswith(_POSSESSIVE_ENDS) else run
        if len(name) > 1:
            seen[name] = seen.get(name, 0.0) + 1.0
    if not seen:
        return ()
    weights = {name: n * rarity[name.rsplit(None, 1)[-1].casefold()] for name, n in seen.items()}
    return tuple(sorted(weights, key=weights.__getitem__, reverse=True)[:count])


#: Rarity (see `rarity`) below which a word is common in its language: Zipf 5 and
#: above, about the thousand most frequent words ("the", "in", "but", "after").
_COMMON_WORD_RARITY = 4.0 * math.log(10)


#: 1 + ln(count), the sublinear weight of a term seen `count` times in a field.
_SUBLINEAR = Memo(lambda count: 1.0 + math.log(count))


def _field_stems(tokens: list[str], factor: float, stems: Memo) -> tuple[dict[str, float], dict[str, str]]:
    """One field's stems with weight factor × (1 + ln count), in order of first
    appearance; and the first word seen for each stem.

    Per token, everything runs in C: a memo look-up, a count, a dict insert.
    Most of the cost is the look-ups themselves, in a memo of tens of
    thousands of words, where they are mostly cache misses.
    """
    token_stems = list(map(stems.__getitem__, tokens))
    counts = Counter(token_stems)
    # Read backwards, each stem's entry ends on its first word.
    first_words = dict(zip(reversed(token_stems), reversed(tokens)))
    counts.pop(None, None)  # too short to be terms
    first_words.pop(None, None)
    weights = map(mul, repeat(factor), map(_SUBLINEAR.__getitem__, counts.values()))
    return dict(zip(counts, weights)), first_words


def _add_weights(terms: dict[str, float], field: dict[str, float]) -> None:
    for stem, weight in field.items():
        terms[stem] = terms.get(stem, 0.0) + weight


def stemming_language(article: Article, config: FeatureConfig) -> str:
    """The article's language when it can be stemmed, else the fallback language."""
    return article.language if has_stemmer(article.language) else config.fallback_language


def term_weights(
    article: Article, config: FeatureConfig
) -> tuple[dict[str, float], dict[str, str], tuple[str, ...]]:
    """Stemmed terms of title, lede and entities, with field boosts, each
    scaled by its word's rarity in the language; the heaviest `max_terms` kept.
    With them, the word first seen for each kept stem that differs from it, and
    the article's main names (`main_names`)."""
    language = stemming_language(article, config)
    stems = _stems(language)
    # Only the lede counts, so only the lede is split and tokenized, not the
    # whole of a long text; a lede whose chunks hold too few words (a run of
    # dashes or bullets) falls back to the whole text.
    chunks = article.text.split(None, config.body_words)
    lede = " ".join(chunks[: config.body_words])
    body = words(lede)
    if len(body) < config.body_words < len(chunks):
        body = words(article.text)
    terms, body_words = _field_stems(body[: config.body_words], 1.0, stems)
    title, title_words = _field_stems(words(article.title), config.title_weight, stems)
    # Names boost the stems they are made of rather than forming phrase features
    # of their own: "Charles Plosser", "Fed's Plosser" and "Plosser" must agree.
    # The entities are the capitalised runs that do not start a sentence (a crude
    # but language-agnostic proxy for names and places: what separates two stories
    # that share only common verbs). Title and lede are scanned apart, each once;
    # the lede's opening run starts a sentence either way.
    lede_runs = capitalised_runs(lede)
    lede_names = _run_words(lede_runs)
    entity_words = headline_name_words(article.title, lede_names) + lede_names
    names, name_words = _field_stems(entity_words, config.entity_weight, stems)
    _add_weights(terms, title)
    _add_weights(terms, names)
    # A stem's word is the first seen for it, fields read in the order body, title, names.
    surface = name_words | title_words | body_words
    # The static half of the IDF (see `rarity`), the rarity of each stem's word:
    # known now, so paid here, in parallel.
    rarities = _rarities(language)
    rarity = map(rarities.__getitem__, map(surface.__getitem__, terms))
    weighted = dict(zip(terms, map(mul, terms.values(), rarity)))
    if len(weighted) > config.max_terms:
        weighted = dict(sorted(weighted.items(), key=itemgetter(1), reverse=True)[: config.max_terms])
    surface_forms = {stem: word for stem in weighted if (word := surface[stem]) != stem}
    # Names are taken from the lede only: title-case headlines capitalise every word.
    return weighted, surface_forms, main_names(lede_runs, rarities, config.names)


#: Odd multipliers: one weighs a word's bytes by position, one chains word
#: hashes into a shingle hash (the FNV prime).
_BYTE_BASE = 0x9E3779B1
_CHAIN = np.uint32(0x01000193)
#: The characters beyond ASCII that `str.split` takes for whitespace.
_UNICODE_WHITESPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


class _BytePowers:
    """BASE^i and BASE^-i modulo 2^32, for i up to the longest text seen so far."""

    def __init__(self) -> None:
        self.up = self.down = np.ones(0, dtype=np.uint32)

    def ensure(self, length: int) -> None:
        if length > len(self.up):
            size = 1 << max(12, length.bit_length())
            self.up = self._powers(_BYTE_BASE, size)
            self.down = self._powers(pow(_BYTE_BASE, -1, 1 << 32), size)

    @staticmethod
    def _powers(base: int, size: int) -> np.ndarray:
        factors = np.full(size, base, dtype=np.uint32)
        factors[0] = 1
        return np.cumprod(factors, dtype=np.uint32)


_powers = _BytePowers()


def word_hashes(text: str) -> np.ndarray:
    """A 32-bit hash of each word of the folded text, in order.

    The words are those of `comparison_words` (for cleaned text: control
    characters, which `clean_text` removes, would separate words here). They are
    found and hashed on the UTF-8 bytes in numpy, without a Python string per
    word: a word's hash is the polynomial sum of its bytes, Σ byte_i·BASE^i
    modulo 2^32, read off one running sum over the whole text. Splitting the
    text into words and hashing each one cost a tenth of all featurizing.
    """
    folded = fold_case_and_quotes(text)
    if not folded.isascii() and _UNICODE_WHITESPACE.search(folded):
        folded = " ".join(folded.split())
    data = np.frombuffer(folded.encode("utf-8"), dtype=np.uint8)
    _powers.ensure(len(data))
    # Words start and end where a run of separators (space and below) ends and begins.
    is_space = np.ones(len(data) + 2, dtype=np.bool_)
    np.less_equal(data, 32, out=is_space[1:-1])
    edges = np.flatnonzero(np.diff(is_space.view(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    running = np.zeros(len(data) + 1, dtype=np.uint32)
    np.cumsum(data * _powers.up[: len(data)], dtype=np.uint32, out=running[1:])
    return (running[ends] - running[starts]) * _powers.down[starts]


def shingle_hashes(text: str, size: int) -> np.ndarray:
    """32-bit hashes of the word n-grams of the folded text (what wire copies share).

    The word hashes are chained in numpy (uint32 arithmetic wraps, which is the
    intended modulo 2^32): hashing every shingle's bytes with SHA-1 cost more
    than all other features together. MinHash mixes the values again, so a
    simple chain is enough.
    """
    hashes = word_hashes(text)
    if not len(hashes):
        return hashes
    size = max(1, min(size, len(hashes)))
    count = len(hashes) - size + 1
    chained = hashes[:count].copy()
    for offset in range(1, size):
        chained *= _CHAIN
        chained += hashes[offset : offset + count]
    return chained


class MinHasher:
    """datasketch's MinHash (scheme `affine32`, seed 1), applied to a whole array at once.

    `MinHash.update_batch` calls the hash function once per value in Python and
    checks every value; for shingle hashes that are already a uint32 array the
    same arithmetic — the MurmurHash3 finalizer, then `a * h + b` wrapping in
    uint32 per permutation, then the minimum — is a few numpy operations.
    Signatures are bit-identical to datasketch's (a test holds them to it), so
    they stay comparable with ones made before and with `MinHashLSH`.
    """

    def __init__(self, num_perm: int, seed: int = 1) -> None:
        template = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
        a, b = template.permutations.astype(np.uint32)
        # As columns: each permutation's values then lie in one contiguous row,
        # and the minimum runs along rows (a third faster than down columns).
        self._a, self._b = a[:, None], b[:, None]
        self._empty = template.hashvalues.astype(np.uint32)

    def signature(self, values: np.ndarray) -> np.ndarray:
        if not len(values):
            return self._empty.copy()
        h = values.astype(np.uint32)
        h ^= h >> 16
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> 13
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> 16
        permuted = self._a * h
        permuted += self._b
        return permuted.min(axis=1)


@cache
def _minhasher(num_perm: int) -> MinHasher:
    # Building the permutations costs more than hashing a whole article: make them once.
    return MinHasher(num_perm)


def featurize(article: Article, config: FeatureConfig = FeatureConfig()) -> ArticleFeatures:
    """All features of one article; deterministic across runs and machines."""
    terms, surface, names = term_weights(article, config)
    article_shingles = shingle_hashes(article.text, config.shingle_words)
    return ArticleFeatures(
        article_id=article.id,
        published=article.published,
        language=stemming_language(article, config),
        terms=terms,
        surface=surface,
        signature=_minhasher(config.num_perm).signature(article_shingles),
        shingle_count=len(article_shingles),
        names=names,
    )
