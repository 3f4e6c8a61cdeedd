"""Search in ten languages, on both backends: a page is found by a title word with
another ending (a plural, a case ending), or for Chinese, Japanese and Korean by a
run of its headline's characters; accents and letter case do not matter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from multilingual_pages import PAGES, Page, write_pages
from support import ingest, ingested

from newsbeam.connectors.sinks import IndexBackend, SearchQuery
from newsbeam.connectors.sinks.select import BackendSettings, open_backend


@pytest.fixture(scope="module", params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.integration)])
def pages_index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexBackend]:
    """The ten pages, ingested by `newsbeam ingest FOLDER` into each backend."""
    folder = write_pages(tmp_path_factory.mktemp("multilingual") / "pages")
    es_url = request.getfixturevalue("es_url") if request.param == "elasticsearch" else None
    with ingested(folder, tmp_path_factory.mktemp("multilingual-index"), es_url) as backend:
        yield backend


def article_id(page: Page) -> str:
    return f"pages/{page.language}"


@pytest.mark.parametrize("page", PAGES, ids=[p.language for p in PAGES])
def test_a_title_word_with_another_ending_finds_its_page(pages_index: IndexBackend, page: Page) -> None:
    hits = pages_index.search(SearchQuery(page.query)).hits
    assert hits, f"{page.query!r} found nothing"
    assert article_id(page) in hits[0].article_ids, f"{page.query!r} found {[h.title for h in hits]}"
    assert "<mark>" in hits[0].snippet


@pytest.mark.parametrize("page", PAGES, ids=[p.language for p in PAGES])
def test_the_language_filter_keeps_the_page(pages_index: IndexBackend, page: Page) -> None:
    hits = pages_index.search(SearchQuery(page.query, language=page.language)).hits
    assert [h.title for h in hits] == [page.title]


@pytest.mark.parametrize("query, language", [
    ("STURME HAUSER", "de"),  # without umlauts, in capitals
    ("elections", "ru"),  # no Russian page has it: nothing, not a stray stem
    ("洪", "ja"),  # one character of a Japanese headline
    ("인공지능", "zh"),  # Korean for a Chinese headline's words: other characters, nothing
])
def test_accents_case_and_single_characters(pages_index: IndexBackend, query: str, language: str) -> None:
    hits = pages_index.search(SearchQuery(query)).hits
    expected = [f"pages/{language}"] if language in {"de", "ja"} else []
    assert [a for h in hits[:1] for a in h.article_ids] == expected


def test_a_word_shared_by_no_page_finds_nothing(pages_index: IndexBackend) -> None:
    assert pages_index.search(SearchQuery("giraffe")).total == 0


def test_pages_are_found_by_three_words_of_their_title(pages_index: IndexBackend) -> None:
    missed = []
    for page in PAGES:
        words = page.title.split()
        query = " ".join(words[1:4]) if len(words) > 3 else page.title[2:6]
        hits = pages_index.search(SearchQuery(query)).hits
        if not any(article_id(page) in h.article_ids for h in hits[:3]):
            missed.append((page.language, query))
    assert missed == []


def test_an_index_written_before_analysed_terms_is_migrated_on_open(tmp_path: Path) -> None:
    """An embedded index of layout 2 (FTS5 over the raw text) opens, re-indexed, and finds by stems."""
    import sqlite3

    settings = BackendSettings(data_dir=tmp_path / "old")
    ingest(write_pages(tmp_path / "pages"), settings)
    db = sqlite3.connect(settings.data_dir / "index.sqlite3")
    db.executescript("DROP TABLE article_terms; DROP TABLE languages;"
                     "CREATE VIRTUAL TABLE article_text USING fts5(title, text, tokenize = 'porter unicode61');"
                     "PRAGMA user_version = 2;")
    db.close()
    backend = open_backend(settings)
    try:
        hits = backend.search(SearchQuery("выборы закона")).hits
        assert hits and "pages/ru" in hits[0].article_ids
        assert backend.counts()["articles"] == len(PAGES)
    finally:
        backend.close()
