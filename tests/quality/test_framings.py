"""One event told from opposite sides, and what keeps its neighbours apart: time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from benchmarks.quality import evaluate
from newsbeam.pipelines.cluster import ClusterConfig, OnlineClusterer
from newsbeam.pipelines.features import featurize


def test_one_vote_told_three_ways_is_one_event_and_the_strike_another(framing_records):
    gold = {r["id"]: r["event"] for r in framing_records}
    scores = evaluate(framing_records, gold)
    assert (scores.events, scores.precision, scores.recall) == (2, 1.0, 1.0), scores


def test_the_same_story_hours_apart_joins_and_days_apart_opens_its_own_event(framing_records, make_article):
    """The time factor: outlets cover one happening within about a day; the same words two and a
    half days after an event's last article are a new happening far more often than a late report."""
    left, centre = framing_records[0], framing_records[2]
    config = ClusterConfig()
    for hours, joins in ((0.0, True), (13.0, True), (60.0, False)):
        clusterer = OnlineClusterer(config)
        first = make_article(**{k: v for k, v in left.items() if k != "event"})
        opened = clusterer.assign(first, featurize(first))
        later = make_article(**{k: v for k, v in centre.items() if k != "event"})
        later = replace(later, published=first.published + timedelta(hours=hours))
        assert (clusterer.assign(later, featurize(later)) == opened) is joins, hours
