"""How text becomes index terms, and a query the alternatives it may stand for.

Both index backends store the terms made here (the embedded index in an FTS5 table
that splits on spaces only, Elasticsearch in fields with the `whitespace` analyzer),
so a laptop index, a minimal Elasticsearch node and a full cluster match a query
alike, whatever analysis plugins the cluster has.

An article's words are stemmed in its own language with Snowball (the stemmers the
clustering uses) and stored with the language as prefix (`en:elect`), so a stem is
only ever compared with stems of the same language: the Spanish stem of an English
word cannot match an unrelated English word. Words of languages without a stemmer
are stored as they are. Chinese, Japanese and Korean runs have no spaces between
words, so they are stored as overlapping character pairs (bigrams, as Elasticsearch's
`cjk` analyzer does), which a two-to-four character query matches as a phrase; so are
Thai, Lao, Myanmar and Khmer, also written without spaces.
Everything is NFKC-normalised and case-folded, and accents and Arabic vowel marks are
folded away after stemming, so a query typed without them still matches.

A query's language is unknown (three words seldom tell it), so each of its words is
stemmed in every language the index holds, and matches a document by any of those
stems; a document holds terms of one language only, so it matches one of them. A
query's function words ("for", "a", "die") are left out when it has other words: BM25
weighs a term by its rarity in the whole index, so the Norwegian "for" in the few
Norwegian articles of a mostly English index would outweigh the words that matter.
They come back in a phrase of the whole query (`query_phrases`): the articles whose
title or other headlines hold it rank first (`phrase_first`).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from itertools import compress

from wordfreq import available_languages, get_frequency_list

from newsbeam.pipelines.features import has_stemmer, snowball_stemmer
from newsbeam.pipelines.memo import Memo

#: Bumped whenever the terms made for a text change, with the embedded index's
#: `LAYOUT_VERSION`: an index written with other terms has them made again.
ANALYSIS_VERSION = 2
#: Between a stemmed term's language and its stem.
LANGUAGE_MARK = ":"

#: Scripts written without spaces between words: Han, kana, Hangul (and their compatibility
#: forms), and Thai, Lao, Myanmar and Khmer, whose words are found the same way.
_CJK = ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff\u3400-\u4dbf"
        "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f")
_CJK_RUN = re.compile(f"([{_CJK}]+)")
_HAS_CJK = re.compile(f"[{_CJK}]")
#: Combining marks of scripts that write vowels or accents as marks (Arabic vowels, Indic
#: vowel signs, Thai), which `\w` leaves out but which belong to their word.
_MARKS = (r"\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
          r"\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u3099\u309a")
#: A word: letters, digits and those marks (the underscore is a separator, replaced first).
_WORD = re.compile(rf"[\w{_MARKS}]+")
_WORD_CHAR = re.compile(rf"[\w{_MARKS}]")
_WORD_START = re.compile(r"\w")
#: ASCII text to its words: a byte translation table that lowers A–Z (all that NFKC and case
#: folding do to ASCII) and makes every byte but a letter or digit a space, in one pass
#: (`bytes.translate` reads a 256-byte table, faster than `str.translate`'s dict lookups).
_ASCII_WORDS = bytes(ord(chr(code).lower()) if chr(code).isalnum() else ord(" ") for code in range(256))
#: Marks folded away: accents on Latin, Greek and Cyrillic letters, Arabic vowel marks
#: and the tatweel (a stretching stroke). Marks that are letters' vowels in Indic
#: scripts, and the kana voicing marks, stay.
_FOLDED_MARKS = re.compile("[\u0300-\u036f\u064b-\u065f\u0670\u0640]")
#: A language's this many most frequent words are its function words.
FUNCTION_WORDS = 100
#: Language codes wordfreq knows under another name.
_WORDFREQ_CODES = {"no": "nb"}
#: How many characters of an article's text a snippet is looked for in.
SNIPPET_SCAN = 20_000
SNIPPET_CHARS = 200


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ordinary ones) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def split_words(text: str) -> list[str]:
    """The normalised words of `text` as written.

    ASCII text (most of an English index) is neither NFKC-normalised nor case-folded,
    which would leave it as it is but for A–Z, and is split without a regex: a byte
    table lowers and splits it in one pass, several times faster.
    """
    if not text.isascii():
        text = normalise(text)
        if not text.isascii():  # NFKC makes full-width Latin ASCII
            return _WORD.findall(text.replace("_", " "))
    return text.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()


def fold(word: str) -> str:
    """`word` without accents and Arabic vowel marks (decomposed, stripped, recomposed)."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    stripped = _FOLDED_MARKS.sub("", decomposed)
    return unicodedata.normalize("NFC", stripped) if stripped != decomposed else word


