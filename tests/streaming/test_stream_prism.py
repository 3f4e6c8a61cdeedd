"""The streaming pipeline on Prism against a site publishing an article every second."""

from __future__ import annotations

import dataclasses

import pytest
from feedserver import LOCAL_FETCH
from indexwatch import IndexWatcher, article_id, percentile

from newsbeam.connectors.sinks import BackendSettings, open_backend
from newsbeam.pipelines.runners import RunnerSettings
from newsbeam.pipelines import streaming
from newsbeam.pipelines.streaming import StreamSettings, run

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ITEMS = 60
POLL_INTERVAL = 2.0


def test_every_item_indexed_once_within_ten_seconds(prism_binary, news_site, tmp_path):
    site = news_site(total=ITEMS, interval=1.0)
    backend = BackendSettings(data_dir=tmp_path / "data")
    settings = StreamSettings(
        feeds=(site.feed_url,), fetch=LOCAL_FETCH, backend=backend, poll_interval=POLL_INTERVAL, run_for=ITEMS + 12, metrics_interval=10
    )
    watcher = IndexWatcher(site, backend).start()
    site.publish_all()
    try:
        counters = run(settings, RunnerSettings(runner="prism"))
    finally:
        watcher.stop()
    assert streaming._SHARED == {}, "a finished job keeps its hot state and connections in the process"

    index = open_backend(backend)
    try:
        ids = [article_id(site, item) for item in site.items]
        assert len(site.items) == ITEMS
        assert index.known_article_ids(ids) == set(ids)
        assert index.counts()["articles"] == ITEMS
        # Written once each: no retry, replay or re-poll wrote an article twice.
        assert counters["articles_indexed"] == ITEMS
        assert counters["fetched"] == ITEMS
        # One worker process: its hot state is loaded once, however the runner splits and overlaps bundles.
        assert counters["state_loads"] == 1
        members = [a for e in _events(index, ids) for a in e.article_ids]
        assert sorted(members) == sorted(ids), "each article belongs to exactly one event, once"
    finally:
        index.close()

    latencies = watcher.latencies()
    assert len(latencies) == ITEMS
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    print(f"\npublish-to-searchable latency over {ITEMS} items (poll every {POLL_INTERVAL:.0f}s): "
          f"p50 {p50:.2f}s p95 {p95:.2f}s max {latencies[-1]:.2f}s")
    assert p95 <= 10.0


def test_the_sources_of_a_tick_are_read_at_once(prism_binary, news_site, tmp_path):
    """Each site gets one request a second; reading four sites one after another
    would take four times as long as reading one, and a tick as long as all of them."""
    sites = [news_site(total=3, seed=20 + n, start_number=100 * n) for n in range(4)]
    for site in sites:
        site.publish_now(3)
    backend = BackendSettings(data_dir=tmp_path / "data")
    polite = dataclasses.replace(LOCAL_FETCH, min_interval=1.0, max_per_host=1)
    settings = StreamSettings(feeds=tuple(site.feed_url for site in sites), fetch=polite, backend=backend,
                              poll_interval=60, run_for=0, concurrent_feeds=4)
    counters = run(settings, RunnerSettings(runner="prism"))

    assert counters["articles_indexed"] == 12 and counters["polls"] == 4
    first_feed_reads = [min(t for t, path in site.requests if path == "/feed.xml") for site in sites]
    third_page_reads = [sorted(t for t, path in site.requests if path.startswith("/articles/"))[2] for site in sites]
    # Every site's feed was read before any site had been sent its third page.
    assert max(first_feed_reads) < min(third_page_reads), (first_feed_reads, third_page_reads)


def _events(index, article_ids):
    seen = {}
    for article in article_ids:
        doc = index.get_article(article)
        event = index.get_event(doc["event_id"])
        seen[event.event_id] = event
    return list(seen.values())
