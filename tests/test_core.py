"""The one assignment core: replays, repeated ids, event counts, and a crash between
the commit steps caught up from the index (embedded index here, and both backends for
a replay's place in the log; Elasticsearch in tests/elasticsearch/test_commit_order.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from support import read_jsonl

from newsbeam.connectors.sinks import BackendSettings, IndexedArticle, open_backend
from newsbeam.connectors.sinks.base import StateChanges
from newsbeam.connectors.sinks.sqlite import SqliteBackend
from newsbeam.pipelines import faults
from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner, assignment_key
from newsbeam.pipelines.core import AssignmentCore, commit, load_assigner, state_key
from newsbeam.pipelines.features import featurize
from newsbeam.pipelines.normalize import normalize_record
from newsbeam.schemas import Article, DeadLetter

CONFIG = AssignConfig()
EVENTS = Path(__file__).parent / "quality" / "fixtures" / "fulltext_events.jsonl"


def _articles() -> list[Article]:
    """Invented full-text articles (events by several outlets, wire copies), in publication order."""
    return sorted((normalize_record(row) for row in read_jsonl(EVENTS)), key=lambda a: a.sort_key)


def _offer_all(core: AssignmentCore, articles: list[Article]) -> list[IndexedArticle | DeadLetter]:
    return [core.offer(assignment_key(a, CONFIG), a, featurize(a, CONFIG.features)) for a in articles]


def _restored(core: AssignmentCore) -> AssignmentCore:
    """A new core on the saved states of `core`'s keys, as a restarted worker gets them."""
    saved = {key: core.assigner(key).state_changes().upserts for key in core._assigners}
    return AssignmentCore(CONFIG, lambda key: OnlineAssigner.restore(saved.get(key), CONFIG), reject_repeated_ids=False)


def test_replayed_originals_and_copies_get_their_decisions_back_and_change_nothing():
    articles = _articles()
    first = AssignmentCore(CONFIG)
    decided = _offer_all(first, articles)
    events = {e.event_id: e for e in first.drain_events()}
    copies = [item for item in decided if item.duplicate_of]
    assert copies, "the fixture has wire copies"

    # What a restarted source may send again: the last stories, still in the hot state.
    recent = [i for i, a in enumerate(articles) if a.published >= articles[-1].published - timedelta(days=2)]
    assert any(decided[i].duplicate_of for i in recent) and any(not decided[i].duplicate_of for i in recent)
    restarted = _restored(first)
    replayed = _offer_all(restarted, [articles[i] for i in recent])
    assert [(r.event_id, r.duplicate_of) for r in replayed] == [(decided[i].event_id, decided[i].duplicate_of)
                                                                 for i in recent]
    assert all(r.position is None for r in replayed), "a replay is not a new decision"
    assert restarted.take_counts() == {"replayed": len(recent)}
    assert restarted.drain_events() == [], "no event changed"
    for event in events.values():
        assert len(event.article_ids) == len(set(event.article_ids))


def test_a_repeated_id_in_one_pass_is_a_dead_letter():
    article = _articles()[0]
    core = AssignmentCore(CONFIG)
    first, again = _offer_all(core, [article, article])
    assert isinstance(first, IndexedArticle) and first.duplicate_of is None
    assert isinstance(again, DeadLetter) and again.reason == "duplicate_id"
    [event] = core.drain_events()
    assert event.article_ids == [article.id]


def test_events_are_counted_new_once_then_updated():
    articles = _articles()
    core = AssignmentCore(CONFIG)
    _offer_all(core, articles[:10])
    opened = len(core.drain_events())
    assert core.take_counts()["events_new"] == opened
    _offer_all(core, articles[10:])
    drained = core.drain_events()
    counts = core.take_counts()
    assert counts["events_new"] + counts["events_updated"] == len(drained)
    assert counts["events_updated"] >= 1, "later articles join earlier events"


def _run(data_dir: Path, batches: list[list[Article]], crash_at: str | None = None,
         monkeypatch: pytest.MonkeyPatch | None = None) -> None:
    """Each batch as one worker's bundle: a core over the index, its decisions committed."""
    for number, batch in enumerate(batches):
        backend = open_backend(BackendSettings(data_dir=data_dir))
        try:
            core = AssignmentCore(CONFIG, lambda key: load_assigner(backend, key, CONFIG))
            items = [item for item in _offer_all(core, batch) if isinstance(item, IndexedArticle)]
            events = core.drain_events()
            if crash_at and number == 0:
                monkeypatch.setenv(faults.ENVIRONMENT, crash_at)
                with pytest.raises(faults.InjectedCrash):
                    commit(backend, items, events, {key: core.assigner(key) for key in core._assigners})
                monkeypatch.delenv(faults.ENVIRONMENT)
            else:
                commit(backend, items, events, {key: core.assigner(key) for key in core._assigners})
        finally:
            backend.close()


def _index_view(data_dir: Path) -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
    """article id → (its event, what it copies, the event's members), as the index holds them."""
    backend = open_backend(BackendSettings(data_dir=data_dir))
    try:
        view = {}
        for (article_id,) in backend._db.execute("SELECT id FROM articles").fetchall():
            doc = backend.get_article(article_id)
            event = backend.get_event(doc["event_id"])
            assert len(event.article_ids) == len(set(event.article_ids)), f"{event.event_id} repeats an article"
            view[article_id] = (event.event_id, doc["duplicate_of"], tuple(sorted(event.article_ids)))
        return view
    finally:
        backend.close()


