"""Single-pass online event clustering, in the spirit of Miranda et al. (EMNLP 2018).

Each article is compared only with the hot events that share one of its most
distinctive terms (an inverted index over event centroids), scored by TF-IDF
cosine damped by the time gap, and joins the best event above a threshold or
opens a new one. Events not touched within the hot window leave the state, so
the cost per article and the memory stay flat however long the stream runs.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from newsbeam.pipelines.features import ArticleFeatures
from newsbeam.pipelines.hot_window import ExpiryQueue
from newsbeam.schemas import Article, Event


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Knobs of the clusterer; the defaults are the tested configuration."""

    #: Minimum time-damped cosine similarity for an article to join an event.
    threshold: float = 0.30
    #: Time gap (days) over which similarity is damped by a factor e.
    time_scale_days: float = 3.0
    #: Events untouched for this long leave the hot state.
    hot_window_days: float = 7.0
    #: Terms kept per article vector and per event centroid.
    article_terms: int = 60
    event_terms: int = 150
    #: Centroid terms posted in the inverted index, and article terms looked up.
    index_terms: int = 30
    query_terms: int = 12
    #: Candidate events scored per article, most term overlaps first.
    max_candidates: int = 40
    #: Keywords an event shows.
    keywords: int = 8


@dataclass(slots=True)
class EventState:
    """An event in the hot state: its centroid and what the index shows of it."""

    event_id: str
    centroid: dict[str, float]
    norm: float
    first_seen: datetime | None
    last_seen: datetime | None
    article_ids: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    title: str = ""
    representative_id: str = ""
    titled: bool = False
    indexed_terms: tuple[str, ...] = ()
    aliases: list[str] = field(default_factory=list)

    def to_event(self, surface: dict[str, str], keyword_count: int) -> Event:
        top = sorted(self.centroid.items(), key=lambda item: (-item[1], item[0]))
        keywords: list[str] = []
        for term, _ in top:
            word = surface.get(term, term.lstrip("@"))
            if word not in keywords:
                keywords.append(word)
            if len(keywords) == keyword_count:
                break
        return Event(
            event_id=self.event_id,
            title=self.title,
            representative_id=self.representative_id,
            article_ids=list(self.article_ids),
            sources=list(self.sources),
            first_seen=self.first_seen,
            last_seen=self.last_seen,
            keywords=keywords,
            aliases=list(self.aliases),
        )


def event_id_for(article_id: str) -> str:
    """A new event's id: stable, derived from its first article, safe in a URL path."""
    return "evt-" + hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).hexdigest()


def _headline_of(article: Article) -> str:
    if article.title:
        return article.title
    first = article.text.split("\n", 1)[0]
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"


