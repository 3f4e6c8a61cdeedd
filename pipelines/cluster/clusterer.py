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
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate, islice, repeat
from operator import add, itemgetter, mul, sub, truediv

from newsbeam.pipelines.features import ArticleFeatures
from newsbeam.pipelines.hot_window import ExpiryQueue
from newsbeam.schemas import Article, Event


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Knobs of the clusterer; the defaults are the tested configuration."""

    #: Minimum time-damped cosine similarity for a full-length article to join an
    #: event. Shorter articles need less: see `threshold_for`.
    threshold: float = 0.25
    #: Article length (distinct terms) from which `threshold` applies unscaled.
    reference_terms: int = 60
    #: Time gap (days) over which similarity is damped by a factor e. Outlets
    #: cover one event within about a day of each other; a story that goes on
    #: keeps its event open through its span (gaps are measured to its edges).
    time_scale_days: float = 1.5
    #: Events untouched for this long leave the hot state.
    hot_window_days: float = 7.0
    #: Terms kept per article vector and per event centroid.
    article_terms: int = 60
    event_terms: int = 150
    #: Centroid terms posted in the inverted index, and article terms looked up.
    index_terms: int = 30
    query_terms: int = 12
    #: Candidate events scored per article, most term overlaps first.
    max_candidates: int = 20
    #: A short article is compared with the event's core: its top terms, this many
    #: per article term (at least `core_terms_min`). A five-word headline scored
    #: against a 150-term centroid looks unrelated however on-topic it is.
    core_terms_per_article_term: float = 2.0
    core_terms_min: int = 12
    #: Every this many articles, events changed since the last pass are compared
    #: with their neighbours, and pairs whose centroids converged are merged.
    merge_every: int = 100
    #: Centroid cosine (time-damped) at which two events are one.
    merge_threshold: float = 0.4
    #: Neighbours compared per changed event in a merge pass.
    merge_candidates: int = 5
    #: The merge pass's second look at small events: a pair in which one event
    #: has at most this many articles and which lies within `time_scale_days`
    #: of each other merges at the join bar (`threshold`) when that is the lower
    #: one. 0 turns the second look off.
    small_event_members: int = 2
    #: An event of one article is joined at this share of the join bar, when it
    #: scores at least `lone_event_margin` times the article's runner-up candidate:
    #: the cosine of two framings of one happening is lower than what either
    #: reaches with a grown event, whose centroid has averaged each outlet's own
    #: angle away; the margin keeps an article with no event of its own from the
    #: nearest one-off of its beat. 1 turns the rule off.
    lone_event_bar: float = 0.8
    lone_event_margin: float = 1.5
    #: Two grown events (a pair the second look does not judge) merge only if they
    #: also reach the merge bar with each shared term weighed by the share of the hot
    #: events indexing it that are these two (`_topic_discounted_cosine`): a topic's
    #: word that many events carry ("Google", "SXSW", "stocks") does not make them
    #: one story. False turns the test off.
    merge_discounts_topic_words: bool = True
    #: Document frequencies halve over this many days (event time), and terms
    #: whose decayed count drops below `df_floor` are forgotten: IDF follows
    #: what the stream talks about now, in memory bounded by the recent vocabulary.
    df_half_life_days: float = 30.0
    df_floor: float = 0.5
    #: Keywords and names an event shows.
    keywords: int = 8
    names: int = 5


@dataclass(slots=True)
class EventState:
    """An event in the hot state: its centroid and what the index shows of it."""

    event_id: str
    centroid: dict[str, float]
    first_seen: datetime | None
    last_seen: datetime | None
    article_ids: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    title: str = ""
    representative_id: str = ""
    titled: bool = False
    indexed_terms: tuple[str, ...] = ()
    #: The running norm of each prefix of the centroid (kept in falling weight order).
    prefix_norms: list[float] = field(default_factory=list)
    #: Centroid prefixes already cut, by length (see `core`); emptied when the centroid changes.
    cores: dict[int, dict[str, float]] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    #: Articles whose vectors make up the centroid, and their summed term counts:
    #: how long this event's texts are, which sets the bar for merging it.
    members: int = 0
    member_terms: int = 0
    #: How close the representative article was to the event when it joined
    #: (cosine with the event's core); -1 until a second article gives a measure.
    centrality: float = -1.0
    #: The representative's first sentence.
    summary: str = ""
    #: Names the members are most about (`ArticleFeatures.names`), each article
    #: giving its first of n names n points, its last one; articles and copies
    #: per outlet; articles per language.
    name_counts: dict[str, int] = field(default_factory=dict)
    source_counts: dict[str, int] = field(default_factory=dict)
    language_counts: dict[str, int] = field(default_factory=dict)

    def core(self, size: int) -> dict[str, float]:
        """The centroid's `size` heaviest terms.

        Between two changes of an event, dozens of articles are scored against
        it, nearly all with the same core length: cutting each prefix once makes
        scoring a dictionary look-up per article term.
        """
        core = self.cores.get(size)
        if core is None:
            core = self.cores[size] = dict(islice(self.centroid.items(), size))
        return core

    @property
    def terms_per_member(self) -> float:
        return self.member_terms / self.members if self.members else 0.0

    def to_event(self, surface: dict[str, str], keyword_count: int, name_count: int) -> Event:
        # Heaviest first, ties by term (the second sort is stable).
        top = sorted(sorted(self.centroid.items()), key=_WEIGHT, reverse=True)
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
            summary=self.summary,
            names=_most_counted(self.name_counts)[:name_count],
            outlets=[(source, self.source_counts[source]) for source in _most_counted(self.source_counts)],
            languages=_most_counted(self.language_counts),
        )

    def count(self, article: Article) -> None:
        """Count an article (an original or a copy) under its outlet and language."""
        if article.source:
            self.source_counts[article.source] = self.source_counts.get(article.source, 0) + 1
        if article.language:
            self.language_counts[article.language] = self.language_counts.get(article.language, 0) + 1


def _most_counted(counts: dict[str, int]) -> list[str]:
    """Keys by falling count, ties in first-counted order (the sort is stable)."""
    return sorted(counts, key=counts.__getitem__, reverse=True)


def _add_counts(into: dict[str, int], counts: dict[str, int]) -> None:
    for key, count in counts.items():
        into[key] = into.get(key, 0) + count


#: Where a sentence ends: after a word of two or more lower-case letters or digits
#: ("U.S.", "Mr." and "a.m." do not end one) and before a capital or an opening quote.
_SENTENCE_END = re.compile(r"(?<=[^\W\d_A-Z]{2}[.!?])\s+(?=[\"“‘(]?[A-Z0-9])")


def first_sentence(text: str, limit: int = 240) -> str:
    """The text's first sentence, cut at a word boundary when longer than `limit`."""
    text = text.strip()
    sentence = _SENTENCE_END.split(text, 1)[0].split("\n", 1)[0].strip()
    if len(sentence) <= limit:
        return sentence
    return sentence[: limit - 1].rsplit(" ", 1)[0] + "…"


