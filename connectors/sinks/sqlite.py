"""The embedded index: SQLite with FTS5, in a data directory, no server needed.

SQLite is in every Python, survives crashes (WAL journal), and its FTS5 engine
ranks with BM25, which is all a laptop-sized news index needs. Events are ranked by
their best-matching member articles. FTS5 indexes the terms `analysis` makes of an
article (stems in its language, CJK bigrams), split on spaces only, so this index
and Elasticsearch match a query alike.
"""

from __future__ import annotations

import contextlib
import html
import json
import math
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newsbeam.connectors.sinks.base import (
    BackendUnavailable,
    IndexedArticle,
    IndexLayoutMismatch,
    LogPosition,
    SearchHit,
    SearchPage,
    SearchQuery,
    StateChanges,
    StoredVersion,
)
from newsbeam.connectors.sinks.analysis import (
    QueryWord,
    article_terms,
    phrase_first,
    query_phrases,
    query_words,
    snippet,
)
from newsbeam.connectors.sinks.events import event_from_doc, merge_event
from newsbeam.connectors.sinks.withdrawals import (
    latest_writes,
    logged_item,
    stored_version,
    tombstone_doc,
    without_articles,
)
from newsbeam.schemas import DeadLetter, Event

log = logging.getLogger(__name__)

