"""Cross-language event keys: name skeletons that agree across scripts, numbers, the link rule.

All text here is written for the project: the invented bilingual set
`tests/fixtures/cross_language_events.jsonl` (see tests/fixtures/README.md) and the
sentences below.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path

import pytest

from newsbeam.benchmarks.crosslingual_keys import (
    EVENT_KEYS,
    CrossLanguageLinker,
    CrossLanguageKeys,
    EventKeys,
    LinkRule,
    cross_language_keys,
    events_link,
    links,
    name_words,
    numbers,
    skeleton,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "cross_language_events.jsonl"
MARCH_10 = datetime(2026, 3, 10, 9, tzinfo=timezone.utc)


def _fixture() -> dict[str, dict]:
    with open(FIXTURE, encoding="utf-8") as handle:
        return {row["id"]: row for row in map(json.loads, handle)}


def _keys(row: dict) -> CrossLanguageKeys:
    published = datetime.fromisoformat(row["published"].replace("Z", "+00:00"))
    return cross_language_keys(row["title"], row["text"], row["language"], published)


def _published(row: dict) -> datetime:
    return datetime.fromisoformat(row["published"].replace("Z", "+00:00"))


@pytest.mark.parametrize("spellings", [
    ("Scholz", "Шольц", "شولتس", "ショルツ", "Σολτς"),
    ("Zelensky", "Зеленского", "زيلينسكي", "ゼレンスキー", "젤렌스키", "Ζελένσκι"),
    ("Trump", "Трампа", "ترامب", "トランプ", "트럼프가"),
    ("Macron", "Макроном", "ماكرون", "マクロン", "Μακρόν"),
])
def test_one_name_in_many_scripts_has_one_skeleton(spellings):
    # Case endings (Зеленского, Макроном) and Korean particles (트럼프가) fall past the
    # fourth consonant; vowels, which each script writes its own way, are dropped.
    assert len({skeleton(spelling) for spelling in spellings}) == 1, {s: skeleton(s) for s in spellings}


def test_different_names_keep_different_skeletons():
    names = ["Scholz", "Zelensky", "Trump", "Macron", "Netanyahu", "Steinwald", "Quintero"]
    assert len({skeleton(name) for name in names}) == len(names)


def test_short_skeletons_are_no_keys():
    # Two consonants match far too many other words to tell anything.
    assert skeleton("Iran") == skeleton("Gaza") == skeleton("May") == ""


def test_names_in_cased_scripts_are_capitalised_runs_past_a_sentence_start():
    text = ("Critics said Governor Ines Barrow would resign. The Mayor of Valmora, Piet Hollander, "
            "declined to comment. Officials in Brandholm met on Monday.")
    found = name_words(text, "en")
    assert {"Barrow", "Ines", "Valmora", "Piet", "Hollander", "Brandholm"} <= set(found)
    # One capitalised word opening a sentence is not a name; common words are no names.
    assert not {"Critics", "The", "Officials", "Monday", "Governor"} & set(found)


def test_cyrillic_names_are_found_by_their_capitals():
    found = name_words("Губернатор Катарина Штайнвальд в среду посетила Хальбрюк.", "ru")
    assert {"Катарина", "Штайнвальд", "Хальбрюк"} <= set(found)
    assert "среду" not in found


def test_uncased_scripts_give_their_uncommon_words_and_japanese_its_katakana():
    arabic = name_words("وقالت الحاكمة كاتارينا شتاينفالد إن التحقيق بدأ في هالبروك", "ar")
    assert {"كاتارينا", "شتاينفالد", "هالبروك"} <= set(arabic)
    assert "في" not in arabic  # "in": common in Arabic
    japanese = name_words("カタリーナ・シュタインヴァルト州知事は10日、ハルブリュックを訪れた。", "ja")
    assert japanese == ["カタリーナ", "シュタインヴァルト", "ハルブリュック"]


def test_a_title_case_headline_names_nothing_but_german_running_text_does():
    headline = "Marenza And Japan Sign Record Rail Deal In Portovia"
    assert cross_language_keys(headline, headline, "en", MARCH_10).names == frozenset()
    german = "Der Handelsminister von Marenza, Rafael Quintero, hat in Portovia ein Abkommen unterzeichnet."
    assert {skeleton("Quintero"), skeleton("Portovia")} <= cross_language_keys("", german, "de", MARCH_10).names


def test_numbers_read_every_script_and_drop_what_every_report_shares():
    text = "About 2,300 (2.300, 2 300) people; ٢٨ dead, ２６ hurt; 7 bridges; in 2026 and 2027; budget for 1999."
    assert numbers(text, MARCH_10) == ["2300", "2300", "2300", "28", "26", "1999"]
    # The 9th to the 11th and 2025 to 2027 are the days and years around the 10th of March 2026.
    assert numbers("On the 11th, 12 of 2025 and 10 of 2027; 09 and 13.", MARCH_10) == ["12", "13"]


def test_an_article_keeps_a_bounded_number_of_keys():
    text = " ".join(f"Mayor Zorvan{chr(97 + i)}ek of Tal{chr(97 + i)}burg spent {100 + i} euros." for i in range(26))
    keys = cross_language_keys("", text, "en", MARCH_10)
    assert 0 < len(keys.names) <= 12 and 0 < len(keys.numbers) <= 12


def test_reports_of_one_invented_event_in_english_russian_arabic_and_japanese_link():
    rows = _fixture()
    for a, b in combinations(["dam-en", "dam-ru", "dam-ar", "dam-ja"], 2):
        gap = abs(_published(rows[a]) - _published(rows[b]))
        assert links(_keys(rows[a]), _keys(rows[b]), gap), (a, b)


def test_shared_names_without_a_shared_figure_do_not_link():
    # The governor's budget, a day after the dam breach, names her and the town.
    rows = _fixture()
    dam, budget = _keys(rows["dam-ru"]), _keys(rows["budget-en"])
    assert len(dam.names & budget.names) >= 2
    assert not links(dam, budget, timedelta(hours=5))


def test_reports_too_far_apart_do_not_link():
    rows = _fixture()
    a, b = _keys(rows["dam-en"]), _keys(rows["dam-ru"])
    assert links(a, b, timedelta(days=2))
    assert not links(a, b, timedelta(days=2, hours=1))
    assert not links(a, b, timedelta(hours=1), LinkRule(min_names=20))


def test_events_link_over_their_members_keys_and_spans():
    rows = _fixture()
    english, russian, budget = EventKeys(), EventKeys(), EventKeys()
    for event, row_id in ((english, "dam-en"), (english, "dam-de"), (russian, "dam-ru"), (budget, "budget-ru")):
        event.add(_keys(rows[row_id]), _published(rows[row_id]))
    assert english.first_seen < english.last_seen
    assert events_link(english, russian) and events_link(russian, english)
    assert not events_link(english, budget)
    assert not events_link(english, EventKeys())  # an event without a date links to nothing


def test_event_keys_stay_bounded_and_keep_the_most_counted():
    event = EventKeys()
    for n in range(300):
        event.add(CrossLanguageKeys(frozenset({"srs", f"k{n:03d}"}), frozenset({str(10 + n)})), MARCH_10)
    assert len(event.names) <= 2 * EVENT_KEYS and len(event.numbers) <= 2 * EVENT_KEYS
    assert "srs" in event.keys().names and len(event.keys().names) == EVENT_KEYS


def _linker(row_ids: list[str], **options) -> CrossLanguageLinker:
    """Each fixture report an event of its own, named by its id."""
    rows = _fixture()
    linker = CrossLanguageLinker(**options)
    for row_id in row_ids:
        linker.add(row_id, rows[row_id]["language"], _keys(rows[row_id]), _published(rows[row_id]))
    return linker


def test_the_linker_links_one_event_across_languages_past_a_topic_neighbour():
    # The governor's budget carries her name and the town's: those keys are not
    # the breach's own, but the operator's name and the toll still are.
    linker = _linker(["dam-en", "dam-ru", "budget-en", "budget-ru"])
    assert linker.links("dam-en") == ["dam-ru"]
    assert linker.links("dam-ru") == ["dam-en"]
    assert not {"dam-en", "dam-ru"} & set(linker.links("budget-en") + linker.links("budget-ru"))


def test_keys_a_third_event_carries_do_not_count():
    # The next day's talks name the same ministers and cite the deal's sum: plain
    # counts take them for the deal, distinctive keys do not, at the cost of the
    # deal's own link, whose every name the talks share.
    ids = ["rail-en", "rail-ru", "fish-en"]
    assert _linker(ids, distinctive=False).links("rail-ru") == ["rail-en", "fish-en"]
    assert _linker(ids).links("rail-ru") == []
    assert _linker(["rail-en", "rail-ru"]).links("rail-ru") == ["rail-en"]


def test_a_third_event_outside_the_window_or_forgotten_does_not_block():
    rows = _fixture()
    linker = _linker(["rail-en", "rail-ru"])
    late = datetime(2026, 3, 20, tzinfo=timezone.utc)
    linker.add("fish-late", "en", _keys(rows["fish-en"]), late)
    assert linker.links("rail-ru") == ["rail-en"]
    linker.add("fish-en", "en", _keys(rows["fish-en"]), _published(rows["fish-en"]))
    assert linker.links("rail-ru") == []
    linker.forget("fish-en")
    assert linker.links("rail-ru") == ["rail-en"]


def test_events_of_one_language_are_linked_only_when_asked():
    rows = _fixture()
    twin = dict(rows["dam-ru"], id="dam-ru-2")
    linker = _linker(["dam-ru"])
    linker.add("dam-ru-2", "ru", _keys(twin), _published(twin))
    assert linker.links("dam-ru") == []
    within = _linker(["dam-ru"], within_language=True)
    within.add("dam-ru-2", "ru", _keys(twin), _published(twin))
    assert within.links("dam-ru") == ["dam-ru-2"]


def test_an_event_grows_its_keys_as_members_join():
    rows = _fixture()
    linker = CrossLanguageLinker()
    linker.add("english", "en", CrossLanguageKeys(frozenset({skeleton("Orvex")}), frozenset({"14"})),
               _published(rows["dam-en"]))
    linker.add("russian", "ru", _keys(rows["dam-ru"]), _published(rows["dam-ru"]))
    assert linker.links("russian") == []  # one shared name so far
    linker.add("english", "en", _keys(rows["dam-en"]), _published(rows["dam-en"]))
    assert linker.links("russian") == ["english"]
    assert linker.links("unknown") == []
