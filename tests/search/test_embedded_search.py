"""The embedded index's search: ranking, filters, paging and the bound on scoring work.

The same cases as tests/elasticsearch/test_backend.py, so both stores are held to one
meaning of a query.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from backend_corpus import T0, article, check_filters, check_member_text_matches, check_paging, store, store_news

from newsbeam.connectors.sinks import SearchQuery
from newsbeam.connectors.sinks.sqlite import SqliteBackend


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> SqliteBackend:
    backend = SqliteBackend(tmp_path_factory.mktemp("news"))
    store_news(backend)
    yield backend
    backend.close()


def test_search_ranks_the_matching_event_first_with_highlights(news: SqliteBackend) -> None:
    page = news.search(SearchQuery("Putin phone call"))
    assert page.total == 2  # the drone event's article mentions Putin and a phone too
    top = page.hits[0]
    assert top.event_id == "ev-call" and top.article_count == 2
    assert top.article_ids == ["p1", "p2"] and top.sources == ["a.example", "b.example"]
    assert top.first_seen == T0.isoformat() and top.last_seen == (T0 + timedelta(hours=3)).isoformat()
    assert "<mark>" in top.snippet and "</mark>" in top.snippet
    assert page.hits[0].score > page.hits[1].score


def test_a_title_match_outweighs_the_same_word_in_the_text(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path)
    try:
        store(backend, "ev-text", [article("x1", "Air raid over the coast", "Bombers flew at night over the coast")])
        store(backend, "ev-title", [article("x2", "Bombers flew at night", "Air raid over the coast")])
        for i in range(4):  # words in every article weigh nothing in BM25
            store(backend, f"ev-other-{i}", [article(f"o{i}", "Harbour news", "Ferries ran late")])
        hits = backend.search(SearchQuery("bombers")).hits
        assert [h.event_id for h in hits] == ["ev-title", "ev-text"] and hits[0].score > hits[1].score
    finally:
        backend.close()


def test_search_matches_member_article_text(news: SqliteBackend) -> None:
    check_member_text_matches(news)


def test_search_filters(news: SqliteBackend) -> None:
    check_filters(news)


def test_search_pages_without_overlap(news: SqliteBackend) -> None:
    check_paging(news)


def test_a_query_without_words_finds_nothing(news: SqliteBackend) -> None:
    assert news.search(SearchQuery("!!! ---")).total == 0


def test_scoring_is_bounded_to_the_newest_matches_after_filters(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path)
    try:
        for i in range(6):
            store(backend, f"ev-vote-{i}", [article(f"v{i}", f"Vote count {i}", "votes", source="old.example" if i < 2 else "new.example")])
        backend.score_budget = 3
        page = backend.search(SearchQuery("vote"))
        assert sorted(h.event_id for h in page.hits) == ["ev-vote-3", "ev-vote-4", "ev-vote-5"]
        assert page.total == 3
        # A filter narrows the matches before the cut, so older matches that pass it are found.
        filtered = backend.search(SearchQuery("vote", source="old.example"))
        assert sorted(h.event_id for h in filtered.hits) == ["ev-vote-0", "ev-vote-1"]
    finally:
        backend.close()


def test_articles_with_every_word_are_scored_however_old(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path)
    try:
        store(backend, "ev-old", [article("old", "Putin on the vote", "Putin commented on the vote")])
        for i in range(5):
            store(backend, f"ev-vote-{i}", [article(f"v{i}", f"Vote count {i}", "votes")])
        backend.score_budget = 4  # 2 for each set: the old article is not among the newest 2 with any word
        page = backend.search(SearchQuery("vote Putin"))
        assert page.hits[0].event_id == "ev-old"
        assert page.total == 3  # and the newest 2 with any word
    finally:
        backend.close()


def test_html_in_texts_is_escaped_in_snippets(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path)
    try:
        store(backend, "ev-html", [article("h1", "Budget", "<script>alert(1)</script> budget talks")])
        snippet = backend.search(SearchQuery("budget")).hits[0].snippet
        assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "<mark>budget</mark>" in snippet
    finally:
        backend.close()


def test_recency_reads_the_events_dates_in_one_statement_per_chunk(tmp_path: Path) -> None:
    """The recency boost reads the matched events' dates with an `IN` list asked in parts under the
    connection's variable limit, not one statement per event; the ranking is the same."""
    import sqlite3

    backend = SqliteBackend(tmp_path)
    try:
        events = 60
        for i in range(events):  # one text, so only recency orders them: the newest (highest i) first, not
            # the lowest id that breaks a tie
            store(backend, f"ev-final-{i:02d}", [article(f"f{i}", "Tennis final", "A tennis final was played",
                                                        at=T0 + timedelta(days=i))])
        for i in range(events):  # a word in every article would weigh nothing in BM25
            store(backend, f"ev-other-{i:02d}", [article(f"o{i}", "Harbour news", "Ferries ran late")])
        limit = 16
        backend._db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
        statements: list[str] = []
        backend._db.set_trace_callback(statements.append)
        page = backend.search(SearchQuery("tennis final", size=events, recency_boost=1.0))
        backend._db.set_trace_callback(None)
        assert [h.event_id for h in page.hits] == [f"ev-final-{i:02d}" for i in reversed(range(events))]
        reads = [s for s in statements if "last_seen FROM events" in s]
        assert len(reads) == -(-events // limit)
    finally:
        backend.close()