class OnlineClusterer:
    """Assigns each article, in publication order, to an event."""

    def __init__(self, config: ClusterConfig = ClusterConfig()) -> None:
        self.config = config
        self.events: dict[str, EventState] = {}
        self._document_frequency: Counter[str] = Counter()
        self._documents = 0
        self._postings: dict[str, set[str]] = defaultdict(set)
        self._surface: dict[str, str] = {}
        self._expiry = ExpiryQueue(timedelta(days=config.hot_window_days))
        self._changed: set[str] = set()
        self._retired: dict[str, EventState] = {}
        self._merged_into: dict[str, str] = {}

    # -- scoring ---------------------------------------------------------------

    def _vector(self, terms: dict[str, float]) -> dict[str, float]:
        """TF-IDF of the article's weighted terms, L2-normalized, top terms only."""
        n = self._documents
        weighted = {
            term: weight * (math.log((n + 1) / (self._document_frequency[term] + 1)) + 1.0)
            for term, weight in terms.items()
        }
        top = sorted(weighted.items(), key=lambda item: (-item[1], item[0]))[: self.config.article_terms]
        norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
        return {term: w / norm for term, w in top}

    def _time_factor(self, event: EventState, when: datetime | None) -> float:
        if when is None or event.last_seen is None or event.first_seen is None:
            return 1.0
        if event.first_seen <= when <= event.last_seen:
            return 1.0
        edge = event.last_seen if when > event.last_seen else event.first_seen
        gap_days = abs((when - edge).total_seconds()) / 86400.0
        return math.exp(-gap_days / self.config.time_scale_days)

    def _candidates(self, vector: dict[str, float]) -> list[str]:
        query = sorted(vector.items(), key=lambda item: (-item[1], item[0]))[: self.config.query_terms]
        overlaps: Counter[str] = Counter()
        for term, _ in query:
            overlaps.update(self._postings.get(term, ()))
        ranked = sorted(overlaps.items(), key=lambda item: (-item[1], item[0]))
        return [event_id for event_id, _ in ranked[: self.config.max_candidates]]

    def similarity(self, vector: dict[str, float], event: EventState) -> float:
        dot = sum(weight * event.centroid.get(term, 0.0) for term, weight in vector.items())
        return dot / event.norm if event.norm else 0.0

    # -- updates ---------------------------------------------------------------

    def assign(self, article: Article, features: ArticleFeatures) -> str:
        """The id of the event this article joins (a new one if none is close)."""
        self._documents += 1
        self._document_frequency.update(features.terms.keys())
        for stem, word in features.surface.items():
            self._surface.setdefault(stem, word)
        vector = self._vector(features.terms)
        best_id, best_score = None, self.config.threshold
        for event_id in self._candidates(vector):
            event = self.events[event_id]
            score = self.similarity(vector, event) * self._time_factor(event, article.published)
            if score >= best_score:
                best_id, best_score = event_id, score
        if best_id is None:
            event = EventState(event_id_for(article.id), {}, 0.0, article.published, article.published)
            self.events[event.event_id] = event
        else:
            event = self.events[best_id]
        self._join(event, article, vector)
        self._age_out()
        return event.event_id

    def add_duplicate(self, event_id: str, article: Article) -> None:
        """Count a duplicate in its original's event without moving the centroid."""
        event = self.events.get(event_id)
        if event is None:
            return
        event.article_ids.append(article.id)
        if article.source and article.source not in event.sources:
            event.sources.append(article.source)
        self._touch(event, article.published)

    def _join(self, event: EventState, article: Article, vector: dict[str, float]) -> None:
        centroid = event.centroid
        for term, weight in vector.items():
            centroid[term] = centroid.get(term, 0.0) + weight
        if len(centroid) > self.config.event_terms:
            kept = sorted(centroid.items(), key=lambda item: (-item[1], item[0]))[: self.config.event_terms]
            event.centroid = centroid = dict(kept)
        event.norm = math.sqrt(sum(w * w for w in centroid.values()))
        event.article_ids.append(article.id)
        if article.source and article.source not in event.sources:
            event.sources.append(article.source)
        if not event.representative_id or (article.title and not event.titled):
            # The earliest article with a headline represents the event.
            event.representative_id, event.title, event.titled = article.id, _headline_of(article), bool(article.title)
        self._touch(event, article.published)
        self._reindex(event)

    def _touch(self, event: EventState, when: datetime | None) -> None:
        if when is not None:
            event.first_seen = min(event.first_seen or when, when)
            event.last_seen = max(event.last_seen or when, when)
        self._expiry.touch(event.event_id, when)
        self._changed.add(event.event_id)

    def _reindex(self, event: EventState) -> None:
        top = sorted(event.centroid.items(), key=lambda item: (-item[1], item[0]))[: self.config.index_terms]
        terms = tuple(term for term, _ in top)
        for term in set(event.indexed_terms) - set(terms):
            self._unpost(term, event.event_id)
        for term in terms:
            self._postings[term].add(event.event_id)
        event.indexed_terms = terms

    def _unpost(self, term: str, event_id: str) -> None:
        posting = self._postings.get(term)
        if posting is not None:
            posting.discard(event_id)
            if not posting:
                del self._postings[term]

    def _age_out(self) -> None:
        for event_id in self._expiry.expired():
            event = self.events.pop(event_id)
            if event_id in self._changed:
                self._retired[event_id] = event
            for term in event.indexed_terms:
                self._unpost(term, event_id)

    def resolve(self, event_id: str) -> str:
        """The live id of an event, following merges (an alias maps to its survivor)."""
        while event_id in self._merged_into:
            event_id = self._merged_into[event_id]
        return event_id

    def drain_changed(self) -> list[Event]:
        """Events changed since the last drain, including those that aged out since."""
        changed = []
        for event_id in sorted(self._changed):
            state = self.events.get(event_id) or self._retired.get(event_id)
            if state is not None:
                changed.append(state.to_event(self._surface, self.config.keywords))
        self._changed.clear()
        self._retired.clear()
        return changed
