"""Events that explain themselves: a title from the most central article, its first sentence,
the names the articles are about, outlets with counts, languages."""

from __future__ import annotations

from dataclasses import replace

from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner
from newsbeam.pipelines.cluster import ClusterConfig
from newsbeam.pipelines.cluster.clusterer import first_sentence
from newsbeam.pipelines.features import featurize, main_names
from newsbeam.pipelines.memo import Memo
from newsbeam.pipelines.normalize import normalize_record


def _articles(records: list[dict]):
    return sorted((normalize_record({k: v for k, v in r.items() if k != "event"}) for r in records),
                  key=lambda a: a.sort_key)


def _events(assigner: OnlineAssigner, articles) -> dict:
    for article in articles:
        assigner.process(article, featurize(article))
    return {event.event_id: event for event in assigner.drain_events()}


def test_the_most_central_article_titles_the_event_not_the_first(framing_records):
    """The left outlet reports the vote first, with its own angle; the centre report, which
    shares the most with both sides, gives the event its title and summary."""
    vote = _articles([r for r in framing_records if r["event"] == "fares"])
    (event,) = _events(OnlineAssigner(), vote).values()
    assert vote[0].id == "fr-a1" and event.representative_id == "fr-a3"
    assert event.title == "Valmora council votes to end youth bus fares"
    assert event.summary == ("The Valmora city council on Monday approved free bus travel for residents "
                             "under 18, starting in September.")
    assert event.names[0] == "Councillor Ines Barrow" and "Valmora" in event.names
    assert event.outlets == [("Left Daily", 1), ("Right Herald", 1), ("Centre Wire", 1)]
    assert event.languages == ["en"]


def test_copies_count_for_their_outlet(framing_records):
    vote = _articles([r for r in framing_records if r["event"] == "fares"])
    copy = replace(vote[2], id="fr-a3-copy", url="https://centre.example/copy", source="Centre Wire")
    # A copy with the same text is an exact duplicate: it joins the event without moving it.
    (event,) = _events(OnlineAssigner(), [*vote, copy]).values()
    assert event.outlets == [("Centre Wire", 2), ("Left Daily", 1), ("Right Herald", 1)]
    assert event.article_count == 4


def test_a_merge_keeps_the_more_central_representative_and_adds_the_counts(framing_records):
    # Every article opens its own event (join bar out of reach); the merge pass, after each
    # second article, brings them together.
    config = AssignConfig(cluster=ClusterConfig(threshold=10.0, merge_every=2, merge_threshold=0.3))
    vote = _articles([r for r in framing_records if r["event"] == "fares"])
    events = _events(OnlineAssigner(config), vote[:2])
    (event,) = events.values()
    assert event.article_ids == ["fr-a1", "fr-a2"]
    assert dict(event.outlets) == {"Left Daily": 1, "Right Herald": 1}
    assert event.representative_id == "fr-a1"  # the older event's founder: no measure beats it yet


def test_first_sentence_skips_abbreviations_and_cuts_long_ones():
    assert first_sentence("U.S. President Joe Biden spoke on Monday. He said more.") == \
        "U.S. President Joe Biden spoke on Monday."
    assert first_sentence("Mr. Barrow arrived at 9 a.m. Tuesday to vote. Then he left.") == \
        "Mr. Barrow arrived at 9 a.m. Tuesday to vote."
    assert first_sentence("A headline line\nThe body starts here.") == "A headline line"
    long = "word " * 100
    cut = first_sentence(long, limit=40)
    assert len(cut) <= 40 and cut.endswith("…") and " word…" in cut


def test_main_names_rank_by_mentions_times_rarity():
    rarity = Memo(lambda word: {"monday": 5.0, "barrow": 15.0, "valmora": 18.0, "the": 3.0,
                                "critics": 11.0}.get(word, 12.0))
    runs = [("Monday", False), ("Ines Barrow", False), ("Valmora", False), ("Barrow's", False),
            ("Monday", False), ("Valmora", False), ("Valmora's", False)]
    assert main_names(runs, rarity, 3) == ("Valmora", "Ines Barrow", "Barrow")


def test_a_sentence_opening_is_a_name_only_when_two_uncommon_words_remain():
    rarity = Memo(lambda word: {"the": 3.0, "in": 3.5}.get(word, 12.0))
    runs = [("Councillor Ines Barrow", True), ("Critics", True), ("The Valmora", True),
            ("In Valmora City", True)]
    assert main_names(runs, rarity, 5) == ("Councillor Ines Barrow", "Valmora City")


def test_names_are_found_in_every_script_with_capitals():
    article = normalize_record({
        "id": "ru-1", "source": "Вечерний курьер", "language": "ru", "url": "https://kurier.example/ru-1",
        "published": "2026-03-10T09:00:00Z",
        "title": "Переговоры в Брюсселе",
        "text": ("Министр Велислав Остроградов прибыл в Брюссель во вторник. Встреча с Марошем Шефчовичем "
                 "продлилась три часа, сообщил Велислав Остроградов журналистам. " * 3),
    })
    names = featurize(article).names
    assert "Марошем Шефчовичем" in names and any(name.endswith("Велислав Остроградов") for name in names)
    accented = normalize_record({
        "id": "fr-1", "source": "Le Courrier", "language": "fr", "url": "https://courrier.example/fr-1",
        "published": "2026-03-10T09:00:00Z", "title": "Accord à Genève",
        "text": "Selon Élodie Ærsøe-Vančura, la délégation d'Émile Ščedrin a signé. " * 4,
    })
    assert {"Élodie Ærsøe-Vančura", "Émile Ščedrin"} <= set(featurize(accented).names)
