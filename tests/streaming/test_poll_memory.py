"""The poller's memory of links in flight never hides an item the index does not have.

`PollSourceFn` keeps, per source, the links it emitted until the index has their
articles, and skips them at the next poll. That memory lives in the worker process,
outside the runner's transactions: these tests drive the DoFn as a runner does
(setup, bundles, a retried bundle) against a local news site and the embedded index.
"""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from feedserver import LOCAL_FETCH
from wire_items import BRIDGE, FERRY, FERRY_CORRECTED, ninjs

from newsbeam.connectors.pages import PageSettings
from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.sinks import BackendSettings, IndexedArticle, open_backend
from newsbeam.pipelines.normalize import normalize_record
from newsbeam.pipelines.streaming import PollSourceFn, release_shared


def _bundle(fn: PollSourceFn, *urls: str) -> list[RawRecord]:
    """One bundle of `urls`' turns: the records it emits (it raises as the bundle fails)."""
    fn.start_bundle()
    for url in urls:
        fn.process((url, 0))
    emitted = [getattr(out, "value", out) for out in fn.finish_bundle()]
    return [record for record in emitted if isinstance(record, RawRecord)]


@pytest.fixture
def poll_fn(tmp_path):
    made: list[str] = []

    def make(resend_after: float = PollSourceFn.RESEND_AFTER) -> PollSourceFn:
        job = f"poll-memory-{uuid.uuid4().hex}"
        made.append(job)
        fn = PollSourceFn(BackendSettings(data_dir=tmp_path), LOCAL_FETCH, PageSettings(), job, concurrent=2,
                          resend_after=resend_after)
        fn.setup()
        return fn

    yield make
    for job in made:
        release_shared(job)


def test_a_failed_bundle_forgets_what_its_other_polls_emitted(news_site, poll_fn, monkeypatch):
    good, broken = news_site(total=3), news_site(total=2, seed=11)
    good.publish_now(3)
    broken.publish_now(2)
    fn = poll_fn()
    poller = fn._polling.poller
    real_poll = poller.poll

    def poll_failing_on_broken(url, *args, **kwargs):
        if url == broken.feed_url:
            raise RuntimeError("injected failure of one source's poll")
        return real_poll(url, *args, **kwargs)

    monkeypatch.setattr(poller, "poll", poll_failing_on_broken)
    with pytest.raises(RuntimeError, match="injected failure"):
        _bundle(fn, good.feed_url, broken.feed_url)

    # The runner retries the bundle: the good source's items come again, none is lost.
    monkeypatch.setattr(poller, "poll", real_poll)
    retried = _bundle(fn, good.feed_url, broken.feed_url)
    assert sorted(record.origin for record in retried) == sorted(
        [good.link(item) for item in good.items] + [broken.link(item) for item in broken.items])
    # And a bundle after a successful one skips what is in flight.
    assert _bundle(fn, good.feed_url, broken.feed_url) == []


def test_links_the_index_lacks_after_the_resend_delay_are_read_again(news_site, poll_fn, tmp_path):
    site = news_site(total=4)
    site.publish_now(4)
    fn = poll_fn(resend_after=0.0)
    first = _bundle(fn, site.feed_url)
    assert len(first) == 4

    # Two of them reach the index; the other two were lost downstream.
    backend = open_backend(BackendSettings(data_dir=tmp_path))
    try:
        backend.write_articles([IndexedArticle(normalize_record(record.data), "evt-a") for record in first[:2]])
    finally:
        backend.close()
    again = _bundle(fn, site.feed_url)
    assert sorted(record.origin for record in again) == sorted(record.origin for record in first[2:])


def test_links_in_flight_within_the_resend_delay_are_not_read_again(news_site, poll_fn):
    site = news_site(total=2)
    site.publish_now(2)
    fn = poll_fn(resend_after=3600.0)
    assert len(_bundle(fn, site.feed_url)) == 2
    assert _bundle(fn, site.feed_url) == []
    requests_before = len(site.requests)
    assert _bundle(fn, site.feed_url) == []
    # Only the feed was asked again: no page was fetched twice.
    assert [path for _, path in site.requests[requests_before:]] == ["/feed.xml"]


def _index(data_dir, records: list[RawRecord]) -> None:
    """Write the polled records' articles to the embedded index in `data_dir`, as the pipeline would."""
    backend = open_backend(BackendSettings(data_dir=data_dir))
    try:
        backend.write_articles([IndexedArticle(normalize_record(record.data), "evt-a") for record in records])
    finally:
        backend.close()