def cjk_terms(run: str) -> list[str]:
    """Overlapping character pairs of a CJK run; a lone character is its own term."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _stemmed(language: str, word: str) -> str:
    """The term of a normalised, non-CJK word in `language` (prefixed when stemmed)."""
    stemmer = snowball_stemmer(language)
    if stemmer is None:
        return fold(word)
    return language + LANGUAGE_MARK + fold(stemmer.stemWord(word))


def _token_terms(language: str, token: str) -> str:
    """The terms of one normalised token, space-separated (a CJK run gives several)."""
    if not _HAS_CJK.search(token):
        return _stemmed(language, token)
    terms = []
    for i, part in enumerate(_CJK_RUN.split(token)):
        if part:
            terms.extend(cjk_terms(part) if i % 2 else [_stemmed(language, part)])
    return " ".join(terms)


@cache
def _terms_of(language: str) -> Memo:
    """Token → its terms in `language`, remembered (news vocabulary is small, stemming is not free)."""
    return Memo(partial(_token_terms, language))


def _written_terms(language: str, token: str) -> str:
    return _terms_of(language)[normalise(token)]


@cache
def _terms_of_written(language: str) -> Memo:
    """Token as written (not yet normalised) → its terms in `language`, for snippets."""
    return Memo(partial(_written_terms, language))


def index_terms(text: str, language: str) -> str:
    """The terms of `text`, written in `language`, space-separated in text order."""
    if not text:
        return ""
    return " ".join(map(_terms_of(language or "").__getitem__, split_words(text)))


def article_terms(title: str | None, text: str | None, language: str | None,
                  headlines: Iterable[str] | None) -> tuple[str, str, str]:
    """The terms of an article's title, of its text and of its other headlines, as both backends index them."""
    language = language or ""
    return (index_terms(title or "", language), index_terms(text or "", language),
            index_terms(" ".join(headlines or ()), language))


@cache
def function_words(language: str) -> frozenset[str]:
    """The `FUNCTION_WORDS` most frequent words of a language (wordfreq's small list), normalised.

    Read past wordfreq's cache: it would keep each language's whole list (megabytes)
    in the server for the sake of a hundred words.
    """
    code = _WORDFREQ_CODES.get(language, language)
    if code not in _SMALL_LISTS:
        return frozenset()
    ranked = [word for bucket in get_frequency_list.__wrapped__(code, "small") for word in bucket if word.isalpha()]
    return frozenset(normalise(word) for word in ranked[:FUNCTION_WORDS])


_SMALL_LISTS = frozenset(available_languages("small"))


@dataclass(frozen=True, slots=True)
class QueryWord:
    """One word of a query: a document matches it by any one of `alternatives`.

    An alternative is a run of terms that must stand together in order (a phrase: the
    bigrams of a CJK run); with `prefix`, any term starting with the single term does
    too (a one-character CJK query, which is stored as the start of a bigram).
    """

    alternatives: tuple[tuple[str, ...], ...]
    prefix: bool = False

    @property
    def terms(self) -> set[str]:
        return {term for alternative in self.alternatives for term in alternative}


def _analysed_in(languages: Iterable[str]) -> list[str]:
    """The languages a query is analysed in: each stemmed one the index holds, and "" (words as
    written) when it holds a language without a stemmer, or none with one."""
    languages = list(languages)
    stemmed = sorted({language for language in languages if has_stemmer(language)})
    unstemmed = any(not has_stemmer(language) for language in languages) or not stemmed
    return stemmed + [""] * unstemmed


def _is_function_word(word: str, languages: list[str]) -> bool:
    """Whether a normalised, non-CJK word is a function word of one of `languages`; a lone
    letter ("s" of "what's", "l" of "l'État") is one too."""
    return (len(word) == 1 and word.isalpha()) or any(word in function_words(language) for language in languages)


def query_words(text: str, languages: Iterable[str]) -> list[QueryWord]:
    """The words of a query, each with its terms in every one of `languages` (those the index holds)."""
    languages = list(languages)
    analysed = _analysed_in(languages)
    words: dict[QueryWord, bool] = {}  # word -> whether it is a function word
    for token in split_words(text):
        for i, part in enumerate(_CJK_RUN.split(token)):
            if not part:
                continue
            if i % 2:  # a CJK run
                words[QueryWord(((*cjk_terms(part),),), prefix=len(part) == 1)] = False
                continue
            alternatives = {(_stemmed(language, part),) for language in analysed}
            words[QueryWord(tuple(sorted(alternatives)))] = _is_function_word(part, languages)
    if all(words.values()):
        return list(words)
    return [word for word, function in words.items() if not function]


def query_phrases(text: str, languages: Iterable[str]) -> list[tuple[str, ...]]:
    """The whole query as a phrase of its terms in each of `languages`, when its words leave
    out some of its function words (see `query_words`); else none.

    The function words are what tells the query's language, and they come back here in
    the one form that cannot outweigh its words: the query as written. An article whose
    title holds it ranks above those that do not (`phrase_first`): "What an American" finds
    the English headline that starts so, not an Italian one whose stem of "americani" is
    rare among the index's few Italian articles. A phrase holds the words, so it matches
    nothing they do not. None for CJK text (a run is a phrase already, and two runs are
    not adjacent pairs).
    """
    if _HAS_CJK.search(text):
        return []
    languages = list(languages)
    function = [_is_function_word(part, languages) for part in split_words(text)]
    if not any(function) or all(function):
        return []
    return list(dict.fromkeys(tuple(index_terms(text, language).split()) for language in _analysed_in(languages)))


