"""The one assignment core that `ingest`, `run` and `cluster` share.

`OnlineAssigner` (assign.py) decides one article against one key's hot state.
`AssignmentCore` holds the assigners of every key a worker sees and adds the
rules each path must apply the same way:

- a record whose id was already decided in this pass is a dead letter
  (`duplicate_id`), not a second decision;
- an article the state has already decided (it comes again after a restart or
  a re-run) gets its recorded decision back and changes nothing;
- drained events are told apart as new or updated, and the counts every path
  reports (`duplicates_exact`, `duplicates_near`, `replayed`, `events_new`,
  `events_updated`) are kept in one place;
- an event id handed out before a merge resolves to the survivor;
- a wire item (an article with a `version`) is decided once per id, and the
  newest version wins, as IPTC means it: a newer version of an id already
  decided is a correction, indexed in the event the id is in (no second
  decision, no duplicate); a withdrawn one (a kill) leaves its event and the
  index; a newer usable version after a kill re-publishes the item, back in
  the event it left while that event is hot (else decided afresh); and a
  version no newer than the one taken is a `superseded_version` dead letter,
  so an older version arriving after a kill stays out. The same version again
  (after a restart or a re-run) is a replay: it writes the same again and
  re-applies its effect on the hot state, which changes nothing unless a
  crash between the index write and the state save left the state without it.
  What was taken is looked up in this core, then in the index.
- a correction, a re-publication, a kill and a replay of any of them are logged
  beside the state's decisions (`versions_log`; a kill's tombstone keeps the
  event, outlet and language it took out, `Withdrawal`), so a restart whose
  state save was lost catches up with them (`load_assigner`) without reading
  them again: a wire feed that answers 304 after the restart sends nothing to
  replay. A later version of an item whose first decision no save covers yet
  takes that decision's place in the log instead, since its write replaces the
  decision's row: the catch-up decides the item there, from the version the
  index holds.

`commit` writes a worker's results in the one order that lets a re-run or a
restart repair a crash at any point: articles and events land in the index
first, then the state that covers them is saved. Sources mark items as seen only
after that (see `pipelines/batch.py`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from newsbeam.connectors.sinks import IndexBackend, IndexedArticle, LogPosition, StoredVersion, Withdrawal
from newsbeam.pipelines import faults
from newsbeam.pipelines.assign import AssignConfig, EventAliases, OnlineAssigner
from newsbeam.pipelines.cluster.clusterer import event_id_for
from newsbeam.pipelines.features import ArticleFeatures, featurize
from newsbeam.schemas import Article, DeadLetter, Event

#: Loads the saved assigner of a key (or a fresh one): the index's state store,
#: or nothing at all for `newsbeam cluster`.
Loader = Callable[[str], OnlineAssigner]
#: What the index holds under some article ids (`IndexBackend.stored_versions`).
VersionLookup = Callable[[Iterable[str]], Mapping[str, StoredVersion]]

#: Wire items a streaming core remembers having decided; older ones are in the index by then.
_STREAM_WIRE_MEMORY = 100_000


_STATE_PREFIX = "assign:"
_VERSIONS_LOG = "/versions"


def state_key(key: str) -> str:
    """Where a key's hot state is saved: one name for every path, so each resumes the others."""
    return f"{_STATE_PREFIX}{key}"


def versions_log(log: str) -> str:
    """Where a state with decision log `log` logs the newer versions it takes of wire items it decided.

    Numbered in the one sequence of `log` (`OnlineAssigner.restate` moves the
    position on as `process` does), and apart from it, so a catch-up tells a
    version to restate from an article to decide.
    """
    return f"{log}{_VERSIONS_LOG}"


def saved_keys(backend: IndexBackend) -> list[str]:
    """The keys whose hot state `backend` holds."""
    return [name.removeprefix(_STATE_PREFIX) for name in backend.state_keys(_STATE_PREFIX)]