#: Names an event keeps counting; the rest of a long tail is dropped.
_NAMES_KEPT = 40


def event_id_for(article_id: str) -> str:
    """A new event's id: stable, derived from its first article, safe in a URL path."""
    return "evt-" + hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).hexdigest()


def _headline_of(article: Article) -> str:
    if article.title:
        return article.title
    first = article.text.split("\n", 1)[0]
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"


#: Sort key for (term, weight) pairs; with a stable sort, ties keep their
#: (deterministic) insertion order.
_WEIGHT = itemgetter(1)
#: The gap factor of two events one time scale apart (see `_gap_factor`).
_WITHIN_TIME_SCALE = math.exp(-1.0)
#: Document-frequency scale below which it is folded into the counts (about 55
#: years of event time at the default half-life).
_SMALLEST_SCALE = 1e-200


@dataclass(slots=True)
class StateKeys:
    """Keys of the clusterer's state that changed since it was last saved."""

    events: set[str] = field(default_factory=set)
    terms: set[str] = field(default_factory=set)
    aliases: set[str] = field(default_factory=set)


class OnlineClusterer:
    """Assigns each article, in publication order, to an event."""

    def __init__(self, config: ClusterConfig = ClusterConfig()) -> None:
        self.config = config
        self.events: dict[str, EventState] = {}
        # Decayed document frequency of a term = its count here × `_df_scale`. A
        # decay step multiplies the scale, not every count, so a step changes one
        # number and saving the state rewrites only the terms articles touched.
        self._document_frequency: dict[str, float] = {}
        self._df_scale = 1.0
        self._documents = 0.0
        self._df_decayed_at: datetime | None = None
        self._postings: dict[str, set[str]] = defaultdict(set)
        self._surface: dict[str, str] = {}
        self._expiry = ExpiryQueue(timedelta(days=config.hot_window_days))
        self._changed: set[str] = set()
        self._retired: dict[str, EventState] = {}
        self._merged_into: dict[str, str] = {}
        self._since_merge: set[str] = set()
        self._assigned = 0
        #: What changed since the state was last saved, by kind: event ids, terms
        #: (document frequency and surface form) and merged-away ids. None until
        #: saving starts: then the whole state is written once.
        self.unsaved: StateKeys | None = None

    # -- scoring ---------------------------------------------------------------

    def _vector(self, features: ArticleFeatures) -> dict[str, float]:
        """TF-IDF of the article's weighted terms, L2-normalized, top terms only.

        The IDF has two factors. The word's rarity in its language (`rarity`,
        already in the feature weights) tells names from filler from the first
        article on and keeps a story's defining name heavy while the story makes
        it frequent; the stream's own document frequency, applied here, discounts
        what this stream's events all share (a beat's stock phrases, an outlet's
        boilerplate, words of a language wordfreq does not cover). On uci_dev the
        product beats either alone.
        """
        # log((n + 1) / (df + 1)) + 1 as log(n + 1) + 1 - log(df + 1), mapped in C:
        # this runs over every term of every article.
        terms = features.terms
        frequencies = map(mul, map(self._document_frequency.get, terms, repeat(0.0)), repeat(self._df_scale))
        idf = map(sub, repeat(math.log(self._documents + 1) + 1.0), map(math.log, map(add, frequencies, repeat(1.0))))
        top = sorted(zip(terms, map(mul, terms.values(), idf)), key=_WEIGHT, reverse=True)[: self.config.article_terms]
        if not top:
            return {}
        names, weights = zip(*top)
        norm = math.hypot(*weights) or 1.0
        return dict(zip(names, map(truediv, weights, repeat(norm))))

    def _time_factor(self, event: EventState, when: datetime | None) -> float:
        if when is None or event.last_seen is None or event.first_seen is None:
            return 1.0
        if event.first_seen <= when <= event.last_seen:
            return 1.0
        edge = event.last_seen if when > event.last_seen else event.first_seen
        gap_days = abs((when - edge).total_seconds()) / 86400.0
        return math.exp(-gap_days / self.config.time_scale_days)

    def threshold_for(self, terms: float, threshold: float | None = None) -> float:
        """The join threshold for an article of this many terms.

        The cosine an article can reach with its own event grows with the share of
        its terms that the event's core explains, and its chance overlap with an
        unrelated event shrinks as 1/sqrt(terms): so the bar scales with the
        square root of the article's length. A headline of six terms needs about a
        third of what a full text needs, which is how it behaves on real data.
        The same holds for merging two events (`threshold` = the merge threshold),
        with `terms` their texts' mean length.
        """
        scale = math.sqrt(min(1.0, terms / self.config.reference_terms))
        return (self.config.threshold if threshold is None else threshold) * scale

    def _candidates(self, vector: dict[str, float]) -> list[str]:
        # Vectors and centroid tops are kept in falling weight order.
        query = list(vector.items())[: self.config.query_terms]
        overlaps: defaultdict[str, float] = defaultdict(float)
        for term, weight in query:
            for event_id in self._postings.get(term, ()):
                overlaps[event_id] += weight
        limit = self.config.max_candidates
        items = overlaps.items()
        if len(overlaps) > limit:
            # Only events at or above the limit-th largest overlap can make the
            # cut; ties there are settled by the sort below.
            cutoff = sorted(overlaps.values(), reverse=True)[limit - 1]
            items = [item for item in items if item[1] >= cutoff]
        # Most overlap first, ties by id: two sorts with C keys (the second is
        # stable), not one with a Python key.
        ranked = sorted(sorted(items), key=_WEIGHT, reverse=True)
        return [event_id for event_id, _ in ranked[:limit]]

    def similarity(self, vector: dict[str, float], event: EventState) -> float:
        """Cosine between the article and the event's core of comparable length."""
        config = self.config
        size = max(config.core_terms_min, int(config.core_terms_per_article_term * len(vector)))
        size = min(size, len(event.prefix_norms))
        if size == 0:
            return 0.0
        # Summed in the vector's (deterministic) order; absent terms contribute 0.
        dot = sum(map(mul, vector.values(), map(event.core(size).get, vector, repeat(0.0))))
        return dot / event.prefix_norms[size - 1]

    # -- updates ---------------------------------------------------------------

    def assign(self, article: Article, features: ArticleFeatures) -> str:
        """The id of the event this article joins (a new one if none is close)."""
        self._decay_document_frequency(article.published)
        self._documents += 1
        terms, counts = features.terms.keys(), self._document_frequency
        counts.update(zip(terms, map(add, map(counts.get, terms, repeat(0.0)), repeat(1.0 / self._df_scale))))
        vector = self._vector(features)
        # Only vector terms reach a centroid, so only their readable forms are kept.
        surface, known = features.surface, self._surface
        known.update({term: surface[term] for term in vector if term in surface and term not in known})
        if self.unsaved is not None:
            self.unsaved.terms.update(terms)
        best_id, best_cosine = self._best_event(vector, article.published)
        if best_id is None:
            event = EventState(event_id_for(article.id), {}, article.published, article.published)
            self.events[event.event_id] = event
        else:
            event = self.events[best_id]
        self._join(event, article, vector, best_cosine, features.names)
        self._since_merge.add(event.event_id)
        self._assigned += 1
        joined = event.event_id
        if self._assigned % self.config.merge_every == 0:
            self._merge_converged()
        self._age_out()
        return self.resolve(joined)

    def _best_event(self, vector: dict[str, float], when: datetime | None) -> tuple[str | None, float]:
        """The event the article joins, if any, and its cosine with it.

        The highest time-damped score at or above the join bar wins; an event of
        one article may also win at `lone_event_bar` × that bar, when its score
        is at least `lone_event_margin` times the runner-up's. A candidate
        skipped for its time factor counts as a runner-up at that factor, the
        most it could score.
        """
        config = self.config
        bar = self.threshold_for(len(vector))
        best_id, best_score, best_cosine, runner_up = None, bar * min(1.0, config.lone_event_bar), -1.0, 0.0
        for event_id in self._candidates(vector):
            event = self.events[event_id]
            decay = self._time_factor(event, when)
            if decay < best_score:  # a cosine is at most 1: this event cannot win
                runner_up = max(runner_up, decay)
                continue
            cosine = self.similarity(vector, event)
            score = cosine * decay
            if score >= best_score and (score >= bar or event.members == 1):
                if best_id is not None:
                    runner_up = max(runner_up, best_score)
                best_id, best_score, best_cosine = event_id, score, cosine
            else:
                runner_up = max(runner_up, score)
        if best_score < bar and best_score < config.lone_event_margin * runner_up:
            return None, -1.0
        return best_id, best_cosine

    # -- merging ---------------------------------------------------------------

    def _merge_converged(self) -> None:
        """Merge each recently changed event into a neighbour it has converged with.

        Online assignment splits a story when its first articles arrive before
        its vocabulary settles; later articles pull the pieces together, and this
        pass joins them. The older event survives and the younger becomes its
        alias, so ids already handed out still resolve.
        """
        for event_id in sorted(self._since_merge):
            event = self.events.get(event_id)
            if event is None or event_id in self._merged_into:
                continue
            # Both sides reduced to their indexed top terms: they carry most of a
            # centroid's mass, and keep a pass at a few hundred look-ups per event.
            top = {term: event.centroid[term] for term in event.indexed_terms}
            best_id, best_score = None, 0.0
            for other_id in self._candidates(top)[: self.config.merge_candidates + 1]:
                if other_id == event_id:
                    continue
                score, bar = self._merge_score(event, top, self.events[other_id])
                if score >= bar and score > best_score:
                    best_id, best_score = other_id, score
            if best_id is not None:
                self._merge(event, self.events[best_id])
        self._since_merge.clear()

    def _merge_score(self, event: EventState, top: dict[str, float], other: EventState) -> tuple[float, float]:
        """(time-damped cosine of the event's `top` terms with the other's core of as
        many terms, the bar that pair must reach to merge)."""
        size = min(len(top), len(other.prefix_norms))
        core = other.core(size)
        dot = sum(map(mul, top.values(), map(core.get, top, repeat(0.0))))
        gap = self._gap_factor(event, other)
        score = dot / (event.prefix_norms[len(top) - 1] * other.prefix_norms[size - 1]) * gap
        bar = self.config.merge_threshold
        second_look = self._second_look(event, other, gap)
        if second_look:
            bar = min(bar, self.config.threshold)
        bar = self.threshold_for((event.terms_per_member + other.terms_per_member) / 2, bar)
        # Only a pair that would merge pays for the second score: a few per pass.
        if score >= bar and not second_look and self.config.merge_discounts_topic_words:
            score = min(score, self._topic_discounted_cosine(top, core) * gap)
        return score, bar

    def _topic_discounted_cosine(self, a: dict[str, float], b: dict[str, float]) -> float:
        """Cosine of two events' top terms, each term weighed by 2 / the number of hot
        events that index it (1 when only these two do).

        A grown centroid sums many articles, and what accumulates at its top beside
        the story's own words is its topic's: on a headline stream the events of one
        festival all carry "SXSW", those of one company "Google", so two stories of
        a topic can reach the merge bar on the topic's word alone. The inverted index
        already counts, for each term, the hot events whose top terms hold it: the
        event-level document frequency, current by construction, at a look-up per term.
        """
        postings = self._postings
        weights = {term: 2.0 / max(2, len(postings.get(term, ()))) for term in a.keys() | b.keys()}
        dot = sum(weights[term] * weight * b[term] for term, weight in a.items() if term in b)
        norm_a = math.sqrt(sum(weights[term] * weight * weight for term, weight in a.items()))
        norm_b = math.sqrt(sum(weights[term] * weight * weight for term, weight in b.items()))
        return dot / (norm_a * norm_b) if norm_a and norm_b else 0.0

    def _second_look(self, a: EventState, b: EventState, gap_factor: float) -> bool:
        """Whether a pair is judged at the join bar: one of them is small and they
        lie within the time scale of each other.

        An event of one or two articles has a centroid no better a witness than
        those articles: the convergence the merge bar asks of two grown centroids
        cannot be asked of it. What can is what its articles faced when they
        arrived, the join bar, now against a neighbour that has grown since (an
        outlet's other framing of the happening often opens its own event
        before the reports that bridge the two arrive).
        """
        return (min(a.members, b.members) <= self.config.small_event_members
                and gap_factor >= _WITHIN_TIME_SCALE)

    def _gap_factor(self, a: EventState, b: EventState) -> float:
        if None in (a.first_seen, a.last_seen, b.first_seen, b.last_seen):
            return 1.0
        gap = max(a.first_seen - b.last_seen, b.first_seen - a.last_seen).total_seconds() / 86400.0
        return math.exp(-max(0.0, gap) / self.config.time_scale_days)

    def _merge(self, a: EventState, b: EventState) -> None:
        older, younger = sorted((a, b), key=lambda e: (e.first_seen.isoformat() if e.first_seen else "", e.event_id))
        for term, weight in younger.centroid.items():
            older.centroid[term] = older.centroid.get(term, 0.0) + weight
        older.article_ids.extend(younger.article_ids)
        older.sources.extend(s for s in younger.sources if s not in older.sources)
        older.aliases.extend([younger.event_id, *younger.aliases])
        older.members += younger.members
        older.member_terms += younger.member_terms
        _add_counts(older.name_counts, younger.name_counts)
        _add_counts(older.source_counts, younger.source_counts)
        _add_counts(older.language_counts, younger.language_counts)
        if (younger.titled and not older.titled) or (younger.titled == older.titled
                                                      and younger.centrality > older.centrality):
            older.representative_id, older.title, older.titled = younger.representative_id, younger.title, younger.titled
            older.summary, older.centrality = younger.summary, younger.centrality
        if younger.first_seen and (older.first_seen is None or younger.first_seen < older.first_seen):
            older.first_seen = younger.first_seen
        if younger.last_seen and (older.last_seen is None or younger.last_seen > older.last_seen):
            older.last_seen = younger.last_seen
        self._merged_into[younger.event_id] = older.event_id
        self.events.pop(younger.event_id)
        if self.unsaved is not None:
            self.unsaved.events.add(younger.event_id)
            self.unsaved.aliases.add(younger.event_id)
        for term in younger.indexed_terms:
            self._unpost(term, younger.event_id)
        self._changed.discard(younger.event_id)
        self._refresh(older)
        self._expiry.touch(older.event_id, older.last_seen)
        self._changed.add(older.event_id)
        if self.unsaved is not None:
            self.unsaved.events.add(older.event_id)

    def _decay_document_frequency(self, when: datetime | None) -> None:
        """Once per day of event time, decay all counts and drop the faded ones.

        The decay is one multiplication of the scale; the faded terms (and the
        readable forms no count or centroid needs any more) are dropped in the
        same pass over the vocabulary.
        """
        if when is None:
            return
        if self._df_decayed_at is None:
            self._df_decayed_at = when
            return
        days = (when - self._df_decayed_at).total_seconds() / 86400.0
        if days < 1.0:
            return
        factor = 0.5 ** (days / self.config.df_half_life_days)
        self._df_scale *= factor
        self._documents *= factor
        self._df_decayed_at = when
        counts, scale, floor = self._document_frequency, self._df_scale, self.config.df_floor
        faded = [term for term, count in counts.items() if count * scale < floor]
        for term in faded:
            del counts[term]
        shown = {term for event in (*self.events.values(), *self._retired.values()) for term in event.centroid}
        unused = [term for term in self._surface if term not in counts and term not in shown]
        for term in unused:
            del self._surface[term]
        rescaled: list[str] = []
        if scale < _SMALLEST_SCALE:
            # Counts grow as the scale shrinks; folding the scale into them keeps both finite.
            self._document_frequency = {term: count * scale for term, count in counts.items()}
            self._df_scale = 1.0
            rescaled = list(counts)
        if self.unsaved is not None:
            self.unsaved.terms.update(faded, unused, rescaled)

    def add_duplicate(self, event_id: str, article: Article) -> None:
        """Count a duplicate in its original's event without moving the centroid."""
        event = self.events.get(event_id)
        if event is None:
            return
        event.article_ids.append(article.id)
        if article.source and article.source not in event.sources:
            event.sources.append(article.source)
        event.count(article)
        self._touch(event, article.published)

    def withdraw(self, event_id: str, article_id: str, source: str = "", language: str = "") -> None:
        """Take a withdrawn (killed) article, of outlet `source` and `language`, out of its hot event.

        Its terms stay in the centroid, whose article vectors are not kept: a kill
        is rare, and the event's other articles are on the same story. When it
        represented the event, the next article to join does; meanwhile the index
        shows the headline of the event's earliest remaining article.
        """
        event = self.events.get(event_id)
        if event is None or article_id not in event.article_ids:
            return
        event.article_ids.remove(article_id)
        for counts, key in ((event.source_counts, source), (event.language_counts, language)):
            if counts.get(key, 0) > 1:
                counts[key] -= 1
            else:
                counts.pop(key, None)
        if source and source not in event.source_counts:
            event.sources = [s for s in event.sources if s != source]
        if event.representative_id == article_id:
            event.representative_id, event.title, event.titled, event.summary = "", "", False, ""
            event.centrality = -1.0
        self._mark_changed(event_id)

    def rejoin(self, event_id: str, article: Article) -> bool:
        """Make hot event `event_id` list `article` again; False when the event is not hot.

        A wire item re-published after its kill (a newer usable version) comes back
        to the event it was withdrawn from: its terms never left the centroid (see
        `withdraw`), so only its membership, its outlet and language counts and,
        when the event has none, its place as representative return. An article
        the event lists already changes nothing, so a replay after a crash between
        the index write and the state save repairs a state that missed it and
        leaves any other state as it was.
        """
        event = self.events.get(event_id)
        if event is None:
            return False
        if article.id in event.article_ids:
            return True
        if not event.representative_id:  # its headline titles the event: no member has a measure to beat
            self._represent(event, article, 0.0)
        self.add_duplicate(event_id, article)
        return True

    def retitle(self, event_id: str, article: Article) -> None:
        """A corrected article's headline replaces its old one when it represents its hot event."""
        event = self.events.get(event_id)
        if event is not None and event.representative_id == article.id and article.title \
                and event.title != (title := _headline_of(article)):
            event.title = title
            self._mark_changed(event_id)

    def _mark_changed(self, event_id: str) -> None:
        self._changed.add(event_id)
        if self.unsaved is not None:
            self.unsaved.events.add(event_id)

    def _join(self, event: EventState, article: Article, vector: dict[str, float], cosine: float,
              names: tuple[str, ...]) -> None:
        centroid = event.centroid
        for term, weight in vector.items():
            centroid[term] = centroid.get(term, 0.0) + weight
        event.members += 1
        event.member_terms += len(vector)
        event.article_ids.append(article.id)
        if article.source and article.source not in event.sources:
            event.sources.append(article.source)
        event.count(article)
        counts = event.name_counts
        # An article's first name counts most: it is ranked by mentions and rarity, so a
        # weekday every report mentions stays behind the people and places it names.
        for rank, name in enumerate(names):
            counts[name] = counts.get(name, 0) + len(names) - rank
        if len(counts) > _NAMES_KEPT:
            event.name_counts = {name: counts[name] for name in _most_counted(counts)[: _NAMES_KEPT // 2]}
        self._represent(event, article, cosine)
        self._touch(event, article.published)
        self._refresh(event)

    @staticmethod
    def _represent(event: EventState, article: Article, cosine: float) -> None:
        """Let the article represent the event if it is its most central one.

        The representative is the member closest to the event when it joined
        (its cosine with the event's core), so a title comes from the article
        that tells what the members share rather than from whichever outlet was
        first, often with an angle of its own. An article with a headline beats
        one without. The founding article has no measure until the first article
        joins it: cosine is symmetric, so it takes that article's, and keeps its
        place on a tie.
        """
        if not event.representative_id:
            event.representative_id, event.title, event.titled = article.id, _headline_of(article), bool(article.title)
            event.summary = first_sentence(article.text)
            return
        if event.centrality < 0:
            event.centrality = cosine
        titled = bool(article.title)
        if (titled and not event.titled) or (titled == event.titled and cosine > event.centrality):
            event.representative_id, event.title, event.titled = article.id, _headline_of(article), titled
            event.summary, event.centrality = first_sentence(article.text), cosine

    def _refresh(self, event: EventState) -> None:
        """Trim the centroid to its heaviest terms in falling order, recompute its prefix norms, re-post it."""
        ordered = sorted(event.centroid.items(), key=_WEIGHT, reverse=True)[: self.config.event_terms]
        event.centroid = dict(ordered)
        event.cores.clear()
        weights = event.centroid.values()
        event.prefix_norms = list(map(math.sqrt, accumulate(map(mul, weights, weights))))
        self._reindex(event)

    def _touch(self, event: EventState, when: datetime | None) -> None:
        if when is not None:
            event.first_seen = min(event.first_seen or when, when)
            event.last_seen = max(event.last_seen or when, when)
        self._expiry.touch(event.event_id, when)
        self._changed.add(event.event_id)
        if self.unsaved is not None:
            self.unsaved.events.add(event.event_id)

    def _reindex(self, event: EventState) -> None:
        terms = tuple(list(event.centroid)[: self.config.index_terms])
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
            event = self.events.pop(event_id, None)
            if event is None:  # merged into another event meanwhile
                continue
            for alias in event.aliases:
                self._merged_into.pop(alias, None)
            if self.unsaved is not None:
                self.unsaved.events.add(event_id)
                self.unsaved.aliases.update(event.aliases)
            if event_id in self._changed:
                self._retired[event_id] = event
            for term in event.indexed_terms:
                self._unpost(term, event_id)

    # -- saved state -------------------------------------------------------------

    @property
    def watermark(self) -> datetime | None:
        return self._expiry.watermark

    def expires_from(self, event_id: str) -> datetime | None:
        """The time a hot event was last touched, from which its hot window runs."""
        return self._expiry.last_touched(event_id)

    def terms(self) -> set[str]:
        """Every term with a document frequency or a readable form."""
        return self._document_frequency.keys() | self._surface.keys()

    def term_entry(self, term: str) -> tuple[float | None, str | None] | None:
        """(scaled document frequency, readable form) of a term, None when neither is held."""
        count, surface = self._document_frequency.get(term), self._surface.get(term)
        return None if count is None and surface is None else (count, surface)

    def aliases(self) -> dict[str, str]:
        """Merged-away event id → the event it was merged into (while that one is hot)."""
        return self._merged_into

    def counters(self) -> dict[str, object]:
        """The state that is not keyed: document counts and their decay, the
        merge-pass bookkeeping, and events changed but not yet drained."""
        return {
            "documents": self._documents,
            "df_scale": self._df_scale,
            "df_decayed_at": self._df_decayed_at,
            "assigned": self._assigned,
            "since_merge": sorted(self._since_merge),
            "undrained": sorted(self._changed),
            "retired": dict(self._retired),
            "watermark": self._expiry.watermark,
        }

    def restore(
        self,
        events: Iterable[tuple[EventState, datetime | None]],
        terms: Iterable[tuple[str, float | None, str | None]],
        aliases: dict[str, str],
        counters: dict,
    ) -> None:
        """Hold the state saved through the accessors above; postings and the
        centroids' derived numbers are rebuilt from the events."""
        events = list(events)
        self.events = {}
        self._postings = defaultdict(set)
        for event, _ in events:
            self.events[event.event_id] = event
            self._refresh(event)
        self._expiry.restore(((e.event_id, when) for e, when in events if when is not None), counters["watermark"])
        self._document_frequency, self._surface = {}, {}
        for term, count, surface in terms:
            if count is not None:
                self._document_frequency[term] = count
            if surface is not None:
                self._surface[term] = surface
        self._merged_into = dict(aliases)
        self._documents = counters["documents"]
        self._df_scale = counters["df_scale"]
        self._df_decayed_at = counters["df_decayed_at"]
        self._assigned = counters["assigned"]
        self._since_merge = set(counters["since_merge"])
        self._changed = set(counters["undrained"])
        self._retired = dict(counters["retired"])

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
            if state is not None and state.article_ids:  # an event whose articles were all withdrawn is not shown
                changed.append(state.to_event(self._surface, self.config.keywords, self.config.names))
        self._changed.clear()
        self._retired.clear()
        return changed
