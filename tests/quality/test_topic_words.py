"""Merging two grown events on a topic's word, on an invented festival's headlines.

Two stories of one festival: its headliner cancels, and its ticket app crashes. Every
headline of both says "festival", so once each story has grown an event, "festival"
is the heaviest term both centroids share. With a merge bar low enough for that word
alone, the pass merges the two stories, unless the word is weighed by how many hot
events carry it: when four other festival stories are hot too, the word says "this
festival", not "this story", and the two stay apart; when the two stories are the
only events that carry it, it weighs fully and they merge.
"""

from __future__ import annotations

from datetime import datetime, timezone

from support import events_through_core, story_article

from newsbeam.pipelines.cluster import ClusterConfig

START = datetime(2025, 6, 2, 9, tzinfo=timezone.utc)

HEADLINER = [
    ("a1", "Festival headliner Orla Venn cancels, citing illness"),
    ("a2", "Orla Venn pulls out of festival with illness"),
    ("a3", "Illness forces Orla Venn off festival bill"),
    ("a4", "Festival seeks stand-in after Orla Venn withdraws"),
]
OTHER_STORIES = [
    ("c1", "Festival bans glass bottles on the riverside"),
    ("d1", "Rain forecast for festival weekend"),
    ("e1", "Festival traffic plan closes the old bridge"),
    ("f1", "Food stalls at festival double in a year"),
]
TICKET_APP = [
    ("b1", "Festival ticket app crashes as gates open"),
    ("b2", "Ticket app outage leaves festival crowds queuing"),
    ("b3", "Festival apologises for ticket app crash"),
    ("b4", "Queues at festival gates after ticket app fails"),
]


def _events(headlines: list[tuple[str, str]], discount: bool) -> dict[str, str]:
    """Article id → event id, the headlines three minutes apart, one merge pass at the end,
    at a merge bar (0.2 instead of 0.4) that the shared word alone reaches."""
    articles = [story_article(START, article_id, n * 0.05, f"Outlet {n % 3}", title, title)
                for n, (article_id, title) in enumerate(headlines)]
    config = ClusterConfig(merge_every=len(headlines), merge_threshold=0.2, merge_discounts_topic_words=discount)
    return events_through_core(articles, config)


def _apart(events: dict[str, str]) -> bool:
    return events["a1"] != events["b1"]


def test_each_story_is_one_event():
    events = _events(HEADLINER + OTHER_STORIES + TICKET_APP, discount=True)
    assert len({events[a] for a, _ in HEADLINER}) == 1 and len({events[b] for b, _ in TICKET_APP}) == 1, events


def test_a_topic_word_many_hot_events_carry_does_not_merge_two_stories():
    assert not _apart(_events(HEADLINER + OTHER_STORIES + TICKET_APP, discount=False))
    assert _apart(_events(HEADLINER + OTHER_STORIES + TICKET_APP, discount=True))


def test_a_word_only_the_two_events_carry_weighs_fully():
    """Without the other festival stories the discount changes nothing: the pair merges."""
    assert not _apart(_events(HEADLINER + TICKET_APP, discount=False))
    assert not _apart(_events(HEADLINER + TICKET_APP, discount=True))
