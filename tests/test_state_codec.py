"""The assigner's saved state: data only, versioned, incremental, and resumed exactly."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

import pytest

from benchmarks.synthetic import StreamConfig, SyntheticStream
from newsbeam.connectors.sinks.base import StateChanges
from newsbeam.connectors.sinks.sqlite import SqliteBackend
from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner
from newsbeam.pipelines.cluster import ClusterConfig
from newsbeam.pipelines.features import featurize
from newsbeam.pipelines.normalize import normalize_record
from newsbeam.pipelines.state_codec import ADDED_SETTINGS, FORMAT_VERSION, HEADER, StateFormatError

# Long enough in event time to expire dedup keys (3 days) and events (7 days), decay
# document frequencies (daily) and merge events (every 100 articles).
STREAM = StreamConfig(articles=1200, articles_per_day=80.0, seed=5, topics=8, outlets=12)


@pytest.fixture(scope="module")
def stream():
    records = [{k: v for k, v in record.items()} for record, _ in SyntheticStream(STREAM)]
    articles = sorted((normalize_record(r) for r in records), key=lambda a: a.sort_key)
    return [(article, featurize(article)) for article in articles]


def apply(parts: dict[str, bytes], changes: StateChanges) -> None:
    for name in changes.deletes:
        parts.pop(name, None)
    parts.update(changes.upserts)


def uninterrupted(stream, config: AssignConfig) -> list:
    assigner = OnlineAssigner(config)
    return [(assigner.process(a, f), assigner.drain_events()) for a, f in stream]


# The second configuration's document frequencies decay so fast that their scale
# is folded into the counts within the stream.
@pytest.mark.parametrize("config", [AssignConfig(), AssignConfig(cluster=ClusterConfig(df_half_life_days=0.02))],
                         ids=["default", "fast-decay"])
def test_restored_assigners_decide_exactly_as_one_that_never_stopped(stream, config):
    expected = uninterrupted(stream, config)
    saved: dict[str, bytes] = {}
    assigner = OnlineAssigner(config)
    got = []
    for n, (article, features) in enumerate(stream, 1):
        decision = assigner.process(article, features)
        if n % 250 == 0:
            # A restart between deciding and draining: everything from here on,
            # events not yet drained included, comes from the saved parts.
            apply(saved, assigner.state_changes())
            assigner = OnlineAssigner.restore(dict(saved), config)
        got.append((decision, assigner.drain_events()))
        if n % 7 == 0:
            apply(saved, assigner.state_changes())
    assert got == expected
    # The restored state is the live one, entry for entry.
    apply(saved, assigner.state_changes())
    again = OnlineAssigner.restore(saved, config)
    assert again.state_changes().empty
    assert sorted(again.clusterer.events) == sorted(assigner.clusterer.events)
    assert len(again.exact) == len(assigner.exact) and len(again.near) == len(assigner.near)


def test_saves_write_what_changed_and_the_log_stays_near_the_live_state(stream):
    config = AssignConfig()
    assigner = OnlineAssigner(config)
    saved: dict[str, bytes] = {}
    written = []
    for n, (article, features) in enumerate(stream, 1):
        assigner.process(article, features)
        assigner.drain_events()
        if n % 10 == 0:
            changes = assigner.state_changes()
            apply(saved, changes)
            written.append(sum(map(len, changes.upserts.values())))
    assert not assigner.state_changes()  # nothing changed since the last save
    # A save of ten articles' changes costs about the same early and late in the stream.
    early, late = sorted(written[5:25])[10], sorted(written[-20:])[10]
    assert late < 2 * early
    stored = sum(map(len, saved.values()))
    full = OnlineAssigner(config)
    for article, features in stream:
        full.process(article, features)
    live = sum(map(len, full.state_changes().upserts.values()))
    assert stored < 3 * live


def test_parts_are_data_a_json_reader_can_inspect(stream):
    assigner = OnlineAssigner()
    for article, features in stream[:50]:
        assigner.process(article, features)
    parts = assigner.state_changes().upserts
    header = json.loads(parts[HEADER])
    assert header["format"] == "newsbeam.assign-state" and header["version"] == FORMAT_VERSION
    assert header["config"]["cluster"]["hot_window_days"] == 7.0
    segments = [json.loads(data) for name, data in parts.items() if name != HEADER]
    assert {"exact", "near", "link", "event", "term"} <= set().union(*segments)


def test_an_unknown_format_version_is_refused_with_what_to_do(stream):
    assigner = OnlineAssigner()
    for article, features in stream[:20]:
        assigner.process(article, features)
    parts = dict(assigner.state_changes().upserts)
    header = json.loads(parts[HEADER])
    parts[HEADER] = json.dumps({**header, "version": FORMAT_VERSION + 1}).encode()
    with pytest.raises(StateFormatError) as refused:
        OnlineAssigner.restore(parts, AssignConfig())
    message = str(refused.value)
    assert f"version {FORMAT_VERSION + 1}" in message and f"version {FORMAT_VERSION}" in message
    assert "delete the saved state" in message
    with pytest.raises(StateFormatError, match="not JSON"):
        OnlineAssigner.restore({HEADER: b"\x80\x05\x95pickled"}, AssignConfig())


def test_a_version_1_state_is_read_with_empty_event_descriptions(stream):
    """States saved before events described themselves still resume: their events keep
    their members and terms and describe themselves from the articles that join next."""
    assigner = OnlineAssigner()
    for article, features in stream[:300]:
        assigner.process(article, features)
    parts = dict(assigner.state_changes().upserts)
    described = ("centrality", "summary", "name_counts", "source_counts", "language_counts")
    old: dict[str, bytes] = {HEADER: json.dumps({**json.loads(parts[HEADER]), "version": 1}).encode()}
    for name, data in parts.items():
        if name != HEADER:
            tables = json.loads(data)
            for event in tables.get("event", {}).values():
                for field in described:
                    event.pop(field, None)
            old[name] = json.dumps(tables).encode()

    restored = OnlineAssigner.restore(old, AssignConfig())

    assert sorted(restored.clusterer.events) == sorted(assigner.clusterer.events)
    event_id = next(iter(assigner.clusterer.events))
    event = restored.clusterer.events[event_id]
    assert event.members == assigner.clusterer.events[event_id].members
    assert (event.summary, event.source_counts) == ("", {})
    for article, features in stream[300:400]:
        assert restored.process(article, features) == assigner.process(article, features)


@pytest.mark.parametrize("setting", ADDED_SETTINGS["cluster"])
def test_a_state_saved_before_a_setting_was_added_is_resumed(stream, setting):
    """`small_event_members`, `lone_event_bar`, `lone_event_margin` and
    `merge_discounts_topic_words` came after states were saved without them; they change
    no saved entry, so such a state resumes rather than being replaced by a fresh one."""
    assigner = OnlineAssigner()
    for article, features in stream[:300]:
        assigner.process(article, features)
    parts = dict(assigner.state_changes().upserts)
    header = json.loads(parts[HEADER])
    del header["config"]["cluster"][setting]
    parts[HEADER] = json.dumps(header).encode()

    restored = OnlineAssigner.restore(parts, AssignConfig())

    assert sorted(restored.clusterer.events) == sorted(assigner.clusterer.events)
    for article, features in stream[300:400]:
        assert restored.process(article, features) == assigner.process(article, features)
    apply(parts, restored.state_changes())
    assert json.loads(parts[HEADER])["config"]["cluster"][setting] == getattr(ClusterConfig(), setting)
    # A state that names another value of the setting was taken under another configuration.
    other = ClusterConfig(**{setting: 0})
    assert not OnlineAssigner.restore(parts, AssignConfig(cluster=other)).clusterer.events


def test_state_of_another_configuration_is_replaced_on_the_first_save(stream):
    old = OnlineAssigner()
    for article, features in stream[:300]:
        old.process(article, features)
    saved = dict(old.state_changes().upserts)
    other = AssignConfig(cluster=replace(ClusterConfig(), threshold=0.4))
    fresh = OnlineAssigner.restore(saved, other)
    assert not fresh.clusterer.events
    article, features = stream[300]
    fresh.process(article, features)
    apply(saved, fresh.state_changes())
    assert json.loads(saved[HEADER])["config"]["cluster"]["threshold"] == 0.4
    resumed = OnlineAssigner.restore(saved, other)
    assert list(resumed.clusterer.events) == list(fresh.clusterer.events)


def test_sqlite_saves_atomically_and_loads_every_part(tmp_path, stream):
    backend = SqliteBackend(tmp_path)
    assert backend.load_state("assign:en") == {}
    assigner = OnlineAssigner()
    for n, (article, features) in enumerate(stream[:200], 1):
        assigner.process(article, features)
        if n % 20 == 0:
            backend.save_state("assign:en", assigner.state_changes())
    backend.save_state("poll:x", StateChanges({"validators": b"[]"}))
    loaded = backend.load_state("assign:en")
    resumed = OnlineAssigner.restore(loaded, AssignConfig())
    assert resumed.state_changes().empty
    # A save that fails half-way leaves the parts as they were.
    before = backend.load_state("assign:en")
    with pytest.raises(sqlite3.Error):
        backend.save_state("assign:en", StateChanges({"meta": b"new", "broken": object()}, frozenset(before) - {"meta"}))
    assert backend.load_state("assign:en") == before
    assert backend.load_state("poll:x") == {"validators": b"[]"}
    backend.close()


def test_sqlite_lists_the_keys_with_saved_state(tmp_path):
    backend = SqliteBackend(tmp_path)
    try:
        for key in ("assign:en", "assign:de", "poll:https://example.org/feed", "assign_x"):
            backend.save_state(key, StateChanges({"meta": b"v1"}))
        backend.save_state("assign:fr", StateChanges({"meta": b"v1"}))
        backend.save_state("assign:fr", StateChanges(deletes=frozenset({"meta"})))
        assert backend.state_keys("assign:") == ["assign:de", "assign:en"]
        assert backend.state_keys("poll:") == ["poll:https://example.org/feed"]
    finally:
        backend.close()
