"""The backend's pure parts: event merging, batching, ranking, templates, retry decisions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from elasticsearch import BadRequestError

from newsbeam.connectors.sinks.elasticsearch.bulk import BulkAction, BulkLimits, chunk
from newsbeam.connectors.sinks.events import merge_event
from newsbeam.connectors.sinks.elasticsearch.indices import FALLBACK_TEXT_ANALYZER, resolve_template, template_version
from newsbeam.connectors.sinks.elasticsearch.retry import RetryPolicy, is_retryable
from newsbeam.connectors.sinks.elasticsearch.search import rank_events
from newsbeam.schemas import Event

T0 = datetime(2025, 6, 4, tzinfo=timezone.utc)


def ev(event_id, ids, *, sources=(), first=T0, last=T0, aliases=(), title="t"):
    return Event(event_id, title, ids[0], list(ids), list(sources), first, last, [], list(aliases))


def test_merge_keeps_every_article_either_view_has():
    stored = ev("e1", ["a", "b"], sources=["x"], first=T0 - timedelta(days=1))
    incoming = ev("e1", ["a", "c"], sources=["y"], last=T0 + timedelta(days=1), title="new title")
    merged = merge_event(incoming, stored)
    assert merged.article_ids == ["a", "b", "c"]
    assert merged.sources == ["x", "y"]
    assert (merged.first_seen, merged.last_seen) == (T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert merged.title == "new title"


def test_merge_absorbs_aliases_articles_and_their_aliases():
    absorbed = ev("e2", ["c"], aliases=["e3"])
    merged = merge_event(ev("e1", ["a"], aliases=["e2"]), ev("e1", ["a", "b"]), [absorbed])
    assert merged.article_ids == ["a", "b", "c"]
    assert merged.aliases == ["e3", "e2"]


def test_chunks_respect_count_and_bytes():
    items = [(BulkAction("index", "i", str(n), {"x": "y" * 90}), b"z" * 100) for n in range(25)]
    by_count = list(chunk(items, BulkLimits(max_actions=10, max_bytes=10**6)))
    assert [len(b) for b in by_count] == [10, 10, 5]
    by_bytes = list(chunk(items, BulkLimits(max_actions=100, max_bytes=350)))
    assert [len(b) for b in by_bytes] == [3] * 8 + [1]
    assert list(chunk([(items[0][0], b"z" * 1000)], BulkLimits(max_bytes=10))) == [[(items[0][0], b"z" * 1000)]]


def test_a_small_call_is_spread_over_the_concurrent_requests():
    limits = BulkLimits(max_actions=500, concurrency=4)
    assert limits.for_call(500).max_actions == 125
    assert limits.for_call(50).max_actions == 13
    assert limits.for_call(3).max_actions == 1
    assert limits.for_call(0).max_actions == 1
    assert limits.for_call(100_000).max_actions == 500
    assert BulkLimits(max_actions=500, concurrency=1).for_call(500).max_actions == 500


def test_ranking_bonus_for_many_matches_and_recency():
    def hit(aid, event, score, at):
        return {"_id": aid, "_score": score, "_source": {"event_id": event, "published": at.isoformat()}}

    hits = [hit("a1", "one", 10.0, T0 - timedelta(days=30)), hit("b1", "many", 9.0, T0), hit("b2", "many", 8.0, T0), hit("b3", "many", 7.0, T0)]
    ranked = rank_events(hits, recency_boost=0.0)
    assert [r.event_id for r in ranked] == ["many", "one"]  # 9 * (1 + 0.25 ln 3) > 10
    assert ranked[0].best_article == "b1"
    only_best = rank_events(hits[:2], recency_boost=0.0)
    assert [r.event_id for r in only_best] == ["one", "many"]
    boosted = rank_events(hits[:2], recency_boost=1.0)
    assert [r.event_id for r in boosted] == ["many", "one"]


def test_templates_degrade_without_the_english_analyzer():
    full = resolve_template("events", english=True)
    minimal = resolve_template("events", english=False)
    assert full["settings"]["analysis"]["analyzer"]["news_text"] == {"type": "english"}
    assert minimal["settings"]["analysis"]["analyzer"]["news_text"] == FALLBACK_TEXT_ANALYZER
    assert template_version(full) != template_version(minimal)
    assert template_version(full) == template_version(resolve_template("events", english=True))


def test_retry_gives_up_at_once_on_a_bad_request():
    calls = []

    class Meta:
        status = 400

    def bad():
        calls.append(1)
        raise BadRequestError("bad", Meta(), {})

    with pytest.raises(BadRequestError):
        RetryPolicy(budget_seconds=5).call("bad", bad)
    assert calls == [1]
    assert not is_retryable(BadRequestError("bad", Meta(), {}))