def load_assigner(backend: IndexBackend, key: str, config: AssignConfig) -> OnlineAssigner:
    """The assigner saved for `key` in `backend`, caught up with the index.

    The state is saved after the writes it covers, so a crash in between leaves
    articles indexed past the saved position of its decision log. They are taken
    again here, in log order, from the same state: the same decisions, and the
    state is where it would be had the crash not happened. A fresh state is saved
    before anything is written under its log, so a crash in a first run is
    caught up the same way. A state restored as it was stored has nothing to save.
    The newer versions of wire items it took (`versions_log`) are restated, and
    its kills taken out again, in the same order. A decision whose row a later
    write replaced leaves a gap in the sequence, so the position follows each
    caught-up entry's own.
    """
    assigner = OnlineAssigner.restore(backend.load_state(state_key(key)), config)
    if changes := assigner.state_changes():
        # Fresh, or replacing a state taken under another configuration.
        backend.save_state(state_key(key), changes)
    behind = sorted([*backend.logged_articles(assigner.log, assigner.position),
                     *backend.logged_articles(versions_log(assigner.log), assigner.position)],
                    key=lambda item: item.position.seq if item.position else 0)
    for item in behind:
        if item.article.withdrawn:
            assigner.withdraw(item.article.id, item.withdrawal)
        elif item.position and item.position.log != assigner.log:
            assigner.restate(item.article, assigner.resolve(item.event_id))
        else:
            assigner.process(item.article, featurize(item.article, config.features))
        if item.position:
            assigner.position = item.position.seq + 1
    return assigner


