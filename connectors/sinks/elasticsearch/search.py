"""Event search: match articles, rank the events they belong to, page over events.

Why articles and not a text copy inside each event document: the pipeline writes
articles and events from parallel branches, so an event document built from its
articles' text could be written before some of them and miss their text for good.
Article documents always carry their `event_id` (re-pointed on merges), so matching
them is right whatever the write order. An event's own title and keywords come from
its articles, so they are matched there too.

The ranking is the embedded backend's, so both stores answer alike: an event scores
its best article's relevance, plus a small bonus per further matching article (many
outlets covering it), times an optional recency factor. Filters (date, source,
language, subject) apply to the matching articles. Like the embedded backend, the best
`MAX_MATCHES` articles are grouped, and `total` counts the events among them.

Articles are matched by the terms newsbeam made of them (`analysis`), in fields the
`whitespace` analyzer splits: each query word matches by any of its terms in the
languages the index holds, and snippets are built from the stored text as the
embedded backend builds them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsbeam.connectors.sinks.analysis import QueryWord, phrase_first
from newsbeam.connectors.sinks.base import SearchHit, SearchPage, SearchQuery
from newsbeam.schemas import Event

#: The fields matched and their weights: the title says most about an article.
FIELDS = {"title_terms": 3.0, "headline_terms": 3.0, "text_terms": 1.0}
#: The fields a query's phrases are matched in (the article's headlines).
TITLE_FIELDS = ("title_terms", "headline_terms")
#: The name under which a hit says its title holds the query's phrase.
PHRASE_QUERY = "phrase"
#: How much the field that matches less adds to the one that matches best.
TIE_BREAKER = 0.3
MAX_MATCHES = 1000
#: Recency decay in days: an event this much older than the newest match gets 1/e of the boost.
RECENCY_DAYS = 7.0


def _word_clause(word: QueryWord, field: str) -> dict[str, Any]:
    """A query word on one field: any of its alternatives (a CJK run as a phrase of its bigrams)."""
    clauses: list[dict[str, Any]] = [
        {"term": {field: alternative[0]}} if len(alternative) == 1
        else {"match_phrase": {field: " ".join(alternative)}}
        for alternative in word.alternatives
    ]
    if word.prefix:
        clauses.append({"prefix": {field: word.alternatives[0][0]}})
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


def words_query(words: list[QueryWord]) -> dict[str, Any]:
    """Any of the words, scored on the best field plus `TIE_BREAKER` of the others (as `best_fields`)."""
    return {"dis_max": {"tie_breaker": TIE_BREAKER, "queries": [
        {"bool": {"should": [_word_clause(word, field) for word in words], "minimum_should_match": 1, "boost": boost}}
        for field, boost in FIELDS.items()
    ]}}


def phrases_query(phrases: list[tuple[str, ...]]) -> dict[str, Any]:
    """Whether the title holds one of the query's phrases (`analysis.query_phrases`): named, not scored.

    A hit names it in `matched_queries`, and `rank_events` ranks it first, as the
    embedded index does.
    """
    held = [{"match_phrase": {field: " ".join(phrase)}} for phrase in phrases for field in TITLE_FIELDS]
    return {"bool": {"filter": [{"bool": {"should": held, "minimum_should_match": 1}}], "_name": PHRASE_QUERY}}


def match_query(query: SearchQuery, words: list[QueryWord], phrases: list[tuple[str, ...]]) -> dict[str, Any]:
    """The article query: relevance on title and text terms, filters on the article's own fields,
    and whether the title holds the query's phrases."""
    filters: list[dict[str, Any]] = []
    published: dict[str, str] = {}
    if query.date_from is not None:
        published["gte"] = query.date_from.isoformat()
    if query.date_to is not None:
        published["lte"] = query.date_to.isoformat()
    if published:
        filters.append({"range": {"published": published}})
    if query.source:
        filters.append({"term": {"source": query.source}})
    if query.language:
        filters.append({"term": {"language": query.language}})
    if query.subject:
        filters.append({"term": {"subjects": query.subject}})
    return {
        "bool": {
            "must": [words_query(words)],
            "filter": filters,
            "should": [phrases_query(phrases)] if phrases else [],
        }
    }


@dataclass(slots=True)
class RankedEvent:
    """An event among the matches: its score, best article and newest matching date."""

    event_id: str
    score: float
    best_article: str
    newest: datetime | None


def rank_events(hits: list[dict[str, Any]], recency_boost: float) -> list[RankedEvent]:
    """Group article hits by event and score the events, best first.

    The hits whose title holds the query's phrase (`phrase_first`) count before the rest.
    """
    events: dict[str, RankedEvent] = {}
    matches: dict[str, int] = {}
    scores = phrase_first([float(hit["_score"]) for hit in hits],
                          [PHRASE_QUERY in hit.get("matched_queries", ()) for hit in hits])
    for score, hit in sorted(zip(scores, hits), key=lambda scored: -scored[0]):
        source = hit["_source"]
        event_id = source.get("event_id")
        if not event_id:
            continue
        published = datetime.fromisoformat(source["published"]) if source.get("published") else None
        matches[event_id] = matches.get(event_id, 0) + 1
        ranked = events.get(event_id)
        if ranked is None:
            events[event_id] = RankedEvent(event_id, score, hit["_id"], published)
        elif published and (ranked.newest is None or published > ranked.newest):
            ranked.newest = published
    now = max((e.newest for e in events.values() if e.newest), default=None)
    for event in events.values():
        event.score *= 1.0 + 0.25 * math.log(matches[event.event_id])
        if recency_boost and now and event.newest:
            age_days = (now - event.newest).total_seconds() / 86400
            event.score *= 1.0 + recency_boost * math.exp(-age_days / RECENCY_DAYS)
    return sorted(events.values(), key=lambda e: (-e.score, e.event_id))


def to_hit(event: Event, ranked: RankedEvent, snippet: str) -> SearchHit:
    doc = event.to_json()
    return SearchHit(
        event_id=event.event_id,
        title=event.title,
        article_ids=event.article_ids,
        score=round(ranked.score, 4),
        article_count=event.article_count,
        sources=event.sources,
        first_seen=doc["first_seen"],
        last_seen=doc["last_seen"],
        keywords=event.keywords,
        snippet=snippet,
    )


def empty_page(query: SearchQuery) -> SearchPage:
    return SearchPage(0, [], max(query.page, 1), query.size)
