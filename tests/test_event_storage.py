"""Both backends store an event the same way: the pipeline's view merged with what is stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from backend_corpus import article, event_of
from backend_corpus import store as store_event
from es_node import fresh_prefix

from newsbeam.connectors.sinks import BackendSettings, IndexBackend, open_backend


@pytest.fixture(params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.integration)])
def backend(request, tmp_path) -> Iterator[IndexBackend]:
    if request.param == "embedded":
        store = open_backend(BackendSettings(data_dir=tmp_path))
        yield store
        store.close()
        return
    es_url = request.getfixturevalue("es_url")
    with fresh_prefix(es_url) as prefix:
        store = open_backend(BackendSettings(data_dir=tmp_path, es_url=es_url, es_index_prefix=prefix))
        yield store
        store.close()


def _stored(backend: IndexBackend, event_id: str):
    if hasattr(backend, "refresh"):
        backend.refresh()
    return backend.get_event(event_id)


def test_a_replayed_or_older_view_never_repeats_or_drops_an_article(backend):
    a, b, c = (article(x, f"Title {x}", f"Text of {x}", event="evt-1") for x in "abc")
    backend.write_articles([a, b, c])
    backend.write_events([event_of("evt-1", [a, b])])
    backend.write_events([event_of("evt-1", [a])])  # an older view, from a writer that fell behind
    backend.write_events([event_of("evt-1", [a, b, c])])
    backend.write_events([event_of("evt-1", [a, b, c])])  # the same view again, as a replay writes it
    assert _stored(backend, "evt-1").article_ids == ["a", "b", "c"]


def test_an_absorbed_event_moves_its_articles_into_the_survivor(backend):
    a, b = article("a", "Title a", "Text a", event="evt-1"), article("b", "Title b", "Text b", event="evt-2")
    backend.write_articles([a, b])
    backend.write_events([event_of("evt-1", [a]), event_of("evt-2", [b])])
    backend.write_events([event_of("evt-1", [a], aliases=["evt-2"])])  # the clusterer merged evt-2 into evt-1
    survivor = _stored(backend, "evt-1")
    assert survivor.article_ids == ["a", "b"] and survivor.aliases == ["evt-2"]
    assert _stored(backend, "evt-2").event_id == "evt-1"
    assert backend.get_article("b")["event_id"] == "evt-1"


def test_the_embedded_index_withdraws_from_an_event_larger_than_sqlites_variable_limit(tmp_path):
    """Every `IN (...)` list is asked in parts: a kill in an event of more articles than one
    statement may bind still reads the event's other articles, and a batch of kills their events."""
    import sqlite3
    from dataclasses import replace

    from newsbeam.connectors.sinks import IndexedArticle
    from newsbeam.connectors.sinks.sqlite import SqliteBackend

    embedded = SqliteBackend(tmp_path)
    limit = 16  # above the 9 variables of an article's upsert, below the event's 40 articles
    embedded._db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    try:
        members = [article(f"w{i:02d}", f"Harbour story {i}", f"Text of story {i}", source=f"s{i % 3}.example")
                   for i in range(40)]
        members = [replace(m, article=replace(m.article, version=1)) for m in members]
        store_event(embedded, "evt-big", members)
        assert len(embedded.known_article_ids(m.article.id for m in members)) == 40

        def kill(item: IndexedArticle) -> IndexedArticle:
            return IndexedArticle(replace(item.article, version=2, pubstatus="canceled"), "")

        assert embedded.write_articles([kill(members[0])]) == []
        event = embedded.get_event("evt-big")
        assert event.article_ids == [m.article.id for m in members[1:]]
        assert (event.representative_id, event.title) == ("w01", "Harbour story 1")
        assert embedded.write_articles([kill(m) for m in members[1:]]) == []
        assert embedded.get_event("evt-big") is None
        assert embedded.counts()["articles"] == 0
    finally:
        embedded.close()