@pytest.mark.parametrize("crash_at", ["index_written", "state_saved"])
def test_a_crash_between_commit_steps_is_caught_up_from_the_index(tmp_path, monkeypatch, crash_at):
    articles = _articles()
    batches = [articles[:12], articles[12:]]
    _run(tmp_path / "whole", batches)
    # The crashed bundle is not offered again: its articles are in the index, and a
    # source that asks the index what is new does not send them.
    _run(tmp_path / "crashed", batches, crash_at, monkeypatch)
    whole, crashed = _index_view(tmp_path / "whole"), _index_view(tmp_path / "crashed")
    assert len(whole) == len(articles)
    assert crashed == whole


def test_without_the_catch_up_the_state_would_miss_the_crashed_bundle(tmp_path, monkeypatch):
    """The test above can fail: a state restored without the index's log lacks the bundle."""
    articles = _articles()
    _run(tmp_path / "crashed", [articles[:12]], "index_written", monkeypatch)
    backend = open_backend(BackendSettings(data_dir=tmp_path / "crashed"))
    try:
        key = assignment_key(articles[0], CONFIG)
        saved = OnlineAssigner.restore(backend.load_state(f"assign:{key}"), CONFIG)
        caught_up = load_assigner(backend, key, CONFIG)
        assert saved.position == 0 < caught_up.position
        assert caught_up.recorded(articles[11]) is not None and saved.recorded(articles[11]) is None
    finally:
        backend.close()


def test_a_replay_after_a_catch_up_keeps_the_decisions_place_in_the_log(wire_index, monkeypatch):
    """A stream that crashed after a bundle's index writes (NEWSBEAM_CRASH_AT=index_written) sends the bundle
    again after the restart (its offsets were not committed): the caught-up state answers it as replays, which
    are written with no place in the log. They must keep the place their rows hold, so a second crash after
    their index writes is caught up from the log again, on the embedded index and on Elasticsearch."""
    # One day's stories, an agency copy among them: all within the dedup horizon, so the state answers each.
    articles = [a for a in _articles() if a.published.date().isoformat() in ("2025-04-30", "2025-05-01")]
    assert any(a.id.endswith("-c1") for a in articles) and len(articles) >= 5
    key = assignment_key(articles[0], CONFIG)
    for attempt in range(2):
        backend = open_backend(wire_index)
        try:
            core = AssignmentCore(CONFIG, lambda k: load_assigner(backend, k, CONFIG), reject_repeated_ids=False)
            items = [item for item in _offer_all(core, articles) if isinstance(item, IndexedArticle)]
            assert all(item.position is None for item in items) == (attempt == 1)
            if attempt == 1:
                assert backend.write_articles(items) == [], "the replays' writes are taken, not refused"
            monkeypatch.setenv(faults.ENVIRONMENT, "index_written")
            with pytest.raises(faults.InjectedCrash):
                commit(backend, items, core.drain_events(), {k: core.assigner(k) for k in core._assigners})
            monkeypatch.delenv(faults.ENVIRONMENT)
        finally:
            backend.close()
    backend = open_backend(wire_index)
    try:
        restored = load_assigner(backend, key, CONFIG)
        assert all(restored.recorded(article) is not None for article in articles)
    finally:
        backend.close()


class _CountedSaves(SqliteBackend):
    """The embedded index, recording the key of every state save that reaches it."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.saves: list[str] = []

    def save_state(self, key: str, changes: StateChanges) -> None:
        self.saves.append(key)
        super().save_state(key, changes)


def test_a_state_is_saved_on_load_only_when_the_index_does_not_hold_it(tmp_path):
    articles = _articles()
    key = assignment_key(articles[0], CONFIG)
    backend = _CountedSaves(tmp_path)
    try:
        # A fresh state's log is stored before anything is written under it…
        fresh = load_assigner(backend, key, CONFIG)
        assert backend.saves == [state_key(key)]
        # …once: a restart before the first write finds it stored.
        assert load_assigner(backend, key, CONFIG).log == fresh.log
        assert backend.saves == [state_key(key)]
        core = AssignmentCore(CONFIG, lambda k: load_assigner(backend, k, CONFIG))
        items = [item for item in _offer_all(core, articles) if isinstance(item, IndexedArticle)]
        commit(backend, items, core.drain_events(), {k: core.assigner(k) for k in core._assigners})
        saved = len(backend.saves)
        restored = load_assigner(backend, key, CONFIG)
        assert restored.position > 0 and len(backend.saves) == saved
        # A state taken under another configuration is replaced by a fresh one, once.
        other = AssignConfig(dedup_horizon_days=1.0)
        replaced = load_assigner(backend, key, other)
        assert replaced.position == 0 and backend.saves[saved:] == [state_key(key)]
        assert load_assigner(backend, key, other).log == replaced.log and len(backend.saves) == saved + 1
    finally:
        backend.close()


def test_a_streaming_worker_loads_every_saved_state_before_its_first_article(tmp_path):
    """`WarmStateFn` starts this as a job starts; the first bundle then finds the states loaded."""
    import uuid

    from newsbeam.pipelines.core import saved_keys
    from newsbeam.pipelines.streaming import _ProcessAssigners, release_shared

    settings, config = BackendSettings(data_dir=tmp_path), AssignConfig()
    backend = open_backend(settings)
    for key in ("en", "de"):
        load_assigner(backend, key, config)  # a fresh state is saved once
    assert saved_keys(backend) == ["de", "en"]
    backend.close()
    job = uuid.uuid4().hex
    try:
        shared = _ProcessAssigners.of(job, settings, config)
        shared.warm()
        shared.warm()  # once per process, however many DoFn instances ask
        shared._warming.join(60)
        assert shared.loads == 2
        with shared.lock:
            shared.core.assigner("en")
            shared.core.assigner("de")
        assert shared.loads == 2, "the first bundle loaded a state again"
    finally:
        release_shared(job)
