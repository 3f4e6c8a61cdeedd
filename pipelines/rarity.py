"""How rare a word is in the language at large: the IDF prior of the clusterer.

An IDF learnt from the stream alone fails twice on news. Early in a stream it has
seen too few documents to tell "the" from "Plosser". And once a story breaks, its
defining name ("Snowden") turns frequent *because of* the story, so the stream
IDF discounts exactly the word that ties the story's headlines together. Word
frequencies of the whole language (wordfreq: web, news, books, subtitles; ~40
languages, shipped with the package) know both that "the" says nothing and that
"Snowden" says a lot, from the first article on.
"""

from __future__ import annotations

import math

from wordfreq import available_languages, get_frequency_dict, zipf_frequency

#: Words rarer than this (Zipf scale: log10 of occurrences per billion words)
#: count as this rare: names and coinages wordfreq has not seen are the most
#: telling words of all, but one typo must not outweigh a whole headline.
RAREST_ZIPF = 1.0
#: Zipf values run up to about 8 ("the"); 9 is one occurrence per word.
_ZIPF_CEILING = 9.0

_LANGUAGES = frozenset(available_languages())


def background_idf(language: str, word: str) -> float:
    """ln(1 / frequency of the word in the language), with unseen words capped.

    On the same scale as an IDF: "the" ≈ 2.9, "weather" ≈ 9.5, an unseen name 18.4.
    A language wordfreq does not cover gets the same value for every word, which
    leaves the stream IDF to rank its terms alone.
    """
    zipf = _zipf(language, word) if language in _LANGUAGES else 0.0
    return (_ZIPF_CEILING - max(zipf, RAREST_ZIPF)) * math.log(10)


def _zipf(language: str, word: str) -> float:
    """`zipf_frequency`, answered by one look-up for words the list lacks.

    Most words a stream meets for the first time are names wordfreq has never
    seen either. For a plain ASCII word its tokenizer changes nothing, so if the
    list lacks the word, `zipf_frequency` would spend ~90 µs to answer 0.
    """
    if word.isascii() and word.isalpha() and word not in get_frequency_dict(language):
        return 0.0
    return zipf_frequency(word, language)
