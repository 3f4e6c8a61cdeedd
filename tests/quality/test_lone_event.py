"""Joining an event of one article at the lower bar, on invented articles.

A port strike ends: one outlet reports the deal, another, two hours later, tells
what the walkout cost the shippers, sharing the union leader's name and the harbour
with the report but few other words. Against the report's event
of one article the framing scores below the join bar, above `lone_event_bar` of
it, and no other event comes near: it joins. A one-off of the same beat (a
walkout at another harbour, with the shippers' words) that comes near the framing
as well leaves it no margin: it opens an event of its own.
"""

from __future__ import annotations

from datetime import datetime, timezone

from support import events_through_core, story_article

from newsbeam.pipelines.cluster import ClusterConfig, OnlineClusterer
from newsbeam.pipelines.features import featurize

START = datetime(2025, 3, 4, 8, tzinfo=timezone.utc)

REPORT = ("a1", 0, "Left Ledger", "Valdmark dockworkers end nine-day strike with 7 percent raise",
          "Dockworkers at the port of Valdmark returned to the cranes on Tuesday after their union accepted a 7 "
          "percent raise over two years, ending a nine-day strike. Union leader Oskar Brenne called the deal a "
          "victory for families who keep the harbour running, and said night-shift pay would rise too.")
FRAMING = ("b1", 2, "Right Register", "Shippers tally the bill for Brenne's walkout",
           "Freight companies say the walkout that Brenne led cost them dearly: container ships waited offshore for "
           "days, perishable cargo spoiled on the quays, and importers rerouted through rival harbours. Exporters "
           "expect higher port charges to pay for the settlement.")
ONE_OFF = ("c1", 1, "Centre Daily", "Exporters tally the cost of Kessa harbour strike",
           "Freight companies at Kessa harbour say a pilots' strike cost them dearly: container ships waited "
           "offshore for days, perishable cargo spoiled and importers rerouted through rival harbours.")


def _events(*stories: tuple, cluster: ClusterConfig = ClusterConfig()) -> dict[str, str]:
    """Article id → event id at the end, through the core every path shares."""
    return events_through_core([story_article(START, *story) for story in stories], cluster)


class _Scored(OnlineClusterer):
    """A clusterer that notes, for each article, its score with each event as a share of its join bar."""

    shares: dict[str, float] = {}

    def _best_event(self, vector, when):
        bar = self.threshold_for(len(vector))
        self.shares = {event.article_ids[0]: self.similarity(vector, event) * self._time_factor(event, when) / bar
                       for event in self.events.values()}
        return super()._best_event(vector, when)


def _share_of_bar(*stories: tuple) -> dict[str, float]:
    """The last story's time-damped score with each event of the others, as a share of its join bar."""
    clusterer = _Scored()
    for article in (story_article(START, *story) for story in stories):
        clusterer.assign(article, featurize(article))
    return clusterer.shares


def test_the_framing_scores_below_the_join_bar_and_above_the_lone_event_bar():
    share = _share_of_bar(REPORT, FRAMING)["a1"]
    assert ClusterConfig().lone_event_bar <= share < 1.0, share


def test_a_framing_joins_an_event_of_one_article_below_the_join_bar():
    events = _events(REPORT, FRAMING)
    assert events["b1"] == events["a1"], events


def test_without_the_rule_the_framing_opens_its_own_event():
    events = _events(REPORT, FRAMING, cluster=ClusterConfig(lone_event_bar=1.0))
    assert events["b1"] != events["a1"], events


def test_a_near_runner_up_leaves_the_framing_on_its_own():
    """The one-off scores within `lone_event_margin` of the report's event: neither wins."""
    shares = _share_of_bar(REPORT, ONE_OFF, FRAMING)
    assert shares["a1"] < 1.0 and shares["a1"] < ClusterConfig().lone_event_margin * shares["c1"], shares
    events = _events(REPORT, ONE_OFF, FRAMING)
    assert len(set(events.values())) == 3, events


def test_without_the_margin_the_lower_bar_alone_lets_it_join():
    events = _events(REPORT, ONE_OFF, FRAMING, cluster=ClusterConfig(lone_event_margin=0.0))
    assert events["b1"] == events["a1"] and events["c1"] != events["a1"], events
