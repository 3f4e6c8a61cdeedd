"""A page is found by the words of any headline it states, and a title that holds the
query's words in order ranks first: on both backends, over pages `newsbeam ingest` reads
from a folder of `.html` files as a user's saved pages are."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ingest, ingested

from newsbeam.connectors.sinks import IndexBackend, SearchQuery
from newsbeam.connectors.sinks.select import BackendSettings, open_backend

#: The headline shared on social networks and the one on the page differ; the page's own
#: headline (`<h1>`) is in no paragraph of the text.
HARBOUR = {
    "language": "en",
    "og_title": "Council approves harbour budget after a long night",
    "h1": "Lantern parade returns to the old quay",
    "paragraphs": (
        "The town council approved next year's harbour budget shortly before dawn, after a debate that ran for nine hours.",
        "Money for dredging the channel and repairing the breakwater was the largest item, and the fishermen's association welcomed it.",
        "Councillors also agreed to keep the ferry fares unchanged for another season.",
    ),
}
#: The film page's title starts with the query's words; the others hold "American" too,
#: so its English stem is common, and the Italian page holds the stem "american" of
#: "americani", rare among the few Italian pages.
FILM = {
    "language": "en",
    "og_title": "What an American Crime Film Can Teach About Doing What Is Right, Not What Is Easy",
    "h1": "",
    "paragraphs": (
        "In the business world, decisions between right and wrong take on innumerable shapes for owners and clients.",
        "A courtroom drama from the seventies shows a lawyer who refuses a bribe although it would have saved his firm.",
        "Its lesson for managers is that integrity is a habit formed in small choices long before the big ones.",
    ),
}
OTHERS = [
    {"language": "en", "og_title": "Farmers count losses after the drought", "h1": "", "paragraphs": (
        "American farmers in the plains states lost much of the wheat harvest to the summer drought.",
        "The agriculture department promised emergency loans and said insurance claims had doubled.",
    )},
    {"language": "en", "og_title": "Orchestra opens its winter season", "h1": "", "paragraphs": (
        "The orchestra opened its season with an American symphony that had not been played in the city for decades.",
        "The conductor said the programme would also include two premieres by young composers.",
    )},
    {"language": "en", "og_title": "Airline orders forty new jets", "h1": "", "paragraphs": (
        "The airline ordered forty narrow-body jets from an American manufacturer to replace its ageing fleet.",
        "Deliveries are to begin in three years, and the order includes options for twenty more aircraft.",
    )},
    {"language": "it", "og_title": "Gli americani scelgono il nuovo Congresso", "h1": "", "paragraphs": (
        "Milioni di elettori si sono recati alle urne martedì per rinnovare la Camera e un terzo del Senato.",
        "I sondaggi indicano una corsa molto serrata in una decina di stati decisivi.",
    )},
]


def page_html(page: dict) -> str:
    """A news page stating `og_title` for sharing and as its tab title, and `h1` (if any) on the page."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in page["paragraphs"])
    title = html.escape(page["og_title"])
    heading = f"<h1>{html.escape(page['h1'])}</h1>" if page["h1"] else ""
    return f"""<!doctype html>
<html lang="{page["language"]}"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:title" content="{title}"></head>
<body><article>{heading}
{body}
</article></body></html>
"""


@pytest.fixture(scope="module", params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.integration)])
def pages_index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexBackend]:
    folder = tmp_path_factory.mktemp("headline-pages") / "pages"
    folder.mkdir()
    for name, page in [("harbour", HARBOUR), ("film", FILM), *((f"other{i}", p) for i, p in enumerate(OTHERS))]:
        (folder / f"{name}.html").write_text(page_html(page), encoding="utf-8")
    es_url = request.getfixturevalue("es_url") if request.param == "elasticsearch" else None
    with ingested(folder, tmp_path_factory.mktemp("headline-index"), es_url) as backend:
        yield backend


def test_a_title_holding_the_query_in_order_ranks_first(pages_index: IndexBackend) -> None:
    hits = pages_index.search(SearchQuery("What an American")).hits
    assert hits and "pages/film" in hits[0].article_ids, [h.title for h in hits]


def test_the_words_in_order_match_no_more_articles_than_the_words(pages_index: IndexBackend) -> None:
    assert pages_index.search(SearchQuery("What an American")).total == pages_index.search(SearchQuery("American")).total


def test_a_page_is_found_by_the_headline_it_shows_when_it_shares_another(pages_index: IndexBackend) -> None:
    hits = pages_index.search(SearchQuery("Lantern parade returns")).hits
    assert hits and hits[0].article_ids == ["pages/harbour"], [h.title for h in hits]
    assert hits[0].title == HARBOUR["og_title"]  # the title stays the one it shares
    assert hits[0].snippet == "<mark>Lantern</mark> <mark>parade</mark> <mark>returns</mark> to the old quay"
    stored = pages_index.get_article("pages/harbour")
    assert stored["title"] == HARBOUR["og_title"] and stored["headlines"] == [HARBOUR["h1"]]
    assert "headlines" not in pages_index.get_article("pages/other0")  # one headline: nothing else to store


def test_an_embedded_index_without_a_headlines_column_is_reindexed_on_open(tmp_path: Path) -> None:
    """An index of layout 3 (title and text terms only) opens with its articles' headlines searchable."""
    import sqlite3

    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "harbour.html").write_text(page_html(HARBOUR), encoding="utf-8")
    settings = BackendSettings(data_dir=tmp_path / "index")
    ingest(folder, settings)
    db = sqlite3.connect(settings.data_dir / "index.sqlite3")
    db.executescript("DROP TABLE article_terms; CREATE VIRTUAL TABLE article_terms USING fts5(title, text, content = '',"
                     " tokenize = \"ascii tokenchars ':'\"); PRAGMA user_version = 3;")
    db.close()
    backend = open_backend(settings)
    try:
        hits = backend.search(SearchQuery("Lantern parade")).hits
        assert [h.article_ids for h in hits] == [["pages/harbour"]]
        assert backend.search(SearchQuery("harbour budget")).total == 1  # title and text too
    finally:
        backend.close()
