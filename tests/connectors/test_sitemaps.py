"""Sitemaps against the local server: index, gzip, Google News, `since`, incremental runs."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.sitemaps import iter_sitemap_records, parse_sitemap
from newsbeam.connectors.state import ConnectorState, ListingCheckpoint, RunMemory
from newsbeam.schemas import DeadLetter, RecordError


@pytest.fixture
def state():
    store = ConnectorState()
    yield store
    store.close()


def run(url, fetcher, state, since=None):
    """One run as the pipeline makes it: read everything, then commit the checkpoints."""
    memory = RunMemory(state, uuid.uuid4().hex, "test")
    outputs = list(iter_sitemap_records(url, since=since, fetcher=fetcher, memory=memory))
    state.commit(o for o in outputs if isinstance(o, ListingCheckpoint))
    return ([o for o in outputs if isinstance(o, RawRecord)], [o for o in outputs if isinstance(o, DeadLetter)])


def test_index_with_gzipped_news_sitemap_and_since(web, fetcher, state):
    web.serve_fixtures()
    since = datetime(2026, 3, 1, tzinfo=timezone.utc)
    records, letters = run(web.url("/sitemaps/index.xml"), fetcher, state, since)
    assert letters == []
    assert sorted(r.data["title"] for r in records) == ["Council backs covered market in old tram depot",
                                                       "Harbour reopens after storm repairs"]
    assert all(r.data["source"] == "Riverside Gazette" for r in records)
    council = next(r for r in records if "Council" in r.data["title"])
    assert council.data["published"] == "2026-03-03T19:45:00+00:00"
    requested = web.paths_requested()
    assert "/sitemaps/archive-2019.xml" not in requested  # its lastmod is before `since`
    assert "/pages/bakery.html" not in requested  # published before `since`


def test_without_since_everything_is_read_once(web, fetcher, state):
    web.serve_fixtures()
    records, letters = run(web.url("/sitemaps/index.xml"), fetcher, state)
    assert [l.reason for l in letters] == ["http_404"]  # old-2019.html is gone
    assert len(records) == 3
    again, letters = run(web.url("/sitemaps/index.xml"), fetcher, state)
    assert again == [] and letters == []


def test_plain_sitemap_entry_without_date_is_kept(web, fetcher, state):
    web.serve_fixtures()
    records, _ = run(web.url("/sitemaps/plain.xml"), fetcher, state, datetime(2026, 3, 5, tzinfo=timezone.utc))
    assert sorted(r.data["title"] for r in records) == ["Library to stay open late on weekdays",
                                                       "Swing bridge to close for three weeks"]


def test_gzip_bomb_sitemap_is_too_large(web, fetcher, state):
    import gzip

    web.add("/bomb.xml.gz", gzip.compress(b" " * (20 * 1024 * 1024)), content_type="application/gzip")
    _, letters = run(web.url("/bomb.xml.gz"), fetcher, state)
    assert [l.reason for l in letters] == ["too_large"]


def test_a_sitemap_url_answering_an_image_says_what_it_was_served_as(web, fetcher, state):
    url = web.add("/sitemap.xml", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, content_type="image/png")
    records, [letter] = run(url, fetcher, state)
    assert records == [] and letter.reason == "malformed_sitemap" and "served as 'image/png'" in letter.detail


def test_self_referencing_index_is_bounded(web, fetcher, state):
    web.add("/loop-index.xml", '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{web.url('/loop-index.xml')}</loc></sitemap></sitemapindex>", content_type="text/xml")
    _, letters = run(web.url("/loop-index.xml"), fetcher, state)
    assert [l.reason for l in letters] == ["too_deep"]


@pytest.mark.parametrize("body", [b"", b"<html><body>hi</body></html>", b"<urlset><url><loc>x</loc>"])
def test_malformed_sitemaps(body):
    with pytest.raises(RecordError) as caught:
        list(parse_sitemap(body))
    assert caught.value.reason == "malformed_sitemap"


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("http://leaked.example/")
    body = (f'<!DOCTYPE u [<!ENTITY e SYSTEM "{secret.as_uri()}">]>'
            '<urlset><url><loc>&e;</loc></url></urlset>').encode()
    assert list(parse_sitemap(body)) == []


def test_a_page_in_two_sitemaps_is_read_once_and_nothing_is_marked_before_the_commit(web, fetcher, state):
    web.serve_fixtures()
    children = "".join(f"<sitemap><loc>{web.url(path)}</loc></sitemap>"
                       for path in ("/sitemaps/plain.xml", "/again.xml"))
    web.add("/both.xml", f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}</sitemapindex>',
            content_type="text/xml")
    web.add("/again.xml", web.fixture("sitemaps/plain.xml"), content_type="text/xml")
    outputs = list(iter_sitemap_records(web.url("/both.xml"), fetcher=fetcher, memory=RunMemory(state, "r1", "s")))
    assert len([o for o in outputs if isinstance(o, RawRecord)]) == 2
    # Not committed (the run failed): the next run reads both pages again.
    records, _ = run(web.url("/both.xml"), fetcher, state)
    assert len(records) == 2
    assert run(web.url("/both.xml"), fetcher, state)[0] == []
