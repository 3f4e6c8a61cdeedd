"""`IndexBackend` on Elasticsearch: articles, events and pipeline state behind three aliases."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from elasticsearch import Elasticsearch, helpers

from newsbeam.connectors.sinks.analysis import QueryWord, query_phrases, query_words, snippet
from newsbeam.connectors.sinks.base import (
    IndexedArticle,
    LogPosition,
    SearchPage,
    SearchQuery,
    StateChanges,
    StoredVersion,
)
from newsbeam.connectors.sinks.elasticsearch.bulk import BulkAction, BulkLimits, BulkWriter, ItemFailure
from newsbeam.connectors.sinks.elasticsearch.client import connect
from newsbeam.connectors.sinks.elasticsearch.documents import TERMS_FIELDS, dead_letter, with_terms
from newsbeam.connectors.sinks.events import event_from_doc, merge_event
from newsbeam.connectors.sinks.elasticsearch.indices import IndexNames, ensure_indices, has_english_analyzer, title_analyzer
from newsbeam.connectors.sinks.elasticsearch.retry import ClusterUnavailable, RetryPolicy
from newsbeam.connectors.sinks.elasticsearch.search import MAX_MATCHES, empty_page, match_query, rank_events, to_hit
from newsbeam.connectors.sinks.elasticsearch.state import StateStore
from newsbeam.connectors.sinks.select import BackendSettings
from newsbeam.connectors.sinks.withdrawals import (
    latest_writes,
    logged_item,
    stored_version,
    tombstone_doc,
    without_articles,
)
from newsbeam.schemas import WITHDRAWN_STATUSES, DeadLetter, Event

log = logging.getLogger(__name__)

#: Optimistic-concurrency rounds for one `write_events` call before giving up on an event.
MAX_EVENT_ROUNDS = 20
MGET_CHUNK = 1000
#: How long the languages an index holds are reused between queries: a language first
#: indexed meanwhile is searched in its own stems this much later (its other terms at once).
LANGUAGES_TTL_SECONDS = 10.0


class ElasticsearchBackend:
    """Articles and events in Elasticsearch, written idempotently and searched as events.

    Writes return the documents the cluster refused for good as `DeadLetter`s (the
    run goes on without them); transient failures are retried under `retry` and, once
    it is spent, raise `ClusterUnavailable`.

    Events are written with optimistic concurrency: each is read with its sequence
    number, merged with the incoming view (`merge_event`) and written back only if
    nobody changed it meanwhile; a conflict re-reads and merges again. No script is
    used, so this also works on nodes without the painless module.

    `read_only` (the reading commands): the open writes nothing, neither templates nor
    indices nor a migration (`ensure_indices`), and nothing is refreshed; an index this
    newsbeam cannot read as it is raises `IndexLayoutMismatch` naming the fix.
    """

    def __init__(
        self,
        client: Elasticsearch,
        prefix: str = "newsbeam",
        limits: BulkLimits | None = None,
        retry: RetryPolicy | None = None,
        read_only: bool = False,
    ) -> None:
        self.client = client
        self.read_only = read_only
        self.names = IndexNames(prefix)
        self.retry = retry or RetryPolicy()
        self.bulk = BulkWriter(client, limits or BulkLimits(), self.retry)
        english = self.retry.call("analyzer probe", lambda: has_english_analyzer(client))
        #: Shown by `newsbeam status`: what the events' titles are analyzed with on this cluster.
        self.title_analyzer = title_analyzer(english)
        self.indices = ensure_indices(client, self.names, self.retry, english, read_only=read_only)
        self.state = StateStore(client, self.names.state, self.bulk, self.retry)
        self._languages: tuple[float, list[str]] = (float("-inf"), [])

    @classmethod
    def from_settings(cls, settings: BackendSettings, **options: Any) -> ElasticsearchBackend:
        """The backend for `settings`; `settings.es_retry_seconds` sets how long faults are ridden out."""
        options.setdefault("retry", RetryPolicy(budget_seconds=settings.es_retry_seconds))
        return cls(connect(settings), prefix=settings.es_index_prefix, **options)

    # -- articles -------------------------------------------------------------------

    def known_article_ids(self, ids: Iterable[str]) -> set[str]:
        return set(self._mget(self.names.articles, list(dict.fromkeys(ids)), source=False))

    def stored_versions(self, ids: Iterable[str]) -> dict[str, StoredVersion]:
        found = self._mget(self.names.articles, list(dict.fromkeys(ids)), includes=list(VERSION_FIELDS))
        return {article_id: stored_version(doc) for article_id, doc in found.items()}

    def write_articles(self, articles: Sequence[IndexedArticle]) -> list[DeadLetter]:
        """Upsert articles by id; returns the ones the mapping refused, once all are written or refused.

        Wire versions and kills are applied as `connectors/sinks/withdrawals.py` says.
        """
        withdrawn: dict[str, set[str]] = {}
        if any(item.article.version is not None for item in articles):
            stored = self.stored_versions(item.article.id for item in articles if item.article.version is not None)
            articles = latest_writes(articles, stored)
            for item in articles:
                if item.article.withdrawn and (held := stored.get(item.article.id)) and held.event_id:
                    withdrawn.setdefault(held.event_id, set()).add(item.article.id)
        # A decision answered from the state (no position) keeps the place in the log its document holds,
        # as in the embedded index: a catch-up still finds the decision when the state saved before it is lost.
        # Asked for the batch's replays at once; a batch of new decisions asks nothing.
        unplaced = [item.article.id for item in articles if item.position is None and not item.article.withdrawn]
        placed = self._mget(self.names.articles, unplaced, includes=["log", "log_seq"]) if unplaced else {}
        # Built as the writer asks for them, so building the last overlaps with indexing the first.
        actions = (BulkAction("index", self.names.articles, item.article.id,
                              _article_doc(item, placed.get(item.article.id))) for item in articles)
        refused = [_article_dead_letter(f) for f in self.bulk.write(actions, len(articles))]
        if withdrawn:
            self._withdraw_from_events(withdrawn)
        return refused

    def _withdraw_from_events(self, withdrawn: dict[str, set[str]]) -> None:
        """Take withdrawn articles out of their stored events, with the same optimistic rounds as `write_events`."""
        pending = dict(withdrawn)
        for _ in range(MAX_EVENT_ROUNDS):
            if not pending:
                return
            stored = self._mget(self.names.events, list(pending), versions=True)
            actions = []
            for event_id, ids in pending.items():
                if (doc := stored.get(event_id)) is None:
                    continue  # written later, from a view that no longer has them
                event = event_from_doc(doc)
                rest = [a for a in event.article_ids if a not in ids]
                remaining = {a: d for a, d in self._mget(self.names.articles, rest, includes=list(SHOWN_FIELDS)).items()
                             if d.get("event_id")}
                updated = without_articles(event, ids, remaining)
                actions.append(BulkAction("delete", self.names.events, event_id, None, _version_meta(doc))
                               if updated is None else
                               BulkAction("index", self.names.events, event_id, updated.to_json(), _version_meta(doc)))
            conflicts = set()
            for failure in self.bulk.write(actions):
                if failure.status == 409:
                    conflicts.add(failure.action.id)
                else:
                    log.warning("could not take withdrawn articles out of event %s: %s", failure.action.id,
                                failure.detail)
            pending = {e: pending[e] for e in conflicts}
        if pending:
            raise ClusterUnavailable(f"events {sorted(pending)} kept conflicting with concurrent writers")

    def logged_articles(self, log: str, start: int) -> list[IndexedArticle]:
        self.refresh()
        query = {"bool": {"filter": [{"term": {"log": log}}, {"range": {"log_seq": {"gte": start}}}]}}
        hits = self.retry.call("read the decision log", lambda: list(helpers.scan(
            self.client, index=self.names.articles, query={"query": query, "sort": [{"log_seq": "asc"}]},
            preserve_order=True)))
        return [logged_item(hit["_source"], hit["_source"]["event_id"], hit["_source"].get("duplicate_of"),
                            LogPosition(log, hit["_source"]["log_seq"]))
                for hit in hits]

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        doc = self._mget(self.names.articles, [article_id]).get(article_id)
        return _stored_article(doc) if doc and doc.get("event_id") else None  # a tombstone is no article

    def articles_of_event(self, event_id: str) -> list[dict[str, Any]]:
        event = self.get_event(event_id)
        if event is None:
            return []
        found = self._mget(self.names.articles, event.article_ids)
        return [_stored_article(found[a]) for a in event.article_ids if a in found]

    # -- events ---------------------------------------------------------------------

    def write_events(self, events: Sequence[Event]) -> list[DeadLetter]:
        """Upsert events, merging with what is stored; an event's `aliases` are absorbed into it.

        An absorbed event's document is deleted and its articles are re-pointed to the
        survivor, so `get_event(alias)` and `articles_of_event(survivor)` stay right.
        """
        pending = {e.event_id: e for e in _merge_duplicates(events)}
        dead: list[DeadLetter] = []
        moved: dict[str, str] = {}
        for _ in range(MAX_EVENT_ROUNDS):
            if not pending:
                break
            conflicts, rejected = self._write_event_round(list(pending.values()), moved)
            dead.extend(rejected)
            pending = {e: pending[e] for e in conflicts}
        if pending:
            raise ClusterUnavailable(f"events {sorted(pending)} kept conflicting with concurrent writers")
        self._repoint_articles(moved)
        return dead

    def _write_event_round(self, events: list[Event], moved: dict[str, str]) -> tuple[set[str], list[DeadLetter]]:
        """One optimistic round: read, merge, write conditionally. Returns (conflicted ids, dead letters).

        Survivors are written before absorbed events are deleted, so a failure in between
        leaves an alias document too many (deleted next round), never an article too few.
        """
        wanted = _union_ids([e.event_id for e in events], *(e.aliases for e in events))
        stored = self._mget(self.names.events, wanted, versions=True)
        survivors: list[BulkAction] = []
        deletes: dict[str, list[BulkAction]] = {}
        for incoming in events:
            current = stored.get(incoming.event_id)
            absorbed = [a for a in incoming.aliases if a in stored and a != incoming.event_id]
            event = merge_event(incoming, event_from_doc(current) if current else None, [event_from_doc(stored[a]) for a in absorbed])
            if current is None:
                survivors.append(BulkAction("create", self.names.events, event.event_id, event.to_json()))
            else:
                survivors.append(BulkAction("index", self.names.events, event.event_id, event.to_json(), _version_meta(current)))
            deletes[event.event_id] = [BulkAction("delete", self.names.events, a, None, _version_meta(stored[a])) for a in absorbed]
        conflicts: set[str] = set()
        dead: list[DeadLetter] = []
        for failure in self.bulk.write(survivors):
            if failure.status == 409:
                conflicts.add(failure.action.id)
            else:
                dead.append(dead_letter(failure, f"event:{failure.action.id}"))
        written = [e for e in events if e.event_id not in conflicts and all(d.origin != f"event:{e.event_id}" for d in dead)]
        owner = {d.id: e.event_id for e in written for d in deletes[e.event_id]}
        for failure in self.bulk.write([d for e in written for d in deletes[e.event_id]]):
            if failure.status == 409:
                conflicts.add(owner[failure.action.id])
            else:
                log.warning("could not delete merged event %s: %s", failure.action.id, failure.detail)
        for event in written:
            moved.update({alias: event.event_id for alias in event.aliases if alias != event.event_id})
        return conflicts, dead

    def _repoint_articles(self, moved: dict[str, str]) -> None:
        """Point articles of absorbed events at their survivor (a partial update each, no script)."""
        if not moved:
            return
        self.retry.call("refresh articles", lambda: self.client.indices.refresh(index=self.names.articles))
        hits = self.retry.call(
            "find articles of merged events",
            lambda: list(
                helpers.scan(
                    self.client,
                    index=self.names.articles,
                    query={"query": {"terms": {"event_id": sorted(moved)}}},
                    _source=["event_id"],
                )
            ),
        )
        actions = [
            BulkAction("update", self.names.articles, hit["_id"], {"doc": {"event_id": moved[hit["_source"]["event_id"]]}})
            for hit in hits
        ]
        for failure in self.bulk.write(actions):
            log.warning("could not re-point article %s: %s", failure.action.id, failure.detail)

    def get_event(self, event_id: str) -> Event | None:
        doc = self._mget(self.names.events, [event_id]).get(event_id)
        if doc is None:
            response = self.retry.call(
                "find event by alias",
                lambda: self.client.search(index=self.names.events, query={"term": {"aliases": event_id}}, size=1),
            )
            hits = response["hits"]["hits"]
            doc = hits[0]["_source"] if hits else None
        return event_from_doc(doc) if doc else None

    # -- search -------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchPage:
        """Events ranked by their matching articles (see `search` module for why and how)."""
        languages = [query.language] if query.language else self.languages()
        words = query_words(query.text, languages)
        if not words:
            return empty_page(query)
        matching = match_query(query, words, query_phrases(query.text, languages))
        response = self.retry.call(
            "search articles",
            lambda: self.client.search(
                index=self.names.articles, query=matching, size=MAX_MATCHES,
                source_includes=["event_id", "published"], track_total_hits=False,
            ),
        )
        ranked = rank_events(response["hits"]["hits"], query.recency_boost)
        page = max(query.page, 1)
        window = ranked[(page - 1) * query.size : page * query.size]
        events = {r.event_id: self.get_event(r.event_id) for r in window}
        best = self._mget(self.names.articles, [r.best_article for r in window], includes=["title", "text", "language", "headlines"])
        hits = [to_hit(events[r.event_id], r, _snippet(best.get(r.best_article), words, events[r.event_id].title))
                for r in window if events[r.event_id]]
        return SearchPage(len(ranked), hits, page, query.size)

    def languages(self) -> list[str]:
        """The languages of the articles indexed (a query is analysed in each), read at most every few seconds."""
        read_at, languages = self._languages
        if time.monotonic() - read_at < LANGUAGES_TTL_SECONDS:
            return languages
        response = self.retry.call("read languages", lambda: self.client.search(
            index=self.names.articles, size=0, aggs={"languages": {"terms": {"field": "language", "size": 1000}}}))
        languages = [bucket["key"] for bucket in response["aggregations"]["languages"]["buckets"]]
        self._languages = (time.monotonic(), languages)
        return languages

    # -- state ----------------------------------------------------------------------------

    def load_state(self, key: str) -> dict[str, bytes]:
        return self.state.load(key)

    def save_state(self, key: str, changes: StateChanges) -> None:
        """Atomic through a redo log: see `connectors/sinks/elasticsearch/state.py`."""
        self.state.save(key, changes)

    def state_keys(self, prefix: str) -> list[str]:
        return self.state.keys(prefix)

    # -- housekeeping -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Make everything written so far visible to search (Elasticsearch does this every second anyway);
        a read-only backend wrote nothing, so asks nothing of the node."""
        if self.read_only:
            return
        aliases = ",".join([self.names.articles, self.names.events])
        self.retry.call("refresh", lambda: self.client.indices.refresh(index=aliases))

    def counts(self) -> dict[str, int]:
        self.refresh()
        # A withdrawn article's tombstone is not an article.
        queries = {"articles": {"bool": {"must_not": [{"terms": {"pubstatus": list(WITHDRAWN_STATUSES)}}]}},
                   "events": {"match_all": {}}}
        return {
            kind: int(self.retry.call(f"count {kind}", lambda kind=kind: self.client.count(
                index=self.names.alias(kind), query=queries[kind]))["count"])
            for kind in ("articles", "events")
        }

    def close(self) -> None:
        """Refresh, so a search right after a run sees everything written, and release the threads and connections."""
        try:
            self.refresh()
        finally:
            self.bulk.close()
            self.client.close()

    # -- helpers ----------------------------------------------------------------------------

    def _mget(
        self,
        index: str,
        ids: list[str],
        *,
        source: bool = True,
        includes: list[str] | None = None,
        versions: bool = False,
    ) -> dict[str, dict[str, Any]]:
        """Documents by id (id -> source); with `versions`, `_seq_no`/`_primary_term` are kept in the source."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), MGET_CHUNK):
            part = ids[start : start + MGET_CHUNK]
            params: dict[str, Any] = {"source": source} if includes is None else {"source_includes": includes}
            response = self.retry.call("mget", lambda part=part: self.client.mget(index=index, ids=part, **params))
            for doc in response["docs"]:
                if doc.get("found"):
                    body = dict(doc.get("_source") or {})
                    if versions:
                        body["_seq_no"], body["_primary_term"] = doc["_seq_no"], doc["_primary_term"]
                    found[doc["_id"]] = body
        return found


#: What `stored_versions` reads of an article document, and what an event shows of its articles.
VERSION_FIELDS = ("version", "pubstatus", "event_id", "duplicate_of", "source")
SHOWN_FIELDS = ("id", "title", "published", "source", "language", "event_id")
#: Fields of an article document that are the index's own, not the article's: its place in
#: a decision log and its search terms.
INDEX_FIELDS = ("log", "log_seq", *TERMS_FIELDS)


def _article_doc(item: IndexedArticle, stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """The document of an article (a tombstone for a kill), with its place in the decision log: its
    position, else the one the `stored` document holds."""
    doc = tombstone_doc(item) if item.article.withdrawn else with_terms(item.to_json())
    if item.position is not None:
        doc["log"], doc["log_seq"] = item.position.log, item.position.seq
    elif stored and stored.get("log") is not None:
        doc["log"], doc["log_seq"] = stored["log"], stored["log_seq"]
    return doc


def _stored_article(doc: dict[str, Any]) -> dict[str, Any]:
    """The article as it was given to the index (`IndexedArticle.to_json()` shape)."""
    return {key: value for key, value in doc.items() if key not in INDEX_FIELDS}


def _snippet(article: dict[str, Any] | None, words: list[QueryWord], fallback: str) -> str:
    if article is None:
        return html.escape(fallback)
    return snippet(article.get("title") or "", article.get("text") or "", article.get("language") or "", words, fallback,
                   article.get("headlines") or ())


def _article_dead_letter(failure: ItemFailure) -> DeadLetter:
    body = failure.action.body or {}
    return dead_letter(failure, body.get("url") or failure.action.id)


def _version_meta(doc: dict[str, Any]) -> dict[str, Any]:
    return {"if_seq_no": doc["_seq_no"], "if_primary_term": doc["_primary_term"]}


def _union_ids(*lists: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for items in lists for i in items if i))


def _merge_duplicates(events: Sequence[Event]) -> list[Event]:
    """Fold several views of one event in a single call into one, so one bulk never names an id twice."""
    by_id: dict[str, Event] = {}
    for event in events:
        by_id[event.event_id] = merge_event(event, by_id.get(event.event_id))
    return list(by_id.values())
