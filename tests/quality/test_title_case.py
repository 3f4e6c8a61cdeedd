"""A title-case headline's capitals are house style, not names (invented articles).

Two outlets' copies of one invented report differ only in how they case the headline:
their terms must weigh the same, the harbour's name boosted in both (the lede writes
it capitalised), the headline's other words in neither.
"""

from __future__ import annotations

from datetime import datetime, timezone

from support import story_article

from newsbeam.pipelines.features import featurize, is_title_case

START = datetime(2025, 3, 4, 8, tzinfo=timezone.utc)
LEDE = ("Harbour chiefs in Valdmark on Monday defended a plan to dredge the outer channel, which critics say "
        "will cost twice the first estimate and disturb the mussel beds that fishermen rely on.")
SENTENCE_CASE = "Harbour chiefs in Valdmark defend costly dredging plan"
TITLE_CASE = "Harbour Chiefs in Valdmark Defend Costly Dredging Plan"


def _terms(headline: str) -> dict[str, float]:
    return featurize(story_article(START, "a1", 0, "Left Ledger", headline, LEDE)).terms


def test_title_case_is_told_from_sentence_case():
    assert is_title_case(TITLE_CASE) and is_title_case("Biden's Dishonest Sales Pitch With Friends")
    assert not is_title_case(SENTENCE_CASE) and not is_title_case("Fed Plosser sees high bar for tapering")
    assert not is_title_case("Valdmark Votes")  # too few words to tell


def test_a_title_case_headline_weighs_its_words_as_a_sentence_case_one():
    title_case, sentence_case = _terms(TITLE_CASE), _terms(SENTENCE_CASE)
    assert title_case == sentence_case
    plain = featurize(story_article(START, "a1", 0, "Left Ledger", "Harbour chiefs in valdmark defend costly "
                                    "dredging plan", LEDE.replace("Valdmark", "valdmark"))).terms
    assert title_case["valdmark"] > plain["valdmark"]  # the name keeps its boost

