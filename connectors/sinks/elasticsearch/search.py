"""Event search: one query over event documents, which carry their member articles' text.

Why events and not articles grouped by event: an event document holds its own title and
keywords *and* copies of its articles' titles and text (see `documents.event_doc`), so a
single `multi_match` ranks events by all of it, `from`/`size` pages exactly and `total`
is exact. Grouping article hits instead (collapse or terms aggregation) scores an event
by its single best article and pages and counts only approximately.
"""

from __future__ import annotations

import html
from typing import Any

from newsbeam.connectors.sinks.base import SearchHit, SearchPage, SearchQuery

#: Field weights: the event's own title and keywords say most about it.
FIELDS = ["title^3", "keywords^2", "article_titles^2", "text"]
MARK = ("<mark>", "</mark>")
#: Recency decay: an event this old scores half the recency bonus of one seen now.
RECENCY_SCALE = "7d"


def build_query(query: SearchQuery) -> dict[str, Any]:
    """Keyword arguments of `Elasticsearch.search` for `query` (pages are 1-based)."""
    filters: list[dict[str, Any]] = []
    if query.date_from is not None:
        filters.append({"range": {"last_seen": {"gte": query.date_from.isoformat()}}})
    if query.date_to is not None:
        filters.append({"range": {"first_seen": {"lte": query.date_to.isoformat()}}})
    if query.source:
        filters.append({"term": {"sources": query.source}})
    if query.language:
        filters.append({"term": {"languages": query.language}})
    relevance: dict[str, Any] = {
        "bool": {
            "must": [{"multi_match": {"query": query.text, "fields": FIELDS, "type": "best_fields", "tie_breaker": 0.3}}],
            "filter": filters,
        }
    }
    if query.recency_boost > 0:
        # score = relevance * (1 + boost * decay(last_seen)): relevance still decides among equals in age.
        relevance = {
            "function_score": {
                "query": relevance,
                "functions": [
                    {"weight": 1},
                    {"gauss": {"last_seen": {"origin": "now", "scale": RECENCY_SCALE, "decay": 0.5}}, "weight": query.recency_boost},
                ],
                "score_mode": "sum",
                "boost_mode": "multiply",
            }
        }
    page = max(query.page, 1)
    return {
        "query": relevance,
        "from_": (page - 1) * query.size,
        "size": query.size,
        "track_total_hits": True,
        "sort": [{"_score": "desc"}, {"event_id": "asc"}],
        "source_excludes": ["text", "article_titles"],
        "highlight": {
            "pre_tags": [MARK[0]],
            "post_tags": [MARK[1]],
            "encoder": "html",
            "fields": {
                "title": {"number_of_fragments": 0},
                "article_titles": {"number_of_fragments": 1, "fragment_size": 200},
                "text": {"number_of_fragments": 1, "fragment_size": 200},
            },
        },
    }


def snippet(hit: dict[str, Any]) -> str:
    """The best highlight: article text, else a title; the event title escaped if nothing matched."""
    highlights = hit.get("highlight", {})
    for field in ("text", "article_titles", "title"):
        if fragments := highlights.get(field):
            return fragments[0]
    return html.escape(hit["_source"].get("title", ""))


def to_page(response: dict[str, Any], query: SearchQuery) -> SearchPage:
    hits = []
    for hit in response["hits"]["hits"]:
        doc = hit["_source"]
        hits.append(
            SearchHit(
                event_id=doc["event_id"],
                title=doc.get("title", ""),
                article_ids=list(doc.get("article_ids", [])),
                score=float(hit.get("_score") or 0.0),
                article_count=int(doc.get("article_count", len(doc.get("article_ids", [])))),
                sources=list(doc.get("sources", [])),
                first_seen=doc.get("first_seen"),
                last_seen=doc.get("last_seen"),
                keywords=list(doc.get("keywords", [])),
                snippet=snippet(hit),
            )
        )
    return SearchPage(total=int(response["hits"]["total"]["value"]), hits=hits, page=max(query.page, 1), size=query.size)
