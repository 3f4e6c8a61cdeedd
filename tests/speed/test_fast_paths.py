"""The hot path's shortcuts must not change a single feature."""

from __future__ import annotations

import pickle
import random
import re

import numpy as np
import pytest
from datasketch import MinHash

from newsbeam.pipelines import features
from newsbeam.pipelines.features import ArticleFeatures, FeatureConfig, MinHasher, capitalised_runs, featurize
from newsbeam.pipelines.memo import Memo
from newsbeam.pipelines.normalize import normalize_record
from newsbeam.pipelines.normalize.text import clean_text, comparison_words, fold_for_comparison, is_chrome


@pytest.mark.parametrize("size", [0, 1, 7, 500])
def test_minhasher_matches_datasketch_bit_for_bit(size):
    values = np.random.default_rng(size).integers(0, 2**32, size, dtype=np.uint64).astype(np.uint32)
    reference = MinHash(num_perm=128, seed=1, hashfunc=int)
    reference.update_batch(values.tolist())
    signature = MinHasher(128).signature(values)
    assert signature.dtype == np.uint32
    assert signature.tolist() == reference.hashvalues.tolist()


_CAPITAL = "[" + re.escape("".join(c for c in map(chr, range(0x110000)) if c.isupper() or c.istitle())) + "]"


def _runs_by_match(text: str) -> list[tuple[str, bool]]:
    """The definition: capitalised runs (capitals of any script), and whether each starts a sentence."""
    found = []
    for match in re.finditer(rf"\b{_CAPITAL}[\w’'\-]*(?:\s+{_CAPITAL}[\w’'\-]*)*", text):
        start = match.start()
        before = text[max(0, start - 2) : start].strip()
        found.append((match.group(), start == 0 or before.endswith((".", "!", "?", "\n", '"', "“", "«", "„"))))
    return found


def _entities_by_match(text: str) -> list[str]:
    """The entities `term_weights` boosts: the runs that do not start a sentence, case-folded."""
    return [run.casefold() for run, starts_sentence in _runs_by_match(text) if not starts_sentence]


def test_capitalised_runs_match_their_definition():
    assert capitalised_runs('Officials in Athens said. The fire near Varnavas "Spread" fast, Maria Papadopoulou said') \
        == [("Officials", True), ("Athens", False), ("The", True), ("Varnavas", False), ("Spread", True),
            ("Maria Papadopoulou", False)]
    rng = random.Random(5)
    alphabet = list('aZ B.!?"“”«„\n\t\u2003-’\'ÉжЖ1 ')
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert capitalised_runs(text) == _runs_by_match(text), repr(text)


def test_whitespace_folding_matches_the_regex_definition():
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    rng = random.Random(6)
    alphabet = spaces + list("ab .Share\x00e“")
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        lines = [re.sub(r"[^\S\n]+", " ", line).strip() for line in text.replace("\x00", "").splitlines()]
        if not any(c in text for c in "\x0b\x0c\x1c\x1d\x1e\x1f"):  # control characters are dropped first
            assert clean_text(text) == "\n\n".join(line for line in lines if line and not is_chrome(line))
        assert comparison_words(text) == fold_for_comparison(text).split()


def test_features_survive_pickling_exactly():
    article = normalize_record({"id": "a", "url": "https://example.org/a", "title": "Running runners ran",
                                "text": "Runners were running in Athens. The running club said runs matter.",
                                "published": "2025-06-04T12:00:00+00:00", "language": "en"})
    original = featurize(article, FeatureConfig())
    # Only stems whose word reads differently carry a surface form ("running" for "run").
    assert original.surface and all(word != stem for stem, word in original.surface.items())
    for candidate in (original, ArticleFeatures(article_id="b", published=None, language="en", terms={"x": 1.5, "y": 0.25},
                                                 surface={"y": "ys"}, signature=original.signature, shingle_count=3)):
        copy = pickle.loads(pickle.dumps(candidate))
        assert list(copy.terms.items()) == list(candidate.terms.items())
        assert list(copy.surface.items()) == list(candidate.surface.items())
        assert copy.signature.tolist() == candidate.signature.tolist() and copy.signature.dtype == np.uint32
        assert (copy.article_id, copy.published, copy.language, copy.shingle_count, copy.names) == (
            candidate.article_id, candidate.published, candidate.language, candidate.shingle_count, candidate.names)


def test_memo_forgets_everything_when_full():
    calls = []
    memo = Memo(lambda word: calls.append(word) or word.upper(), limit=2)
    assert [memo["a"], memo["b"], memo["a"], memo["c"]] == ["A", "B", "A", "C"]
    assert calls == ["a", "b", "c"] and len(memo) == 1


