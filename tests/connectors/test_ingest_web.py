"""`newsbeam ingest --feeds/--sitemap` end to end into the embedded index, against the local server."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from contextlib import closing

import pytest
from crash_scenarios import run_cli

from newsbeam.connectors.sinks import BackendSettings, BackendUnavailable, open_backend
from newsbeam.connectors.sinks.base import SearchQuery
from newsbeam.connectors.sinks.sqlite import INDEX_FILE, SqliteBackend
from newsbeam.pipelines import faults

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
    site.add("/feeds/rss2.xml", site.fixture("feeds/rss2.xml"), content_type="application/rss+xml", etag='"v1"')
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
    assert site.requests[-1][1].get("if-none-match") == '"v1"'  # the feed answered 304


def indexed(data_dir) -> tuple[list[str], Counter]:
    """The ids of the articles in the index, and how often the events name each article."""
    with closing(sqlite3.connect(data_dir / INDEX_FILE)) as db:
        articles = [row[0] for row in db.execute("SELECT id FROM articles")]
        events = [json.loads(doc) for (doc,) in db.execute("SELECT doc FROM events")]
    return articles, Counter(article for event in events for article in event["article_ids"])


def test_failed_index_write_loses_nothing_and_the_rerun_doubles_nothing(site, newsbeam, tmp_path, monkeypatch):
    site.add("/feeds/rss2.xml", site.fixture("feeds/rss2.xml"), content_type="application/rss+xml", etag='"v1"')
    feeds = tmp_path / "feeds.txt"
    # The feed, and the home page that announces it: one run reads the feed twice.
    feeds.write_text(f"{site.url('/feeds/rss2.xml')}\n{site.url('/home.html')}\n")
    data_dir = tmp_path / "data"

    def unavailable(self, articles):
        raise BackendUnavailable("the index went away mid-run")

    with monkeypatch.context() as patch:
        patch.setattr(SqliteBackend, "write_articles", unavailable)
        failed = newsbeam("ingest", "--feeds", str(feeds), "--data-dir", str(data_dir), expect_exit=1)
    assert "Re-run the same command to finish" in failed.output, failed.output
    pages = [path for path in site.paths_requested() if path.startswith("/pages/")]
    assert sorted(pages) == ["/pages/council.html", "/pages/harbour.html", "/pages/library.html"]

    before = len(site.requests)
    rerun = newsbeam("ingest", "--feeds", str(feeds), "--data-dir", str(data_dir))
    assert "articles indexed 3" in rerun.output, rerun.output
    assert all(headers.get("if-none-match") is None for path, headers in site.requests[before:]
               if path == "/feeds/rss2.xml")
    articles, in_events = indexed(data_dir)
    assert len(articles) == 3
    assert in_events == Counter(articles)  # every article in exactly one event, named once

    before = len(site.requests)
    third = newsbeam("ingest", "--feeds", str(feeds), "--data-dir", str(data_dir))
    assert "articles indexed 0" in third.output, third.output
    sent = site.requests[before:]
    assert not any(path.startswith("/pages/") for path, _ in sent)
    assert [headers.get("if-none-match") for path, headers in sent if path == "/feeds/rss2.xml"] == ['"v1"'] * 2


def test_ingest_sitemap_since(site, newsbeam, tmp_path):
    data_dir = tmp_path / "data"
    result = newsbeam("ingest", "--sitemap", site.url("/sitemaps/index.xml"), "--since", "2026-03-01",
                      "--data-dir", str(data_dir))
    assert "articles indexed 2" in result.output, result.output
    assert index_counts(data_dir)[0]["articles"] == 2


def test_ingest_needs_a_source(newsbeam):
    result = newsbeam("ingest", expect_exit=2)
    assert "--feeds" in result.output


@pytest.mark.parametrize("crash_at", faults.POINTS)
def test_a_crash_at_each_commit_step_is_repaired_by_the_rerun(site, newsbeam, tmp_path, crash_at):
    site.add("/feeds/rss2.xml", site.fixture("feeds/rss2.xml"), content_type="application/rss+xml", etag='"v1"')
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{site.url('/feeds/rss2.xml')}\n")
    data_dir = tmp_path / "data"
    crashed = run_cli("ingest", "--feeds", str(feeds), "--data-dir", str(data_dir), env={faults.ENVIRONMENT: crash_at})
    assert crashed.exit_code != 0 and "injected crash" in str(crashed.exception), crashed.output

    newsbeam("ingest", "--feeds", str(feeds), "--data-dir", str(data_dir))
    articles, in_events = indexed(data_dir)
    assert len(articles) == 3
    assert in_events == Counter(articles)  # every article in exactly one event, named once

    before = len(site.requests)
    settled = newsbeam("ingest", "--feeds", str(feeds), "--data-dir", str(data_dir))
    assert "articles indexed 0" in settled.output, settled.output
    assert not any(path.startswith("/pages/") for path, _ in site.requests[before:])