INDEX_FILE = "index.sqlite3"
#: Stored in `PRAGMA user_version`; an index of another layout is re-indexed
#: (`REINDEXED_LAYOUTS`) or refused, never misread. It goes up with `analysis.ANALYSIS_VERSION`:
#: the terms table keeps no text, so a row is deleted by making its terms again, which
#: must give what was indexed.
LAYOUT_VERSION = 4
#: Layouts whose search terms are made again from the stored articles on open: 2 indexed
#: the raw text with FTS5's own tokenizer, 3 had no column for an article's other headlines.
REINDEXED_LAYOUTS = frozenset({2, 3})
#: The search terms of each article (rowid = the article's rowid), split on spaces only:
#: its title, its text and its other headlines (weighed as the title).
#: Contentless: the terms are not stored twice, which makes the index a third smaller and
#: its writes cheaper; BM25 needs only the index.
_TERMS_TABLES = (
    """CREATE VIRTUAL TABLE IF NOT EXISTS article_terms USING fts5(title, text, headlines, content = '',"""
    """ tokenize = "ascii tokenchars ':'")""",
    "CREATE TABLE IF NOT EXISTS languages (language TEXT PRIMARY KEY) WITHOUT ROWID",
)
#: The columns a query's phrases are matched in (the article's headlines).
TITLE_COLUMNS = "title headlines"
#: Bytes of terms FTS5 holds in memory before it writes them out as a segment (its own
#: default is 1 MiB, less than the terms of a 5,000-article batch): a batch then becomes
#: one segment, not several that FTS5 merges again later, which takes a fifth off the
#: CPU of indexing the terms. Kept in the index's FTS5 config, so it is set on creation.
_TERMS_HASH_BYTES = 16 << 20
_TERMS_CONFIG = f"INSERT INTO article_terms (article_terms, rank) VALUES ('hashsize', {_TERMS_HASH_BYTES})"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    duplicate_of TEXT,
    published TEXT,
    source TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    doc TEXT NOT NULL,
    log TEXT,
    log_seq INTEGER
);
CREATE INDEX IF NOT EXISTS articles_event ON articles(event_id);
CREATE INDEX IF NOT EXISTS articles_log ON articles(log, log_seq) WHERE log IS NOT NULL;
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    last_seen TEXT,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS event_aliases (alias TEXT PRIMARY KEY, event_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state_parts (key TEXT NOT NULL, part TEXT NOT NULL, data BLOB NOT NULL,
                                        PRIMARY KEY (key, part)) WITHOUT ROWID;
""" + "".join(f"{statement};\n" for statement in _TERMS_TABLES)
MMAP_BYTES = 1 << 30
#: How long a write waits for another connection's write lock before it fails
#: (`NEWSBEAM_SQLITE_BUSY_SECONDS` overrides it).
BUSY_SECONDS = 30.0
#: SQLite result codes of a write the file cannot take now (another writer's lock, a
#: read-only file or directory, a full disk, an I/O error), which a re-run can finish.
_UNWRITABLE = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_READONLY,
                         sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN})
#: Best-matching articles grouped into events per query; `total` counts the events among
#: them. The Elasticsearch backend groups as many, so both stores answer alike.
MAX_MATCHES = 1000
#: Matching articles scored per query (see `SqliteBackend._best_matches`): BM25 costs about
#: two microseconds per match, so this keeps the slowest query near 30 ms of CPU on any index.
SCORE_BUDGET = 10_000
#: Articles read at a time when the terms of an index of an earlier layout are made again.
MIGRATION_BATCH = 2_000
#: Most ids bound in one `IN (...)` list; `_rows_for_ids` also keeps under the connection's own
#: limit on a statement's variables (999 in SQLite builds before 3.32, 32766 after, lower if set so).
IN_CHUNK = 500


def _fts_word(word: QueryWord) -> str:
    """FTS5 expression for one query word: any of its alternatives (a CJK run as a phrase)."""
    alternatives = ['"' + " ".join(alternative) + '"' for alternative in word.alternatives]
    if word.prefix:
        alternatives.append(f'"{word.alternatives[0][0]}" *')
    return alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"


def _fts_query(words: list[QueryWord], operator: str = "OR") -> str:
    """FTS5 query for any of the words (BM25 ranks articles with more of them higher).

    With `operator="AND"`: for all of them.
    """
    return f" {operator} ".join(map(_fts_word, words))


def _fts_phrases(phrases: list[tuple[str, ...]]) -> str:
    """FTS5 query for the articles whose title holds any of a query's phrases."""
    return " OR ".join(f'{{{TITLE_COLUMNS}}} : "{" ".join(phrase)}"' for phrase in phrases)


#: The columns of a stored article that its search terms are made of, as `_stored_terms` takes them.
_STORED_TEXT = ("language, json_extract(doc, '$.title'), json_extract(doc, '$.text'),"
                " json_extract(doc, '$.headlines')")


def _stored_terms(language: str, title: str | None, text: str | None, headlines: str | None) -> tuple[str, str, str]:
    """The search terms of an article as stored (`_STORED_TEXT`): title, text, other headlines."""
    return article_terms(title, text, language, json.loads(headlines) if headlines else ())


class SqliteBackend:
    """`IndexBackend` on a SQLite file in `data_dir`."""

    score_budget = SCORE_BUDGET

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / INDEX_FILE
        with _unwritable_as_unavailable(self.path):
            self._open()

    def _open(self) -> None:
        busy_seconds = float(os.environ.get("NEWSBEAM_SQLITE_BUSY_SECONDS", BUSY_SECONDS))
        self._db = sqlite3.connect(self.path, timeout=busy_seconds, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # A commit reaches the write-ahead log before it returns, so it survives a crash of
        # the process; only `save_state` waits for the disk too (see there).
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Reads straight from the OS page cache instead of copying pages into each
        # connection's cache: the server opens one connection per worker thread.
        self._db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        fresh = not self._db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
        if not fresh and version in REINDEXED_LAYOUTS:
            self._reindex_terms()
            version = LAYOUT_VERSION
        if not fresh and version != LAYOUT_VERSION:
            self._db.close()
            raise IndexLayoutMismatch(f"{self.path} was written by another newsbeam version (layout {version}, "
                               f"this one reads {LAYOUT_VERSION}); ingest again into a new --data-dir")
        self._db.executescript(_SCHEMA)
        if fresh:
            self._db.execute(_TERMS_CONFIG)
        self._db.execute(f"PRAGMA user_version = {LAYOUT_VERSION}")

    def _reindex_terms(self) -> None:
        """Make the search terms of an index of an earlier layout again, in place.

        One transaction: a crash leaves the old layout, which the next open migrates again.
        """
        log.warning("re-indexing %s for this version's search terms (once)", self.path)
        with self._transaction():
            if self._db.execute("PRAGMA user_version").fetchone()[0] not in REINDEXED_LAYOUTS:
                return  # another process re-indexed it meanwhile
            self._db.execute("DROP TABLE IF EXISTS article_text")
            self._db.execute("DROP TABLE IF EXISTS article_terms")
            for statement in _TERMS_TABLES:
                self._db.execute(statement)
            self._db.execute(_TERMS_CONFIG)
            last = 0
            while rows := self._db.execute(
                f"SELECT rowid, {_STORED_TEXT} FROM articles WHERE rowid > ? AND event_id != ''"
                " ORDER BY rowid LIMIT ?", (last, MIGRATION_BATCH)).fetchall():
                self._db.executemany("INSERT INTO article_terms (rowid, title, text, headlines) VALUES (?, ?, ?, ?)",
                                     ((rowid, *_stored_terms(*stored)) for rowid, *stored in rows))
                last = rows[-1][0]
            self._db.execute("INSERT OR IGNORE INTO languages SELECT DISTINCT language FROM articles")
            self._db.execute(f"PRAGMA user_version = {LAYOUT_VERSION}")

    # -- writes ----------------------------------------------------------------

    def _rows_for_ids(self, sql: str, ids: Iterable[str]) -> list[tuple[Any, ...]]:
        """The rows `sql` gives for all of `ids` (each once), asked `IN_CHUNK` ids at a time.

        `sql` holds `{ids}` where the `IN` list's placeholders go. One statement
        binds at most as many variables as the connection allows, so a large batch
        or event is asked in parts rather than failing with "too many SQL variables".
        """
        ids = list(dict.fromkeys(ids))
        chunk = min(IN_CHUNK, self._db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            rows.extend(self._db.execute(sql.format(ids=",".join("?" * len(part))), part))
        return rows

    def known_article_ids(self, ids: Iterable[str]) -> set[str]:
        return {row[0] for row in self._rows_for_ids("SELECT id FROM articles WHERE id IN ({ids})", ids)}

    def stored_versions(self, ids: Iterable[str]) -> dict[str, StoredVersion]:
        rows = self._rows_for_ids("SELECT id, event_id, duplicate_of, source, json_extract(doc, '$.version'),"
                                  " json_extract(doc, '$.pubstatus') FROM articles WHERE id IN ({ids})", ids)
        return {article_id: stored_version({"version": version, "pubstatus": pubstatus,
                                            "duplicate_of": duplicate_of, "source": source}, event_id)
                for article_id, event_id, duplicate_of, source, version, pubstatus in rows}

    def write_articles(self, articles: Sequence[IndexedArticle]) -> list[DeadLetter]:
        """Upsert the articles, then their analysed terms, in one transaction.

        An upsert keeps the article's rowid, and its full-text row shares that
        rowid, so replacing one is keyed writes however large the index grows.
        The terms table keeps no text, so the terms of an article written before
        are deleted by making them again from its stored title and text.
        The full-text rows are written after all of the batch's articles, not
        one beside each: FTS5 then adds the batch to its in-memory terms in one
        run, which halves the cost of a write against alternating the tables.
        Wire versions and kills are applied as `connectors/sinks/withdrawals.py` says.
        """
        withdrawn: dict[str, set[str]] = {}
        if any(item.article.version is not None for item in articles):
            wire = [item.article.id for item in articles if item.article.version is not None]
            articles = latest_writes(articles, self.stored_versions(wire))
        # Analysed before the write lock is taken: it is most of the work of a write.
        terms = [article_terms(item.article.title, item.article.text, item.article.language, item.article.headlines)
                 for item in articles]
        terms_of: dict[int, tuple[str, str, str]] = {}
        with self._transaction():
            indexed = self._indexed_terms([item.article.id for item in articles])
            # The events the batch's kills leave, read in the write lock before the upserts clear them.
            killed = self.stored_versions(item.article.id for item in articles if item.article.withdrawn)
            self._db.executemany("INSERT OR IGNORE INTO languages VALUES (?)",
                                 ((language,) for language in {item.article.language for item in articles}))
            for item, terms_of_item in zip(articles, terms):
                a = item.article
                if a.withdrawn:
                    if a.id in killed and killed[a.id].event_id:
                        withdrawn.setdefault(killed[a.id].event_id, set()).add(a.id)
                    item = IndexedArticle(a, "", None, item.position, item.withdrawal)
                # A decision answered from the state has no position: the row keeps its own, so a
                # catch-up still finds the decision when the state saved before it is lost. A tombstone
                # replaces the whole row.
                log, seq = (item.position.log, item.position.seq) if item.position else (None, None)
                doc = tombstone_doc(item) if a.withdrawn else item.to_json()
                rowid = self._db.execute(
                    "INSERT INTO articles (id, event_id, duplicate_of, published, source, language, doc, log, log_seq)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET event_id = excluded.event_id,"
                    " duplicate_of = excluded.duplicate_of, published = excluded.published,"
                    " source = excluded.source, language = excluded.language, doc = excluded.doc,"
                    " log = CASE WHEN excluded.event_id = '' THEN excluded.log"
                    " ELSE coalesce(excluded.log, articles.log) END,"
                    " log_seq = CASE WHEN excluded.event_id = '' THEN excluded.log_seq"
                    " ELSE coalesce(excluded.log_seq, articles.log_seq) END"
                    " RETURNING rowid",
                    (a.id, item.event_id, item.duplicate_of,
                     a.published.isoformat() if a.published and not a.withdrawn else None,
                     "" if a.withdrawn else a.source, "" if a.withdrawn else a.language,
                     json.dumps(doc, ensure_ascii=False), log, seq),
                ).fetchone()[0]
                if a.withdrawn:
                    terms_of.pop(rowid, None)  # a tombstone has no terms
                else:
                    terms_of[rowid] = terms_of_item  # an id written twice in a batch keeps its last text
            self._db.executemany("INSERT INTO article_terms (article_terms, rowid, title, text, headlines)"
                                 " VALUES ('delete', ?, ?, ?, ?)", indexed)
            self._db.executemany("INSERT INTO article_terms (rowid, title, text, headlines) VALUES (?, ?, ?, ?)",
                                 ((rowid, *terms) for rowid, terms in terms_of.items()))
            for event_id, ids in withdrawn.items():
                self._withdraw_from_event(event_id, ids)
        return []  # SQLite has no mapping to refuse a document

    def _withdraw_from_event(self, event_id: str, ids: set[str]) -> None:
        """Take withdrawn articles out of their stored event (deleted when none is left)."""
        stored = self._stored_event(event_id)
        if stored is None:  # written later in this commit, from a view that no longer has them
            return
        rest = [a for a in stored.article_ids if a not in ids]
        remaining: dict[str, dict[str, Any]] = {}
        for (doc,) in self._rows_for_ids("SELECT doc FROM articles WHERE id IN ({ids}) AND event_id != ''", rest):
            data = json.loads(doc)
            remaining[data["id"]] = data
        event = without_articles(stored, ids, remaining)
        if event is None:
            self._db.execute("DELETE FROM events WHERE event_id = ?", (event_id,))
            self._db.execute("DELETE FROM event_aliases WHERE event_id = ?", (event_id,))
            return
        self._db.execute("UPDATE events SET last_seen = ?, doc = ? WHERE event_id = ?",
                         (event.last_seen.isoformat() if event.last_seen else None,
                          json.dumps(event.to_json(), ensure_ascii=False), event_id))

    def _indexed_terms(self, ids: list[str]) -> list[tuple[int, str, str, str]]:
        """(rowid, title terms, text terms, headline terms) indexed for those of `ids` already stored."""
        # Each id once: an id twice in a batch has one row to delete. Tombstones have no terms.
        found = self._rows_for_ids(f"SELECT rowid, {_STORED_TEXT} FROM articles"
                                   " WHERE id IN ({ids}) AND event_id != ''", ids)
        return [(rowid, *_stored_terms(*stored)) for rowid, *stored in found]

    def write_events(self, events: Sequence[Event]) -> list[DeadLetter]:
        """Upsert events merged with what is stored (`merge_event`), as Elasticsearch does."""
        with self._transaction():
            for incoming in events:
                stored = self._stored_event(incoming.event_id)
                absorbed = [e for alias in incoming.aliases if alias != incoming.event_id
                            and (e := self._stored_event(alias)) is not None]
                event = merge_event(incoming, stored, absorbed)
                self._db.execute(
                    "INSERT OR REPLACE INTO events (event_id, last_seen, doc) VALUES (?, ?, ?)",
                    (event.event_id, event.last_seen.isoformat() if event.last_seen else None,
                     json.dumps(event.to_json(), ensure_ascii=False)),
                )
                for alias in event.aliases:
                    self._db.execute("DELETE FROM events WHERE event_id = ?", (alias,))
                    self._db.execute("UPDATE articles SET event_id = ?1, doc = json_set(doc, '$.event_id', ?1)"
                                     " WHERE event_id = ?2", (event.event_id, alias))
                    self._db.execute("INSERT OR REPLACE INTO event_aliases VALUES (?, ?)", (alias, event.event_id))
        return []

    def logged_articles(self, log: str, start: int) -> list[IndexedArticle]:
        rows = self._db.execute(
            "SELECT doc, event_id, duplicate_of, log_seq FROM articles WHERE log = ? AND log_seq >= ? ORDER BY log_seq",
            (log, start),
        )
        return [logged_item(json.loads(doc), event_id, duplicate_of, LogPosition(log, seq))
                for doc, event_id, duplicate_of, seq in rows]

    def save_state(self, key: str, changes: StateChanges) -> None:
        """One transaction: a crash before its commit leaves the parts as they were.

        The commit is synced to disk, where the index writes' commits are not: the
        sources mark what was read as seen once the state is saved, in a store that
        syncs its own commits, so a power loss must not take back writes the seen
        marks count on. The log keeps transactions in commit order and a sync covers
        all of it, so this one sync makes the writes before it durable too.
        """
        self._db.execute("PRAGMA synchronous=FULL")
        try:
            with self._transaction():
                self._db.executemany("DELETE FROM state_parts WHERE key = ? AND part = ?",
                                     [(key, part) for part in changes.deletes])
                self._db.executemany("INSERT OR REPLACE INTO state_parts VALUES (?, ?, ?)",
                                     [(key, part, data) for part, data in changes.upserts.items()])
        finally:
            self._db.execute("PRAGMA synchronous=NORMAL")

    def load_state(self, key: str) -> dict[str, bytes]:
        rows = self._db.execute("SELECT part, data FROM state_parts WHERE key = ?", (key,))
        return {part: bytes(data) for part, data in rows}

    def state_keys(self, prefix: str) -> list[str]:
        rows = self._db.execute("SELECT DISTINCT key FROM state_parts WHERE substr(key, 1, ?) = ? ORDER BY key",
                                (len(prefix), prefix))
        return [key for (key,) in rows]

    # -- reads -----------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchPage:
        languages = [query.language] if query.language else self.languages()
        words = query_words(query.text, languages)
        if not words:
            return SearchPage(0, [], query.page, query.size)
        rows = self._best_matches(_fts_query(words), _fts_query(words, "AND"), query)
        if phrases := query_phrases(query.text, languages):
            rows = self._phrases_first(rows, phrases)
        ranked = self._rank_events(rows, query.recency_boost)
        start = (query.page - 1) * query.size
        hits = []
        for event_id, score, best_rowid in ranked[start : start + query.size]:
            doc = self._event_doc(event_id)  # the stored JSON already has the hit's shape
            if doc is None:
                continue
            hits.append(SearchHit(
                event_id=doc["event_id"], title=doc["title"], article_ids=doc["article_ids"], score=round(score, 4),
                article_count=len(doc["article_ids"]), sources=doc["sources"], first_seen=doc["first_seen"],
                last_seen=doc["last_seen"], keywords=doc["keywords"], snippet=self._snippet(words, best_rowid, doc["title"]),
            ))
        return SearchPage(len(ranked), hits, query.page, query.size)

    def _best_matches(self, any_words: str, all_words: str, query: SearchQuery) -> list[tuple[str, float, int]]:
        """(event id, BM25, article rowid) of the best `MAX_MATCHES` articles among those scored.

        FTS5 cannot skip scoring a match, so the work of a query grows with the number
        of articles its words occur in; `SCORE_BUDGET` bounds it by scoring the newest
        matches only (rowid order is indexing order, which FTS5 walks without sorting).
        For several words, half the budget goes to articles with every word, so a rare
        word next to a common one ("Putin call") still finds its older full matches, and
        half to articles with any of them. Both sets are scored over the same words, so
        their BM25 values compare. Filters are applied before the cut, so they never hide
        an older match that passes them.
        """
        filters, params = [], []
        for clause, value in (
            ("a.source = ?", query.source),
            ("a.language = ?", query.language),
            ("EXISTS (SELECT 1 FROM json_each(a.doc, '$.subjects') WHERE value = ?)", query.subject),
            ("a.published >= ?", query.date_from and query.date_from.astimezone(timezone.utc).isoformat()),
            ("a.published <= ?", query.date_to and query.date_to.astimezone(timezone.utc).isoformat()),
        ):
            if value:
                filters.append(clause)
                params.append(value)
        # The articles table is joined before the cut only when a filter needs it: a
        # lookup per scored match costs half as much as scoring it.
        scored = (
            "SELECT * FROM (SELECT article_terms.rowid AS id, -bm25(article_terms, 3.0, 1.0, 3.0) AS score FROM article_terms"
            + (" JOIN articles a ON a.rowid = article_terms.rowid" if filters else "")
            + " WHERE article_terms MATCH ?" + "".join(f" AND {clause}" for clause in filters)
            + " ORDER BY article_terms.rowid DESC LIMIT ?)"
        )
        if all_words == any_words:  # one word
            sets, args = [scored], [any_words, *params, self.score_budget]
        else:  # the budget is shared, so the cost stays that of one set
            half = max(self.score_budget // 2, 1)
            sets, args = [scored, scored], [all_words, *params, half, any_words, *params, half]
        return self._db.execute(
            f"SELECT a.event_id, best.score, best.id FROM (SELECT id, score FROM ({' UNION '.join(sets)})"
            " ORDER BY score DESC, id LIMIT ?) AS best JOIN articles a ON a.rowid = best.id",
            [*args, MAX_MATCHES],
        ).fetchall()

    def _phrases_first(self, rows: list[tuple[str, float, int]],
                       phrases: list[tuple[str, ...]]) -> list[tuple[str, float, int]]:
        """`rows` with the articles whose title holds one of `phrases` ranked first (`phrase_first`).

        Only the matches' range of rowids is read, and nothing is scored: an article that
        holds a phrase holds the query's words, so it is among the matches already.
        """
        if not rows:
            return rows
        rowids = [rowid for _, _, rowid in rows]
        held = {rowid for (rowid,) in self._db.execute(
            "SELECT rowid FROM article_terms WHERE article_terms MATCH ? AND rowid BETWEEN ? AND ?",
            (_fts_phrases(phrases), min(rowids), max(rowids)))}
        scores = phrase_first([score for _, score, _ in rows], [rowid in held for rowid in rowids])
        return [(event_id, score, rowid) for (event_id, _, rowid), score in zip(rows, scores)]

    def languages(self) -> list[str]:
        """The languages of the articles indexed (a query is analysed in each)."""
        return [language for (language,) in self._db.execute("SELECT language FROM languages")]

    def _snippet(self, words: list[QueryWord], rowid: int, fallback: str) -> str:
        """The highlighted passage of one article; built only for the hits shown."""
        row = self._db.execute(f"SELECT {_STORED_TEXT} FROM articles WHERE rowid = ?", (rowid,)).fetchone()
        if row is None:
            return html.escape(fallback)
        language, title, text, headlines = row
        return snippet(title or "", text or "", language, words, fallback, json.loads(headlines) if headlines else ())

    def _rank_events(self, rows: list[tuple[str, float, int]], recency_boost: float) -> list[tuple[str, float, int]]:
        """Event score: its best article's BM25, plus a little for each further match.

        The log bonus lets an event that many outlets covered outrank a single
        article with the same best score, without letting volume beat relevance.
        """
        best: dict[str, tuple[float, int]] = {}
        matches: dict[str, int] = {}
        for event_id, score, rowid in rows:
            matches[event_id] = matches.get(event_id, 0) + 1
            if event_id not in best or score > best[event_id][0]:
                best[event_id] = (score, rowid)
        scored = []
        newest = self._newest_by_event(best) if recency_boost else {}
        now = max(newest.values(), default=None)
        for event_id, (score, rowid) in best.items():
            score *= 1.0 + 0.25 * math.log(matches[event_id])
            if recency_boost and now and newest.get(event_id):
                age_days = (now - newest[event_id]).total_seconds() / 86400
                score *= 1.0 + recency_boost * math.exp(-age_days / 7.0)
            scored.append((event_id, score, rowid))
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored

    def _newest_by_event(self, event_ids: Iterable[str]) -> dict[str, datetime]:
        """Each event's newest article date, read in one statement per `IN` chunk, not one per event."""
        rows = self._rows_for_ids("SELECT event_id, last_seen FROM events WHERE event_id IN ({ids})", event_ids)
        return {event_id: datetime.fromisoformat(last_seen) for event_id, last_seen in rows if last_seen}

    def get_event(self, event_id: str) -> Event | None:
        doc = self._event_doc(event_id)
        return event_from_doc(doc) if doc else None

    def _stored_event(self, event_id: str) -> Event | None:
        """The event stored under exactly this id (not an alias)."""
        row = self._db.execute("SELECT doc FROM events WHERE event_id = ?", (event_id,)).fetchone()
        return event_from_doc(json.loads(row[0])) if row else None

    def _event_doc(self, event_id: str) -> dict[str, Any] | None:
        """The stored event (`Event.to_json()` shape), by id or alias."""
        row = self._db.execute(
            "SELECT doc FROM events WHERE event_id = COALESCE((SELECT event_id FROM event_aliases WHERE alias = ?), ?)",
            (event_id, event_id),
        ).fetchone()
        return json.loads(row[0]) if row else None

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT doc FROM articles WHERE id = ? AND event_id != ''", (article_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def articles_of_event(self, event_id: str) -> list[dict[str, Any]]:
        event = self.get_event(event_id)
        if event is None:
            return []
        rows = self._db.execute(
            "SELECT doc FROM articles WHERE event_id = ? ORDER BY published, id", (event.event_id,)
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def counts(self) -> dict[str, int]:
        return {
            # A withdrawn article's tombstone (no event) is not an article.
            "articles": self._db.execute("SELECT COUNT(*) FROM articles WHERE event_id != ''").fetchone()[0],
            "events": self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0],
        }

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN … COMMIT, rolled back on error, for a connection in autocommit mode."""
        with _unwritable_as_unavailable(self.path):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                # SQLite has already rolled back after some errors (a full disk, an I/O error).
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise


@contextlib.contextmanager
def _unwritable_as_unavailable(path: Path) -> Iterator[None]:
    """Raise a write the file cannot take now as `BackendUnavailable`: the run stops with
    what a re-run needs, as for an Elasticsearch node that does not answer."""
    try:
        yield
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF not in _UNWRITABLE:
            raise
        raise BackendUnavailable(f"could not write the embedded index {path}: {error}") from error
