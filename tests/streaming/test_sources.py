"""The feed poller against a local site: new items, conditional GET, broken feeds."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from newsbeam.connectors.records import RawRecord
from newsbeam.pipelines.runners import RunnerSettings
from feedserver import LOCAL_FETCH

from newsbeam.connectors.feeds.lists import load_feed_list
from newsbeam.pipelines.streaming_sources import FeedPoller, Validators
from newsbeam.schemas import DeadLetter


def test_poll_extracts_pages_and_honours_etag(news_site):
    site = news_site(total=3)
    site.publish_now(3)
    poller = FeedPoller(LOCAL_FETCH)
    try:
        first = poller.poll(site.feed_url)
        assert not first.not_modified and first.validators[site.feed_url].etag
        assert all(isinstance(item, RawRecord) for item in first.items) and len(first.items) == 3
        record = first.items[0]
        # The feed has a 120-character teaser; the text comes from the page.
        assert len(record.data["text"]) > 400 and record.data["source"]
        assert record.data["published"]
        assert poller.poll(site.feed_url, first.validators).not_modified
        skipped = poller.poll(site.feed_url, skip=[r.origin for r in first.items[:2]])
        assert [r.origin for r in skipped.items] == [first.items[2].origin]
    finally:
        poller.close()


@pytest.fixture
def home_page():
    """A site's home page on its own server, announcing a feed by <link rel="alternate">."""
    announced: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = ("<!DOCTYPE html><html><head><title>Local Gazette</title>"
                    f'<link rel="alternate" type="application/rss+xml" href="{announced[0]}"></head>'
                    "<body><h1>Local Gazette</h1></body></html>").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def serve(feed_url: str) -> str:
        announced.append(feed_url)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    server.shutdown()
    server.server_close()


def test_poll_of_a_home_page_reads_the_feed_it_announces(news_site, home_page):
    site = news_site(total=3)
    site.publish_now(3)
    home = home_page(site.feed_url)
    poller = FeedPoller(LOCAL_FETCH)
    try:
        first = poller.poll(home)
        assert all(isinstance(item, RawRecord) for item in first.items), first.items
        assert sorted(r.origin for r in first.items) == sorted(site.link(i) for i in site.items)
        assert all(len(r.data["text"]) > 400 for r in first.items)  # from the pages, not the teasers
        # The home page has no validators of its own; the feed it announces keeps its own.
        assert list(first.validators) == [site.feed_url] and not first.not_modified
        again = poller.poll(home, first.validators, skip=[r.origin for r in first.items])
        assert again.items == [] and site.feed_requests == [None, first.validators[site.feed_url].etag]
    finally:
        poller.close()


@pytest.fixture
def broken_server():
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            status, body = (500, b"oops") if self.path == "/500" else (200, b"<html>not a feed at all")
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_broken_feeds_become_dead_letters(broken_server):
    poller = FeedPoller(LOCAL_FETCH)
    try:
        for path, reason in (("/500", "http_500"), ("/garbage", "malformed_feed")):
            result = poller.poll(broken_server + path, {broken_server + path: Validators("kept")})
            assert [type(i) for i in result.items] == [DeadLetter] and result.items[0].reason == reason
        refused = poller.poll("http://127.0.0.1:9/feed.xml")
        assert refused.items[0].reason in {"connect_error", "robots_unreachable"}
    finally:
        poller.close()


def test_source_list_skips_comments_and_blanks(tmp_path):
    path = tmp_path / "feeds.txt"
    path.write_text("# outlets\nhttps://a.example/rss\n\n  https://b.example/atom\n")
    assert load_feed_list(path) == ["https://a.example/rss", "https://b.example/atom"]


def test_unknown_runner_is_refused():
    with pytest.raises(ValueError, match="unknown runner"):
        RunnerSettings(runner="storm")


def test_a_stream_outlives_the_job_servers_default_deadline():
    """Beam reads a portable job's state stream with the job-server timeout as its gRPC
    deadline: 300 s by default, after which `newsbeam run` died mid-stream."""
    from apache_beam.options.pipeline_options import PortableOptions

    from newsbeam.pipelines.runners import runner_session

    with runner_session(RunnerSettings(runner="direct", streaming=True)) as options:
        assert options.view_as(PortableOptions).job_server_timeout >= 365 * 86400
    with runner_session(RunnerSettings(runner="direct", streaming=True, extra_args=("--job_server_timeout=60",))) as options:
        assert options.view_as(PortableOptions).job_server_timeout == 60  # a user's own choice wins
    with runner_session(RunnerSettings(runner="direct")) as options:
        assert options.view_as(PortableOptions).job_server_timeout == 300  # batch jobs keep Beam's default
