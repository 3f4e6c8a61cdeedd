"""The merge pass's second look at small events, on an invented happening.

A council approves a tidal barrier; three reports tell the vote, and an opinion piece,
published an hour after the first report, tells what the barrier does to the
harbour's fishermen, with few of the reports' words. It opens an event of its own:
against the first report alone it is far below the join bar. The two later reports
quote the fishermen too, so when the merge pass looks again the reports' event has
grown towards the opinion piece: above the join bar, still below the merge bar two
grown events must clear.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support import events_through_core, story_article

from newsbeam.pipelines.cluster import ClusterConfig

START = datetime(2025, 6, 2, 9, tzinfo=timezone.utc)

REPORTS = [
    ("r1", 0, "Centre Post", "Harbour city council approves Kestrel Bay tidal barrier",
     "The Ostmark city council approved the Kestrel Bay tidal barrier on Monday by 31 votes to 12. The barrier, "
     "a 2.4-kilometre wall of steel gates across the bay that trawler crews in the harbour district oppose, will "
     "cost 1.9 billion and protect 40,000 homes from storm surges. Mayor Talia Wren said construction starts next "
     "spring."),
    ("r2", 2, "Wire One", "Ostmark votes for Kestrel Bay barrier; skippers count the cost",
     "Ostmark councillors backed the Kestrel Bay tidal barrier on Monday, 31 to 12. The steel gates across the bay "
     "will shield 40,000 homes from storm surges at a cost of 1.9 billion, Mayor Talia Wren said, with construction "
     "from next spring. Trawler crews and skippers in the harbour district and chandlers on the quay fear silted "
     "channels, shuttered moorings and higher mooring fees."),
    ("r3", 4, "Bay Radio", "Kestrel Bay barrier wins council vote; trawler crews fear for their moorings",
     "The council of Ostmark voted 31-12 on Monday for the tidal barrier across Kestrel Bay, steel gates meant to "
     "keep storm surges from 40,000 homes. Mayor Talia Wren put the cost at 1.9 billion; trawler crews, skippers and "
     "chandlers on the quay warned of silted channels, higher mooring fees and shuttered moorings."),
]
OPINION = ("o1", 1, "Right Herald", "Fishermen pay for the mayor's concrete vanity",
           "Trawler crews in the harbour district warn that silted channels, shuttered moorings and higher mooring "
           "fees will follow the tidal barrier that the mayor, Talia Wren, pushed through the council. Skippers say "
           "nobody asked them, and the chandlers along the quay expect to close within a year.")


def _events(cluster: ClusterConfig, opinion_hours: float = OPINION[1]) -> dict[str, str]:
    """Article id → event id at the end, through the core every path shares."""
    articles = [story_article(START, *report) for report in REPORTS]
    articles.append(story_article(START, OPINION[0], opinion_hours, *OPINION[2:]))
    return events_through_core(articles, cluster)


# A pass after every fourth article: the four articles meet one pass.
EVERY_FOURTH = ClusterConfig(merge_every=4)


def test_a_small_event_merges_at_the_join_bar_with_a_grown_neighbour():
    events = _events(EVERY_FOURTH)
    assert len(set(events.values())) == 1, events
    # The older event survives: the first report's.
    assert events["o1"] == events["r1"]


def test_without_the_second_look_the_merge_bar_keeps_them_apart():
    events = _events(ClusterConfig(merge_every=4, small_event_members=0))
    assert events["o1"] != events["r1"] and len({events[r] for r in ("r1", "r2", "r3")}) == 1, events


def test_the_smaller_event_of_a_pair_decides_whether_it_is_small():
    """The reports' event has three members and the opinion's one: a second look for
    events of one article still sees the pair."""
    assert len(set(_events(ClusterConfig(merge_every=4, small_event_members=1)).values())) == 1


@pytest.mark.parametrize("hours", [40.0, 80.0])
def test_the_same_opinion_days_after_the_vote_stays_apart(hours):
    """Time damps the pair's score as it damps a join: a day and a half and more after the
    reports, the same words are not enough even at the join bar."""
    events = _events(EVERY_FOURTH, opinion_hours=hours)
    assert events["o1"] != events["r1"], events
