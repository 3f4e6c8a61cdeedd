"""Feeds end to end against the local server: formats, lists, discovery, incremental runs."""

from __future__ import annotations

import pickle
import uuid
from collections import Counter

import pytest

from newsbeam.connectors.feeds import FeedSettings, iter_feed_records, load_feed_list, parse_feed
from newsbeam.connectors.pages import PageSettings
from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.state import ConnectorState, ListingCheckpoint, RunMemory, Validators
from newsbeam.pipelines.normalize.record import normalize_record
from newsbeam.schemas import DeadLetter


@pytest.fixture
def state(tmp_path):
    store = ConnectorState(tmp_path / "state" / "connectors.sqlite3")
    yield store
    store.close()


def run(urls, fetcher, state, **settings) -> tuple[list[RawRecord], list[DeadLetter]]:
    """One run as the pipeline makes it: read everything, then commit the checkpoints."""
    memory = RunMemory(state, uuid.uuid4().hex, "test")
    outputs = list(iter_feed_records(urls, fetcher=fetcher, memory=memory, settings=FeedSettings(**settings)))
    state.commit(o for o in outputs if isinstance(o, ListingCheckpoint))
    return ([o for o in outputs if isinstance(o, RawRecord)], [o for o in outputs if isinstance(o, DeadLetter)])


def titles(records):
    return sorted(r.data["title"] for r in records)


def test_rss2_items_become_valid_articles(web, fetcher, state):
    web.serve_fixtures()
    records, letters = run([web.url("/feeds/rss2.xml")], fetcher, state)
    assert letters == []
    assert titles(records) == ["Council backs covered market in old tram depot", "Harbour reopens after storm repairs",
                               "Library to stay open late on weekdays"]
    harbour = next(r for r in records if "Harbour" in r.data["title"])
    assert harbour.data["published"] == "2026-03-02T08:30:00+00:00"  # the page's JSON-LD, near the feed's
    assert harbour.data["url"] == web.url("/pages/harbour.html") and harbour.data["language"] == "en"
    for record in records:
        article = normalize_record(record.data)
        assert article.text and article.published is not None


@pytest.mark.parametrize(
    "feed, expected",
    [("atom.xml", {"Winter ferry to Gull Island returns": "2026-03-05T06:00:00+00:00",
                   "Quay Street bakery wins regional bread prize": "2026-03-04T15:00:00+00:00"}),
     ("rdf.xml", {"Swing bridge to close for three weeks": "2026-03-05T11:20:00+00:00"}),
     ("rss091.xml", {"Library to stay open late on weekdays": "2026-03-04"})],
)
def test_atom_rdf_and_rss091(web, fetcher, state, feed, expected):
    web.serve_fixtures()
    records, letters = run([web.url(f"/feeds/{feed}")], fetcher, state)
    assert letters == []
    got = {r.data["title"]: r.data["published"] for r in records}
    assert set(got) == set(expected)
    for title, published in expected.items():
        assert got[title].startswith(published)


def test_atom_relative_links_and_authors(web):
    feed = parse_feed(web.fixture("feeds/atom.xml"), web.url("/feeds/atom.xml"), "application/atom+xml")
    ferry = feed.items[0]
    assert ferry.url == web.url("/pages/ferry.html") and ferry.authors == ("Olu Bakare",)
    assert feed.items[1].summary == "The rye loaf beat sixty entries."