def phrase_first(scores: Sequence[float], held: Sequence[bool]) -> list[float]:
    """The matches' scores, each raised by the best score among the matches that do not
    hold the query's phrase if it holds it: those rank first, among themselves by
    their own score, and the rest keep theirs. Both backends rank so."""
    top = max((score for score, holds in zip(scores, held) if not holds), default=0.0)
    return [score + top if holds else score for score, holds in zip(scores, held)]


@lru_cache(maxsize=4096)
def _stem_starts(stems: frozenset[str]) -> re.Pattern[str] | None:
    """A pattern for the stems at a word's start, as far as `\\b` tells it (checked further in `_matched_spans`).

    `\\b` (not after a letter, digit or underscore) is one step of the regex engine, so
    candidates inside words cost no Python step; a look-behind on `_WORD_CHAR` would say
    it exactly but makes each query compile that large character class (a quarter of a
    millisecond, most of a rare query's snippets). A stem that does not start with a
    word character (a combining mark) gets no `\\b`.
    """
    if not stems:
        return None
    ordered = sorted(stems, key=len, reverse=True)
    bounded = "|".join(re.escape(stem) for stem in ordered if _WORD_START.match(stem))
    other = "|".join(re.escape(stem) for stem in ordered if not _WORD_START.match(stem))
    return re.compile("|".join(filter(None, (bounded and rf"\b(?:{bounded})", other))), re.IGNORECASE)


def _matched_spans(text: str, language: str, words: list[QueryWord]) -> Iterator[tuple[int, int]]:
    """(start, end) of each place in `text` where one of the query's words occurs.

    A word mostly starts with its stem ("elections", "elect"), so the words that begin
    like a stem are checked first, with no Python step for the others; when none of
    them matches (a stem that accents or case folding changed), every word of the text
    is looked up, in bulk.
    """
    wanted = set().union(*(word.terms for word in words)) if words else set()
    terms_of = _terms_of_written(language or "")
    found = False
    stems = frozenset(t.rpartition(LANGUAGE_MARK)[2] for t in wanted if not _HAS_CJK.search(t))
    if starts := _stem_starts(stems):
        for match in starts.finditer(text):
            if match.start() and _WORD_CHAR.match(text, match.start() - 1):
                continue  # after a combining mark, which `\b` does not count as part of a word
            word = _WORD.match(text, match.start())
            if word and terms_of[word.group()] in wanted:
                found = True
                yield word.span()
    if not found:
        tokens = _WORD.findall(text)
        # A CJK run's terms are several, so it never equals one wanted term: runs are matched below.
        matching = set(compress(tokens, map(wanted.__contains__, map(terms_of.__getitem__, tokens))))
        for form in matching:
            start = text.find(form)
            while start >= 0:
                end = start + len(form)
                if not (_WORD_CHAR.match(text, start - 1) if start else None) and not _WORD_CHAR.match(text, end):
                    yield start, end
                start = text.find(form, end)
    for word in words:
        if len(word.alternatives) == 1 and _HAS_CJK.search(word.alternatives[0][0]):
            alternative = word.alternatives[0]
            run = alternative[0] + "".join(term[-1] for term in alternative[1:])
            start = text.find(run)
            while start >= 0:
                yield start, start + len(run)
                start = text.find(run, start + len(run))


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` HTML-escaped, with each span wrapped in <mark>…</mark>."""
    out, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        out.append(html.escape(text[at:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def _passage(text: str, spans: list[tuple[int, int]]) -> str:
    """The `SNIPPET_CHARS` of `text` holding the most matches, marked, cut at spaces."""
    spans.sort()
    best, best_count, j = 0, 0, 0
    for i, (start, _) in enumerate(spans):
        while j < len(spans) and spans[j][1] <= start + SNIPPET_CHARS:
            j += 1
        if j - i > best_count:
            best, best_count = i, j - i
    begin = spans[best][0]
    # Open a few words before the first match, at a space, so it reads in context.
    lead = text.rfind(" ", 0, max(begin - 40, 0))
    begin = lead + 1 if lead >= 0 and begin - lead < 80 else max(begin - 40, 0)
    end = begin + SNIPPET_CHARS
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > spans[best][1] else end
    inside = [(s - begin, e - begin) for s, e in spans if s >= begin and e <= end]
    return ("…" if begin > 0 else "") + _marked(text[begin:end], inside) + ("…" if end < len(text) else "")


def snippet(title: str, text: str, language: str, words: list[QueryWord], fallback: str,
            headlines: Iterable[str] = ()) -> str:
    """A passage of the article's text with the query's words marked, HTML-escaped.

    The text's passage with the most matches; else the title, or the first of the
    article's other `headlines`, that holds them; else `fallback`, escaped. Both
    backends build snippets here, from the article as stored, since their indexes hold
    terms rather than readable text.
    """
    scanned = text[:SNIPPET_SCAN]
    if spans := list(_matched_spans(scanned, language, words)):
        return _passage(scanned, spans)
    for headline in (title, *headlines):
        if spans := sorted(_matched_spans(headline, language, words)):
            return _marked(headline, spans)
    return html.escape(fallback)
