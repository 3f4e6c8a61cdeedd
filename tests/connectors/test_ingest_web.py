"""`newsbeam ingest --feeds/--sitemap` end to end into the embedded index, against the local server."""

from __future__ import annotations

import pytest

from newsbeam.connectors.sinks import BackendSettings, open_backend
from newsbeam.connectors.sinks.base import SearchQuery

pytestmark = pytest.mark.slow  # real politeness: one request a second to the test host


@pytest.fixture
def site(web, monkeypatch):
    web.serve_fixtures()
    monkeypatch.setenv("NEWSBEAM_ALLOW_LOOPBACK", "1")
    return web


def index_counts(data_dir):
    backend = open_backend(BackendSettings(data_dir=data_dir))
    try:
        return backend.counts(), backend.search(SearchQuery(text="harbour breakwater", size=1)).hits
    finally:
        backend.close()


def test_ingest_feeds_then_nothing_new(site, newsbeam, tmp_path):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"# local\n{site.url('/feeds/rss2.xml')}\n")
    data_dir = tmp_path / "data"
    first = newsbeam("ingest", "--feeds", str(feeds), "--data-dir", str(data_dir))
    assert "articles indexed 3" in first.output, first.output
    counts, hits = index_counts(data_dir)
    assert counts["articles"] == 3 and hits and hits[0].title == "Harbour reopens after storm repairs"

    before = len(site.requests)
    second = newsbeam("ingest", "--feeds", str(feeds), "--data-dir", str(data_dir))
    assert "articles indexed 0" in second.output, second.output
    assert [path for path, _ in site.requests[before:]] == ["/robots.txt", "/feeds/rss2.xml"]


def test_ingest_sitemap_since(site, newsbeam, tmp_path):
    data_dir = tmp_path / "data"
    result = newsbeam("ingest", "--sitemap", site.url("/sitemaps/index.xml"), "--since", "2026-03-01",
                      "--data-dir", str(data_dir))
    assert "articles indexed 2" in result.output, result.output
    assert index_counts(data_dir)[0]["articles"] == 2


def test_ingest_needs_a_source(newsbeam):
    result = newsbeam("ingest", expect_exit=2)
    assert "--feeds" in result.output