class AssignmentCore:
    """Per-key online assigners behind the rules every path shares."""

    def __init__(self, config: AssignConfig = AssignConfig(), load: Loader | None = None,
                 *, reject_repeated_ids: bool = True, stored: VersionLookup | None = None) -> None:
        """`load` restores a key's saved state on first use (default: start empty).

        `reject_repeated_ids` suits a pass over a finite input, where a second
        record with an id is an input error. A stream has no pass: an id that
        comes again is a replay, answered from the state. `stored` tells what
        the index holds of wire items' ids (default: nothing).
        """
        self.config = config
        self._load = load or (lambda key: OnlineAssigner(config))
        self._stored = stored or (lambda ids: {})
        #: Wire ids decided by this core, with what was decided (newest last).
        self._wire: dict[str, StoredVersion] = {}
        #: Wire ids looked up in the index ahead of their articles (`look_up_versions`).
        self._looked_up: dict[str, StoredVersion | None] = {}
        self._assigners: dict[str, OnlineAssigner] = {}
        self._decided: set[str] | None = set() if reject_repeated_ids else None
        self._opened: set[str] = set()
        self.aliases = EventAliases()
        self.counts: Counter[str] = Counter()

    def assigner(self, key: str) -> OnlineAssigner:
        """The assigner of `key`, restored on first use."""
        assigner = self._assigners.get(key)
        if assigner is None:
            assigner = self._assigners[key] = self._load(key)
        return assigner

    def forget(self, key: str) -> None:
        """Drop `key`'s assigner, so its next use restores it from the saved state."""
        self._assigners.pop(key, None)

    def look_up_versions(self, articles: Iterable[Article]) -> None:
        """Ask the index at once about the wire items among `articles`, ahead of offering them one by one."""
        ids = [a.id for a in articles if a.version is not None and a.id not in self._wire and a.id not in self._looked_up]
        if ids:
            found = self._stored(ids)
            self._looked_up.update({i: found.get(i) for i in ids})

    def _taken(self, article_id: str) -> StoredVersion | None:
        """What was last taken of a wire id: in this core, else in the index."""
        if (taken := self._wire.get(article_id)) is not None:
            return taken
        if article_id in self._looked_up:
            return self._looked_up.pop(article_id)
        return self._stored([article_id]).get(article_id)

    def _remember(self, article_id: str, taken: StoredVersion) -> None:
        self._wire.pop(article_id, None)
        self._wire[article_id] = taken
        if self._decided is None and len(self._wire) > _STREAM_WIRE_MEMORY:
            del self._wire[next(iter(self._wire))]

    def _offer_version(self, key: str, article: Article, features: ArticleFeatures) -> IndexedArticle | DeadLetter:
        """Decide a wire item against the version of its id already taken (see the module's rules)."""
        taken = self._taken(article.id)
        assigner = self.assigner(key)
        if taken is not None and taken.version >= article.version:
            if taken.version == article.version and (self._decided is None or article.id not in self._wire):
                self.counts["replayed"] += 1  # sent again after a restart: the same write again
                return self._replay(assigner, article, taken)
            self.counts["superseded"] += 1
            return DeadLetter.of("assign", "superseded_version",
                                 f"version {article.version} is not newer than version {taken.version}, already taken",
                                 article.url or article.id, article.to_json())
        if article.withdrawn:
            self._remember(article.id, StoredVersion(article.version, True))
            self.counts["withdrawn"] += 1
            left = Withdrawal(assigner.resolve(taken.event_id), taken.source or article.source, article.language) \
                if taken is not None and taken.event_id else None
            return self._withdrawn(assigner, article, left)
        # Re-published after its kill: an original goes back to its event; a copy is decided afresh,
        # as the copy of its original again.
        if taken is not None and taken.withdrawn and assigner.exact.original_of(article) in (None, article.id) \
                and (event_id := self._held_event(assigner, article)) and event_id in assigner.clusterer.events:
            self._remember(article.id, StoredVersion(article.version, False, event_id, None, article.source))
            self.counts["republished"] += 1
            return self._restated(assigner, article, event_id, None)
        if taken is not None and taken.event_id and not taken.withdrawn:
            event_id = self.resolve(assigner.resolve(taken.event_id))
            self._remember(article.id, StoredVersion(article.version, False, event_id, taken.duplicate_of,
                                                     article.source))
            self.counts["corrections"] += 1
            return self._restated(assigner, article, event_id, taken.duplicate_of)
        outcome = self._decide(key, article, features)
        if isinstance(outcome, IndexedArticle):
            self._remember(article.id, StoredVersion(article.version, False, outcome.event_id, outcome.duplicate_of,
                                                     article.source))
        return outcome

    def _replay(self, assigner: OnlineAssigner, article: Article, taken: StoredVersion) -> IndexedArticle:
        """The version the index holds, sent again: the same write, and its effect on the hot state re-applied.

        The effect (out of its event for a kill, in it with its headline otherwise)
        is a no-op on a state that has it, and repairs one saved before it: the
        index write of a crashed commit landed, its state save did not.
        """
        if taken.withdrawn:
            event_id = self._held_event(assigner, article)
            left = None if event_id is None else Withdrawal(event_id, article.source, article.language)
            return self._withdrawn(assigner, article, left)
        return self._restated(assigner, article, self.resolve(assigner.resolve(taken.event_id)), taken.duplicate_of)

    @staticmethod
    def _restated(assigner: OnlineAssigner, article: Article, event_id: str,
                  duplicate_of: str | None) -> IndexedArticle:
        """A newer version of an article `assigner` decided, restated in `event_id` and logged, so a restart
        that lost the state save catches up with it.

        Logged in the `versions_log`, unless no save covers the item's first
        decision yet: its row, which this write replaces, is then the decision's,
        and keeps the decision's place in the log, so a catch-up decides the item
        there (from this version, the one the index holds) before anything later.
        """
        if (decided := assigner.unsaved_decision(article.id)) is not None:
            position = LogPosition(assigner.log, decided)
        else:
            position = LogPosition(versions_log(assigner.log), assigner.position)
        assigner.restate(article, event_id)
        return IndexedArticle(article, event_id, duplicate_of, position)

    @staticmethod
    def _withdrawn(assigner: OnlineAssigner, article: Article, left: Withdrawal | None) -> IndexedArticle:
        """A kill, taken out of the event `left` names and logged in the `versions_log` with its tombstone,
        which keeps `left`: a restart that lost the state save takes the item out again from it."""
        position = LogPosition(versions_log(assigner.log), assigner.position)
        assigner.withdraw(article.id, left)
        return IndexedArticle(article, "", None, position, left)

    def _held_event(self, assigner: OnlineAssigner, article: Article) -> str | None:
        """The event this state put `article` in: its own (an original), else its original's (a copy
        with the same URL or text), while the dedup horizon holds it; None when the state does not know."""
        original = assigner.exact.original_of(article) or article.id
        event_id = assigner.event_of.get(original)
        return None if event_id is None else self.resolve(assigner.resolve(event_id))

    def offer(self, key: str, article: Article, features: ArticleFeatures) -> IndexedArticle | DeadLetter:
        """Decide `article` under `key`: what to index, or why it is rejected."""
        if article.version is not None:
            return self._offer_version(key, article, features)
        if self._decided is not None:
            if article.id in self._decided:
                return DeadLetter.of("assign", "duplicate_id", "an earlier record in this run has the same id",
                                     article.url or article.id, article.to_json())
            self._decided.add(article.id)
        return self._decide(key, article, features)

    def _decide(self, key: str, article: Article, features: ArticleFeatures) -> IndexedArticle:
        """The assigner's decision on an article it has not decided, or the one it recorded."""
        assigner = self.assigner(key)
        if (recorded := assigner.recorded(article)) is not None:
            self.counts["replayed"] += 1
            return IndexedArticle(article, recorded.event_id, recorded.duplicate_of)
        position = LogPosition(assigner.log, assigner.position)
        decision = assigner.process(article, features)
        if decision.duplicate_kind:
            self.counts[f"duplicates_{decision.duplicate_kind}"] += 1
        elif decision.event_id == event_id_for(article.id):
            self._opened.add(decision.event_id)
        return IndexedArticle(article, decision.event_id, decision.duplicate_of, position)

    def drain_events(self, keys: Iterable[str] | None = None) -> list[Event]:
        """Events created or changed since the last drain (of `keys`, default all), ready to upsert."""
        events = [event for key in (self._assigners if keys is None else keys)
                  for event in self.assigner(key).drain_events()]
        for event in events:
            self.counts["events_new" if event.event_id in self._opened else "events_updated"] += 1
        # An opened event not drained now was merged into another: it is not news.
        self._opened.clear()
        self.aliases.update(events)
        return events

    def resolve(self, event_id: str) -> str:
        """The surviving id of an event named by an earlier decision."""
        return self.aliases.resolve(event_id)

    def take_counts(self) -> Counter[str]:
        """The counts since the last call (for a runner's metrics)."""
        counts, self.counts = self.counts, Counter()
        return counts


@dataclass(frozen=True, slots=True)
class CommitReport:
    """What one commit did: the documents the index refused, and where its time went."""

    refused_articles: list[DeadLetter]
    refused_events: list[DeadLetter]
    write_seconds: float
    state_seconds: float

    @property
    def refused(self) -> list[DeadLetter]:
        return self.refused_articles + self.refused_events


def commit(backend: IndexBackend, articles: list[IndexedArticle], events: list[Event],
           states: Mapping[str, OnlineAssigner]) -> CommitReport:
    """Index `articles` and `events`, then save the `states` that cover them.

    A crash before the state is saved leaves the index ahead of the state: the
    articles are indexed and the next load of the state catches up with them
    (`load_assigner`). The state is never ahead of the index, so no event names
    an article that was not written.
    """
    started = time.perf_counter()
    refused_articles = backend.write_articles(articles) if articles else []
    refused_events = backend.write_events(events) if events else []
    written = time.perf_counter()
    faults.crash_point("index_written")
    for key, assigner in states.items():
        backend.save_state(state_key(key), assigner.state_changes())
    saved = time.perf_counter()
    faults.crash_point("state_saved")
    return CommitReport(refused_articles, refused_events, written - started, saved - written)