def test_links_resolve_against_xml_base_then_the_feed_url():
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"
        xml:base="https://cdn.gazette.example/news/"><title>Gazette</title>
      <entry><id>a</id><title>Based</title><link href="ferry.html"/></entry>
      <entry xml:base="/sport/"><id>b</id><title>Nested</title><link href="match.html"/></entry></feed>"""
    assert [i.url for i in parse_feed(atom, "https://gazette.example/feed.atom").items] == [
        "https://cdn.gazette.example/news/ferry.html", "https://cdn.gazette.example/sport/match.html"]
    rss = b"""<rss version="2.0"><channel><title>Gazette</title>
      <item><title>Relative</title><link>/pages/harbour.html</link></item></channel></rss>"""
    assert [i.url for i in parse_feed(rss, "https://gazette.example/feeds/rss.xml").items] == [
        "https://gazette.example/pages/harbour.html"]


def test_malformed_and_recoverable_feeds(web, fetcher, state):
    web.serve_fixtures()
    records, letters = run([web.url("/feeds/broken.xml"), web.url("/feeds/entity.xml")], fetcher, state)
    assert [(l.reason, l.origin) for l in letters] == [("malformed_feed", web.url("/feeds/broken.xml"))]
    assert titles(records) == ["Harbour reopens after storm repairs"]


def test_a_feed_url_answering_nothing_or_not_a_feed_is_a_dead_letter(web, fetcher, state):
    empty = web.add("/feeds/empty.xml", b"", content_type="application/rss+xml")
    image = web.add("/feeds/logo", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, content_type="image/png")
    records, letters = run([empty, image], fetcher, state)
    assert records == []
    assert [(letter.reason, letter.origin) for letter in letters] == [("malformed_feed", empty), ("malformed_feed", image)]
    assert "served as 'image/png'" in letters[1].detail


def test_wrong_charset_feed(web, fetcher, state):
    text = web.fixture("feeds/rss091.xml").decode("iso-8859-1").replace("Library to", "Bibliothèque to")
    web.add("/mislabelled.xml", text.encode("cp1252").replace(b"ISO-8859-1", b"utf-8"),
            content_type="application/rss+xml; charset=utf-8")
    records, letters = run([web.url("/mislabelled.xml")], fetcher, state, pages=PageSettings(fetch_pages=False))
    assert letters == [] and titles(records) == ["Bibliothèque to stay open late on weekdays"]


def test_hard_pages_end_as_reasons_and_summaries_survive(web, fetcher, state):
    web.serve_fixtures()
    records, letters = run([web.url("/feeds/walls.xml")], fetcher, state)
    reasons = {l.origin.rsplit("/", 1)[1]: l.reason for l in letters}
    assert reasons == {"paywall.html": "paywalled", "consent.html": "blocked_page", "challenge.html": "blocked_page",
                       "soft404.html": "error_page", "empty.html": "empty_extraction", "missing.html": "http_404"}
    # items that had a summary in the feed are still delivered, with the summary as text
    assert titles(records) == ["Challenge", "Inside the race to save the estuary oysters"]


def test_feed_list_and_opml(web, tmp_path):
    (tmp_path / "feeds.txt").write_bytes(web.fixture("feeds.txt"))
    (tmp_path / "feeds.opml").write_bytes(web.fixture("feeds.opml"))
    expected = [web.url("/feeds/rss2.xml"), web.url("/feeds/atom.xml"), web.url("/feeds/rdf.xml")]
    assert load_feed_list(tmp_path / "feeds.txt") == expected
    assert load_feed_list(tmp_path / "feeds.opml") == expected


def test_discovery_from_home_page(web, fetcher, state):
    web.serve_fixtures()
    records, letters = run([web.url("/home.html")], fetcher, state)
    assert letters == [] and len(records) == 3
    assert "/feeds/rss2.xml" in web.paths_requested()


def test_page_without_feed_is_a_dead_letter(web, fetcher, state):
    web.serve_fixtures()
    _, letters = run([web.url("/pages/harbour.html")], fetcher, state)
    assert [l.reason for l in letters] == ["malformed_feed"]


def test_broken_sites_do_not_stop_the_run(web, make_fetcher, state):
    web.serve_fixtures()
    web.add("/robots.txt", "User-agent: *\nDisallow: /blocked/\n", content_type="text/plain")
    web.add("/feed-500.xml", "x", status=500)
    web.add("/loop.xml", status=302, headers={"Location": "/loop.xml?again"})
    web.add("/loop.xml?again", status=302, headers={"Location": "/loop.xml"})
    web.add("/to-private.xml", status=301, headers={"Location": "http://10.0.0.1/feed.xml"})
    web.routes["/hang.xml"] = lambda handler: web.stop.wait(30)
    urls = [web.url(p) for p in ("/feed-500.xml", "/nope.xml", "/loop.xml", "/to-private.xml", "/hang.xml",
                                 "/blocked/feed.xml", "/feeds/rss2.xml")]
    records, letters = run(urls, make_fetcher(read_timeout=0.5, retries=0), state)
    assert [l.reason for l in letters] == ["http_500", "http_404", "redirect_loop", "private_address", "timeout",
                                           "robots_disallowed"]
    assert len(records) == 3


def test_second_run_is_conditional_and_changed_feed_yields_only_new_items(web, fetcher, state):
    web.serve_fixtures()
    feed = web.fixture("feeds/rss2.xml")
    web.add("/feeds/rss2.xml", feed, content_type="application/rss+xml", etag='"v1"')
    first, _ = run([web.url("/feeds/rss2.xml")], fetcher, state)
    assert len(first) == 3

    before = len(web.requests)
    second, letters = run([web.url("/feeds/rss2.xml")], fetcher, state)
    assert second == [] and letters == []
    sent = web.requests[before:]
    assert [(path, headers.get("if-none-match")) for path, headers in sent] == [("/feeds/rss2.xml", '"v1"')]

    new_item = (b"<item><title>Ferry returns</title><link>" + web.url("/pages/ferry.html").encode()
                + b"</link><guid>rg-1004</guid><pubDate>Thu, 05 Mar 2026 06:00:00 GMT</pubDate></item>\n")
    web.add("/feeds/rss2.xml", feed.replace(b"<item>", new_item + b"<item>", 1), content_type="application/rss+xml",
            etag='"v2"')
    before = len(web.requests)
    third, _ = run([web.url("/feeds/rss2.xml")], fetcher, state)
    assert titles(third) == ["Winter ferry to Gull Island returns"]
    assert Counter(path for path, _ in web.requests[before:]) == {"/feeds/rss2.xml": 1, "/pages/ferry.html": 1}


def test_without_etag_items_are_still_seen_once(web, fetcher, state):
    web.serve_fixtures()
    assert len(run([web.url("/feeds/rss2.xml")], fetcher, state)[0]) == 3
    assert run([web.url("/feeds/rss2.xml")], fetcher, state)[0] == []


def test_transient_page_failure_is_retried_next_run(web, fetcher, state):
    web.serve_fixtures()
    web.add("/feeds/rss2.xml", web.fixture("feeds/rss2.xml"), content_type="application/rss+xml", etag='"v1"')
    web.add("/pages/library.html", "busy", status=503)
    records, letters = run([web.url("/feeds/rss2.xml")], fetcher, state)
    assert [l.reason for l in letters] == ["http_503"] and len(records) == 3  # library kept its summary
    web.add("/pages/library.html", web.fixture("pages/library.html"))
    records, letters = run([web.url("/feeds/rss2.xml")], fetcher, state)
    assert letters == [] and titles(records) == ["Library to stay open late on weekdays"]
    assert "Volunteers from the reading club" in records[0].data["text"]


def test_settings_and_state_pickle(tmp_path):
    settings = FeedSettings()
    assert pickle.loads(pickle.dumps(settings)) == settings
    store = ConnectorState(tmp_path / "s.sqlite3")
    store.commit([ListingCheckpoint("u", seen=("k1",))])
    copy = pickle.loads(pickle.dumps(store))
    assert copy.unseen(["k1", "k2"]) == ["k2"]
    store.close()
    copy.close()


def test_items_over_the_limit_wait_for_the_next_run(web, fetcher, state):
    web.serve_fixtures()
    web.add("/feeds/rss2.xml", web.fixture("feeds/rss2.xml"), content_type="application/rss+xml", etag='"v1"')
    first, _ = run([web.url("/feeds/rss2.xml")], fetcher, state, max_items_per_feed=2)
    second, _ = run([web.url("/feeds/rss2.xml")], fetcher, state, max_items_per_feed=2)
    third, _ = run([web.url("/feeds/rss2.xml")], fetcher, state, max_items_per_feed=2)
    assert (len(first), len(second), len(third)) == (2, 1, 0)
    assert web.requests[-1][1].get("if-none-match") == '"v1"'  # validators saved once all were read


def test_seen_items_expire_after_retention(tmp_path):
    path = tmp_path / "s.sqlite3"
    store = ConnectorState(path)
    store.commit([ListingCheckpoint("u", seen=("old",))])
    store.close()
    expired = ConnectorState(path, retention_days=0)
    assert expired.unseen(["old"]) == ["old"]
    expired.close()


def test_page_failing_every_run_is_given_up_after_max_attempts(web, fetcher, state):
    web.serve_fixtures()
    web.add("/feeds/rss2.xml", web.fixture("feeds/rss2.xml"), content_type="application/rss+xml", etag='"v1"')
    web.add("/pages/library.html", "down", status=500)
    details = []
    for _ in range(4):
        _, letters = run([web.url("/feeds/rss2.xml")], fetcher, state, pages=PageSettings(max_attempts=3))
        details.append([l.detail.rsplit("; ", 1)[-1] for l in letters])
    assert details == [["retried next run"], ["retried next run"], ["given up"], []]
    assert web.requests[-1][1].get("if-none-match") == '"v1"'


def read(urls, fetcher, memory):
    outputs = list(iter_feed_records(urls, fetcher=fetcher, memory=memory))
    return [o for o in outputs if isinstance(o, RawRecord)], [o for o in outputs if isinstance(o, ListingCheckpoint)]


def test_reading_marks_nothing_until_the_checkpoints_are_committed(web, fetcher, state):
    web.serve_fixtures()
    web.add("/feeds/rss2.xml", web.fixture("feeds/rss2.xml"), content_type="application/rss+xml", etag='"v1"')
    feed = web.url("/feeds/rss2.xml")
    records, checkpoints = read([feed], fetcher, RunMemory(state, "failed-run", "feed"))
    assert len(records) == 3 and [c.validators.etag for c in checkpoints] == ['"v1"']
    # That run died before its records were stored: the next run reads them all again, unconditionally.
    before = len(web.requests)
    records, checkpoints = read([feed], fetcher, RunMemory(state, "next-run", "feed"))
    assert len(records) == 3 and web.requests[before][1].get("if-none-match") is None
    state.commit(checkpoints)
    records, checkpoints = read([feed], fetcher, RunMemory(state, "third-run", "feed"))
    assert records == [] and [c.unchanged for c in checkpoints] == [True]


def test_a_feed_read_twice_in_one_run_yields_its_items_once(web, fetcher, state):
    web.serve_fixtures()
    web.add("/feeds/rss2.xml", web.fixture("feeds/rss2.xml"), content_type="application/rss+xml", etag='"v1"')
    home, feed = web.url("/home.html"), web.url("/feeds/rss2.xml")
    from_home, home_checkpoints = read([home], fetcher, RunMemory(state, "run-1", "feed:" + home))
    from_feed, feed_checkpoints = read([feed], fetcher, RunMemory(state, "run-1", "feed:" + feed))
    assert len(from_home) == 3 and from_feed == []
    # A runner retrying the first reader gets its items again (its first output was thrown away).
    retried, _ = read([home], fetcher, RunMemory(state, "run-1", "feed:" + home))
    assert len(retried) == 3
    state.commit([*feed_checkpoints, *home_checkpoints])
    assert state.validators(feed).etag == '"v1"'
    assert read([home, feed], fetcher, RunMemory(state, "run-2", "feed"))[0] == []


def test_a_listing_read_twice_keeps_old_validators_if_either_read_must_retry(tmp_path):
    store = ConnectorState(tmp_path / "s.sqlite3")
    store.commit([ListingCheckpoint("u", Validators("old"))])
    store.commit([ListingCheckpoint("u", Validators("new"), seen=("a",)),
                  ListingCheckpoint("u", None, failed=("b",)),
                  ListingCheckpoint("u", unchanged=True)])
    assert store.validators("u") == Validators("old")
    assert store.unseen(["a", "b"]) == ["b"] and store.attempts(["a", "b"]) == {"b": 1}
    store.close()