def test_a_wire_item_at_the_version_held_is_confirmed_and_only_a_restart_sends_it_again(endpoint, poll_fn, tmp_path,
                                                                                        monkeypatch):
    """An emitted correction or kill is confirmed once the index holds its version (not read again as lost);
    a restarted poller sends it once more, for the core's replay to repair a state saved without it."""
    monkeypatch.setenv("NEWSBEAM_ALLOW_LOOPBACK", "1")
    endpoint.serve(ninjs("urn:nw:ferry", version=2, story=FERRY_CORRECTED),
                   ninjs("urn:nw:bridge", version=2, pubstatus="canceled", story=BRIDGE))
    fn = poll_fn(resend_after=0.0)
    first = _bundle(fn, endpoint.url)
    assert len(first) == 2
    _index(tmp_path, first)
    assert _bundle(fn, endpoint.url) == []
    restarted = poll_fn()
    assert sorted(record.origin for record in _bundle(restarted, endpoint.url)) == sorted(r.origin for r in first)
    assert _bundle(restarted, endpoint.url) == []


def test_a_record_normalize_will_dead_letter_is_sent_once_and_the_next_poll_goes_on(endpoint, poll_fn, monkeypatch):
    """An item with neither headline nor text becomes a dead letter downstream: there is nothing for the
    index to confirm, so the poller does not wait for it (its next poll failed on the missing article)."""
    monkeypatch.setenv("NEWSBEAM_ALLOW_LOOPBACK", "1")
    endpoint.serve(ninjs("urn:nw:ferry", story=FERRY), ninjs("urn:nw:empty", story=FERRY, title="", text=""))
    fn = poll_fn(resend_after=0.0)
    assert len(_bundle(fn, endpoint.url)) == 2
    again = _bundle(fn, endpoint.url)  # the ferry is not indexed in this test: read again as lost
    assert [record.data["id"] for record in again] == ["urn:nw:ferry"]


def test_a_newer_version_at_a_confirmed_place_of_a_wire_document_is_sent(endpoint, poll_fn, tmp_path, monkeypatch):
    """A correction served where the confirmed first version was is a new item (its record names the
    version), sent, not a link this job has read."""
    monkeypatch.setenv("NEWSBEAM_ALLOW_LOOPBACK", "1")
    endpoint.serve(ninjs("urn:nw:ferry", version=1, story=FERRY))
    fn = poll_fn(resend_after=0.0)
    first = _bundle(fn, endpoint.url)
    _index(tmp_path, first)
    assert _bundle(fn, endpoint.url) == []
    endpoint.serve(ninjs("urn:nw:ferry", version=2, story=FERRY_CORRECTED))
    corrected = _bundle(fn, endpoint.url)
    assert [str(record.data["version"]) for record in corrected] == ["2"]


class _CountingBackend:
    """The real index backend, counting the calls made of it by method name."""

    def __init__(self, backend) -> None:
        self._backend = backend
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str):
        attribute = getattr(self._backend, name)
        if not callable(attribute):
            return attribute

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return attribute(*args, **kwargs)

        return counted


def test_a_poll_asks_the_index_once_what_it_holds(endpoint, wire_index, monkeypatch):
    """A poll with items in flight and items read learns which the index holds from one lookup: on
    Elasticsearch each backend call is a request, and a poll of every source each tick adds up."""
    monkeypatch.setenv("NEWSBEAM_ALLOW_LOOPBACK", "1")
    endpoint.serve(ninjs("urn:nw:ferry", version=2, story=FERRY_CORRECTED), ninjs("urn:nw:bridge", story=BRIDGE))
    job = f"poll-requests-{uuid.uuid4().hex}"
    fn = PollSourceFn(wire_index, LOCAL_FETCH, PageSettings(), job, concurrent=1)
    fn.setup()
    try:
        counting = _CountingBackend(fn._polling.backend)
        fn._polling.backend = counting
        first = _bundle(fn, endpoint.url)
        assert len(first) == 2
        backend = open_backend(wire_index)
        try:
            backend.write_articles([IndexedArticle(normalize_record(record.data), "evt-a") for record in first])
        finally:
            backend.close()
        counting.calls.clear()
        # Both items are in flight (to confirm) and read again (to skip): one lookup answers both.
        assert _bundle(fn, endpoint.url) == []
        assert counting.calls["known_article_ids"] == 1
        assert counting.calls["stored_versions"] == 1
        assert set(counting.calls) <= {"known_article_ids", "stored_versions", "save_state"}
    finally:
        release_shared(job)
