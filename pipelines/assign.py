"""Online assignment: dedup, then clustering, one article at a time in publication order.

This is the sequential heart shared by the batch pipeline, the streaming pipeline
and `newsbeam cluster`. Everything before it (reading, normalizing, featurizing)
is parallel; everything here is dictionary and LSH look-ups bounded by the hot
window, so the cost per article stays flat as the corpus grows.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from newsbeam.connectors.sinks.base import StateChanges, Withdrawal
from newsbeam.pipelines.cluster import ClusterConfig, OnlineClusterer
from newsbeam.pipelines.dedup import ExactDuplicateIndex, NearDuplicateIndex
from newsbeam.pipelines.features import ArticleFeatures, FeatureConfig, stemming_language
from newsbeam.pipelines.hot_window import ExpiringMap
from newsbeam.pipelines.state_codec import StateCodec
from newsbeam.schemas import Article, Event


@dataclass(frozen=True, slots=True)
class AssignConfig:
    """Dedup and clustering settings: one object, so runs are reproducible."""

    features: FeatureConfig = field(default_factory=FeatureConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    #: Estimated Jaccard similarity of word shingles above which a text is a copy.
    near_duplicate_threshold: float = 0.5
    #: How long an article stays a possible original for later copies.
    dedup_horizon_days: float = 3.0


@dataclass(frozen=True, slots=True)
class Assignment:
    """What the pipeline decided about one article."""

    article_id: str
    event_id: str
    duplicate_of: str | None
    #: `exact` (same URL or text), `near` (syndicated copy) or None.
    duplicate_kind: str | None = None


def assignment_key(article: Article, config: AssignConfig) -> str:
    """The state key an article is assigned under: its language when it can be
    stemmed, else the fallback language its features were built with.

    Short headlines often come back from language detection as "": keyed by the
    raw language they would sit in a state of their own, apart from the same
    story's longer articles, while their terms are stemmed like the fallback's.
    """
    return stemming_language(article, config.features)


class EventAliases:
    """Event id → surviving event id, learnt from drained events' `aliases`.

    Decisions name the event an article joined at that moment; a later merge
    makes that id an alias. This map (unlike the assigner's own, which forgets
    with the hot window) resolves such ids for a whole run.
    """

    def __init__(self) -> None:
        self._survivor: dict[str, str] = {}

    def update(self, events: list[Event]) -> None:
        for event in events:
            for alias in event.aliases:
                self._survivor[alias] = event.event_id

    def resolve(self, event_id: str) -> str:
        while event_id in self._survivor:
            event_id = self._survivor[event_id]
        return event_id


class OnlineAssigner:
    """Dedup and clustering state, advanced one article at a time."""

    def __init__(self, config: AssignConfig = AssignConfig()) -> None:
        self.config = config
        horizon = timedelta(days=config.dedup_horizon_days)
        self.exact = ExactDuplicateIndex(horizon)
        self.near = NearDuplicateIndex(config.near_duplicate_threshold, config.features.num_perm, horizon)
        self.clusterer = OnlineClusterer(config.cluster)
        #: Event of every original still within the dedup horizon, for its copies.
        self.event_of: ExpiringMap[str, str] = ExpiringMap(horizon)
        #: This state's decision log (see `LogPosition`): its lineage, and how many
        #: decisions it has taken.
        self.log = uuid.uuid4().hex
        self.position = 0
        #: Wire items decided since the state was last taken to be saved (`state_changes`),
        #: with their place in the log (see `unsaved_decision`).
        self._unsaved_wire: dict[str, int] = {}
        self._codec = StateCodec()

    def process(self, article: Article, features: ArticleFeatures) -> Assignment:
        """Decide one article: an exact copy, a near copy, or a (new) event member."""
        if article.version is not None:
            self._unsaved_wire[article.id] = self.position
        self.position += 1
        original, kind = self.exact.original_of(article), "exact"
        if original is None:
            original, kind = self.near.original_of(features), "near"
        if original is not None and (event_id := self.event_of.get(original)) is not None:
            event_id = self.clusterer.resolve(event_id)
            self.clusterer.add_duplicate(event_id, article)
            self.exact.add(article, original)
            return Assignment(article.id, event_id, original, kind)
        event_id = self.clusterer.assign(article, features)
        self.exact.add(article)
        self.near.add(features)
        self.event_of.put(article.id, event_id, article.published)
        self.event_of.expire()
        return Assignment(article.id, event_id, None, None)

    def restate(self, article: Article, event_id: str) -> None:
        """Take a newer version of an article this state decided (a correction, a re-publication) into its
        hot event `event_id`: listed there again, its headline the event's when it represents it.

        It is a decision of the log like `process`'s (the position moves on), but
        an idempotent one: an event that lists the article with that headline, or
        one no longer hot, is left as it is. So a replay of the version, or a
        catch-up after a crash that lost the state save, repairs a state without
        it and changes no other.
        """
        self.position += 1
        if self.clusterer.rejoin(event_id, article):
            self.clusterer.retitle(event_id, article)

    def withdraw(self, article_id: str, withdrawal: Withdrawal | None) -> None:
        """Take a killed article out of the hot event its `withdrawal` names (nothing when None).

        A decision of the log like `restate`'s, and as idempotent: an event that
        does not list the article, or one no longer hot, is left as it is.
        """
        self.position += 1
        if withdrawal is not None:
            self.clusterer.withdraw(self.resolve(withdrawal.event_id), article_id, withdrawal.source,
                                    withdrawal.language)

    def unsaved_decision(self, article_id: str) -> int | None:
        """The place in the log of this state's decision on wire item `article_id`, while no save covers it.

        A later version of the item written with it takes that place in the index:
        its write replaces the decision's row, and a crash before the save leaves
        the catch-up only that row to decide again.
        """
        return self._unsaved_wire.get(article_id)

    def recorded(self, article: Article) -> Assignment | None:
        """The decision this state already holds for `article`, when it comes again.

        After a restart or a re-run a source may hand on an article that was
        decided, indexed and saved in this state. Deciding it again would make
        an original a copy of itself, or add a copy to its event a second time.
        An original is recorded while its event is known for its copies (the
        dedup horizon); a copy, while its original is and the event lists it.
        """
        original = self.exact.original_of(article)
        if original is None or (event_id := self.event_of.get(original)) is None:
            return None
        event_id = self.clusterer.resolve(event_id)
        if original == article.id:
            return Assignment(article.id, event_id, None, None)
        event = self.clusterer.events.get(event_id)
        if event is None or article.id not in event.article_ids:
            return None
        return Assignment(article.id, event_id, original, None)

    def resolve(self, event_id: str) -> str:
        """The current id of an event an earlier `Assignment` named.

        Converging events merge, the younger into the older; an id handed out
        before the merge is an alias of the survivor from then on.
        """
        return self.clusterer.resolve(event_id)

    def drain_events(self) -> list[Event]:
        """Events created or changed since the last call, ready to upsert."""
        return self.clusterer.drain_changed()

    def state_changes(self) -> StateChanges:
        """What to save so the stored state equals this one: everything on the
        first call of a fresh assigner, then what changed since the previous call
        (or since `restore`). Each result must be saved before the next is taken.
        """
        self._unsaved_wire.clear()
        return self._codec.changes(self)

    @classmethod
    def restore(cls, parts: Mapping[str, bytes] | None, config: AssignConfig) -> OnlineAssigner:
        """The assigner saved as `parts` (see `pipelines/state_codec.py`), or a fresh one when there are none.

        State taken under another configuration is not reused: its centroids and
        thresholds would silently disagree with the new settings. The fresh
        assigner's first `state_changes` then replaces it. State in an unknown
        format version raises `StateFormatError`.
        """
        return StateCodec.restore(parts, config, cls)