def test_words_match_the_unicode_regex():
    assert features.words("Greece's 'wild' fire—rock'n'roll a''b _x_ Ünïcode’s") == [
        "greece's", "wild", "fire", "rock'n'roll", "a", "b", "x", "ünïcode's"]
    rng = random.Random(7)
    alphabet = list("aB _'’-.,;:\"\n\t1Z\u00e9\u2003\u212a")
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert features.words(text) == features._WORD.findall(text.casefold().replace("’", "'")), repr(text)


def test_rarity_shortcut_for_unlisted_words_agrees_with_wordfreq():
    from wordfreq import zipf_frequency

    from newsbeam.pipelines.rarity import _zipf

    words = ["the", "snowden", "plosser", "skiojeend", "zzqxv", "straße", "l'été", "greece's", "2024", "covid19"]
    for language in ("en", "de", "fr", "es"):
        for word in words:
            assert _zipf(language, word) == zipf_frequency(word, language), (language, word)
    assert _zipf("en", "skiojeend") == 0.0 < _zipf("en", "snowden")


def test_an_article_keeps_only_its_heaviest_terms():
    rng = random.Random(3)
    vocabulary = [f"word{i}" for i in range(400)]
    text = " ".join(rng.choice(vocabulary) for _ in range(600))
    article = normalize_record({"id": "long", "title": "Plosser speaks", "text": text, "language": "en"})
    everything = features.term_weights(article, FeatureConfig(max_terms=10_000))[0]
    kept, surface, _ = features.term_weights(article, FeatureConfig(max_terms=50))
    assert len(everything) > 50 and len(kept) == 50 and set(surface) <= set(kept)
    assert min(kept.values()) >= max(w for t, w in everything.items() if t not in kept)
    assert all(everything[t] == w for t, w in kept.items())


def test_body_terms_come_from_the_lede_alone():
    config = FeatureConfig(body_words=5)
    long = normalize_record({"id": "x", "text": "Alpha beta gamma delta epsilon zeta eta theta", "language": "en"})
    dashes = normalize_record({"id": "y", "text": "— — Alpha beta gamma delta epsilon zeta", "language": "en"})
    stems = lambda article: set(features.term_weights(article, config)[0])  # noqa: E731
    assert stems(long) == {"alpha", "beta", "gamma", "delta", "epsilon"}
    # Two chunks without words: the first five words lie beyond the first five chunks.
    assert stems(dashes) == {"alpha", "beta", "gamma", "delta", "epsilon"}


def _polynomial_hash(word: str) -> int:
    """The definition of a word's hash: Σ byte_i · BASE^i modulo 2^32."""
    return sum(byte * pow(features._BYTE_BASE, i, 2**32) for i, byte in enumerate(word.encode("utf-8"))) % 2**32


def test_word_hashes_are_those_of_the_comparison_words():
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    rng = random.Random(8)
    alphabet = spaces + list("aB'’“”«é.,-1Z") + ["Straße", "ǅ", "日本"]
    for _ in range(5_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert features.word_hashes(text).tolist() == list(map(_polynomial_hash, comparison_words(text))), repr(text)
    # Longer than any text before: the table of powers grows.
    long = " ".join(f"w{i}" for i in range(20_000))
    assert features.word_hashes(long).tolist() == list(map(_polynomial_hash, comparison_words(long)))


def test_one_pass_term_weighting_matches_the_per_token_definition():
    article = normalize_record({"id": "t", "title": "Elections: Greek voters elect", "language": "en",
                                "text": "Voters voted. Greece's elections, the election officials said, elected "
                                        "Mitsotakis; Voting ran late in Athens as voters queued. A b c"})
    config = FeatureConfig()
    stemmer = features.snowball_stemmer("en")
    expected: dict[str, float] = {}
    first_word: dict[str, str] = {}
    lede = features.words(article.text)
    entity_words = features.words(" ".join(_entities_by_match(f"{article.title}. {article.text}")))
    for tokens, factor in ((lede, 1.0), (features.words(article.title), config.title_weight),
                           (entity_words, config.entity_weight)):
        stems = [stemmer.stemWord(t) if len(t) > 1 or t.isdigit() else None for t in tokens]
        counts: dict[str, int] = {}
        for stem, token in zip(stems, tokens):
            if stem is not None:
                counts[stem] = counts.get(stem, 0) + 1
                first_word.setdefault(stem, token)
        for stem, count in counts.items():
            expected[stem] = expected.get(stem, 0.0) + factor * (1.0 + np.log(count))
    rarity = {stem: features.background_idf("en", word) for stem, word in first_word.items()}
    terms, surface, _ = features.term_weights(article, config)
    assert terms == pytest.approx({stem: weight * rarity[stem] for stem, weight in expected.items()})
    assert surface == {stem: word for stem, word in first_word.items() if word != stem}
