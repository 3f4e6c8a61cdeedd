"""The terms both backends index, and what a query is matched by."""

from __future__ import annotations

import random

from newsbeam.connectors.sinks import analysis
from newsbeam.connectors.sinks.analysis import QueryWord, index_terms, phrase_first, query_phrases, query_words, snippet


def test_words_are_stemmed_in_their_language_and_tagged_with_it() -> None:
    assert index_terms("Elections", "en") == index_terms("election", "en") == "en:elect"
    assert index_terms("Выборах", "ru") == index_terms("выборы", "ru")
    assert index_terms("Häuser", "de") == index_terms("haus", "de") == "de:haus"


def test_accents_case_and_full_width_forms_are_folded() -> None:
    assert index_terms("ÉLECTIONS présidentielles", "fr") == index_terms("elections presidentielles", "fr")
    assert index_terms("ＮＡＴＯ", "") == "nato"
    assert index_terms("İstanbul", "tr") == index_terms("istanbul", "tr")
    assert index_terms("الْحُكُومَة", "ar") == index_terms("الحكومة", "ar")


def test_cjk_runs_become_overlapping_pairs_and_other_parts_words() -> None:
    assert index_terms("東京都", "ja") == "東京 京都"
    assert index_terms("iPhone15を発表", "ja") == "iphone15 を発 発表"
    assert index_terms("서울", "ko") == "서울"
    assert index_terms("東", "zh") == "東"
    assert "ไท" in index_terms("ประเทศไทย", "th").split()  # Thai has no spaces between words either


def test_marks_of_indic_scripts_stay_part_of_their_word() -> None:
    assert len(index_terms("हिन्दी समाचार", "").split()) == 2


def test_a_query_word_is_stemmed_in_each_language_the_index_holds() -> None:
    [word] = query_words("elections", ["en", "de"])
    assert word.alternatives == (("de:election",), ("en:elect",))
    [word] = query_words("elections", ["en", ""])
    assert ("elections",) in word.alternatives  # for the articles of no stemmed language
    assert query_words("東京都", ["ja"]) == [QueryWord((("東京", "京都"),))]
    assert query_words("東", ["ja"]) == [QueryWord((("東",),), prefix=True)]
    assert query_words(" ,;! ", ["en"]) == []


def test_snippets_mark_the_forms_that_match_and_escape_the_rest() -> None:
    words = query_words("election", ["en"])
    text = "Before <b>the</b> vote. " * 20 + "The elections were held; an electoral board counted."
    passage = snippet("Title", text, "en", words, "fallback")
    assert "<mark>elections</mark>" in passage and "&lt;b&gt;" in passage and passage.startswith("…")
    assert "electoral" in passage and "<mark>electoral</mark>" not in passage
    assert snippet("Elections held", "No match here", "en", words, "x") == "<mark>Elections</mark> held"
    assert snippet("T", "No match", "en", words, "<event>") == "&lt;event&gt;"
    assert "<mark>知事選</mark>" in snippet("", "東京都知事選挙", "ja", query_words("知事選", ["ja"]), "")



def test_a_stem_inside_another_word_is_not_marked() -> None:
    words = query_words("election", ["en"])
    # After a letter, a digit, an underscore or a combining mark the stem is inside a word.
    for before in ("re", "9", "_", "a\u0301", "\u0915\u093e"):
        assert "<mark>" not in snippet("", f"The {before}election.", "en", words, ""), before
    assert snippet("", "Re-election, (Election)", "en", words, "") == (
        "Re-<mark>election</mark>, (<mark>Election</mark>)")

def test_function_words_are_left_out_of_a_query_with_other_words() -> None:
    # "for" is a function word in English and Norwegian: in the few Norwegian articles of
    # a mostly English index, BM25 would weigh it above the word that matters.
    assert query_words("What's next for", ["en", "no"]) == query_words("next", ["en", "no"])
    assert len(query_words("The Who", ["en"])) == 2  # nothing but function words: all kept


def _reference_terms(text: str, language: str) -> str:
    """The terms made the straightforward way: every token by the regex, each analysed afresh."""
    words = analysis._WORD.findall(analysis.normalise(text).replace("_", " "))
    return " ".join(analysis._token_terms(language, word) for word in words)


def test_the_fast_paths_make_the_terms_the_straightforward_way_makes() -> None:
    # Every ASCII character (the byte-table split), and text in several scripts (the regex split).
    every_ascii = "".join(map(chr, range(128)))
    rng = random.Random(7)
    pieces = ["Elections", "voters'", "don't", "e-mail", "snake_case", "3.14", "#tag", "@user", "x\ty\nz",
              "Wahlen", "Straße", "élections", "Выборы", "الانتخابات", "選挙の結果", "선거", "การเลือกตั้ง",
              "ＦＵＬＬ", "naïve", "İstanbul", "हिन्दी", every_ascii]
    texts = [every_ascii, every_ascii.upper()] + [" ".join(rng.choices(pieces, k=12)) for _ in range(200)]
    for language in ("en", "de", "fr", "ru", "ar", "tr", "ja", "xx", ""):
        for text in texts:
            assert analysis.index_terms(text, language) == _reference_terms(text, language), (language, text)


def test_a_query_whose_function_words_are_left_out_is_also_a_phrase_in_each_language() -> None:
    # The function words left out of its words stay in the phrase, which a title must hold in this order.
    assert query_phrases("What an American", ["en", "it"]) == [
        ("en:what", "en:an", "en:american"), ("it:what", "it:an", "it:american")]
    assert query_phrases("What's next", ["en", "xx"]) == [("en:what", "en:s", "en:next"), ("what", "s", "next")]
    assert query_phrases("Gaza ceasefire talks", ["en"]) == []  # no function word: the words say it all
    assert query_phrases("what is the", ["en"]) == []  # nothing left out: the words are the query
    assert query_phrases("東京の知事", ["ja"]) == []  # CJK runs are phrases of their own


def test_matches_holding_the_phrase_rank_first_in_their_own_order() -> None:
    assert phrase_first([5.0, 3.0, 1.0, 2.0], [False, True, False, True]) == [5.0, 8.0, 1.0, 7.0]
    assert phrase_first([2.0, 1.0], [True, True]) == [2.0, 1.0]
