"""Article extraction, dates and walls, on the fixture pages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsbeam.connectors.pages import ItemHint, PageSettings, extract_article, fetch_article, harvest
from newsbeam.connectors.pages.dates import choose_published
from newsbeam.connectors.records import RawRecord
from newsbeam.schemas import DeadLetter, RecordError

FIXTURES = Path(__file__).parent / "fixtures"


def page(name: str) -> str:
    return (FIXTURES / "pages" / name).read_text(encoding="utf-8")


def test_json_ld_date_author_and_text():
    record = extract_article(page("harbour.html"), "https://gazette.example/harbour")
    assert record["title"] == "Harbour reopens after storm repairs"
    assert record["published"] == "2026-03-02T08:30:00+00:00"
    assert "forty metres of the old stone breakwater" in record["text"]
    assert "All rights reserved" not in record["text"] and "Sport" not in record["text"]
    assert record["authors"] == ["Ines Calder"]
    assert record["language"] == "en"


def test_every_headline_the_page_states_is_kept_beside_the_title():
    """The headline shared (`og:title`) is the title; the one on the page (`<h1>`), which is in no
    paragraph, is another headline; a tab title that holds the title whole is not."""
    paragraphs = "".join(f"<p>{sentence} The council met until dawn to settle it.</p>" for sentence in (
        "The harbour budget passed after nine hours.", "Dredging the channel is the largest item.",
        "Ferry fares stay as they are."))
    html = ("<html lang='en'><head><title>Budget approved: what it means for the quay | Gazette</title>"
            "<meta property='og:title' content='Budget approved'>"
            "<meta property='og:site_name' content='Gazette'></head>"
            f"<body><article><h1>Lantern parade returns to the old quay</h1>{paragraphs}</article></body></html>")
    record = extract_article(html, "https://gazette.example/budget")
    assert record["title"] == "Budget approved"
    assert record["headlines"] == ["Lantern parade returns to the old quay"]
    assert "Lantern" not in record["text"]
    plain = extract_article(page("harbour.html"), "https://gazette.example/harbour")
    assert plain["headlines"] == []  # every source states the one headline


def test_meta_date_when_no_json_ld():
    assert extract_article(page("council.html"))["published"] == "2026-03-03T19:45:00+00:00"


def test_htmldate_heuristic_as_fallback():
    assert extract_article(page("library.html"))["published"].startswith("2026-03-04")


def test_future_page_date_rejected_for_feed_date():
    record = extract_article(page("ferry.html"), reference_date="2026-03-05T06:00:00+00:00")
    assert record["published"] == "2026-03-05T06:00:00+00:00"


def test_page_date_far_from_feed_date_rejected():
    record = extract_article(page("bakery.html"), reference_date="2026-03-04T15:00:00+00:00")
    assert record["published"] == "2026-03-04T15:00:00+00:00"


def test_page_day_with_feed_time_keeps_the_feed_time():
    record = extract_article(page("bridge.html"), reference_date="2026-03-05T11:20:00+00:00")
    assert record["published"] == "2026-03-05T11:20:00+00:00"


def test_choose_published_order_and_limits():
    now = datetime(2026, 3, 10, tzinfo=timezone.utc)
    week = timedelta(days=7)
    candidates = [("2026-04-01T00:00:00Z", "json-ld"), ("garbage", "meta"), ("2026-03-08T10:00:00Z", "htmldate")]
    choice = choose_published(candidates, reference=None, max_skew=week, now=now)
    assert (choice.value, choice.source) == ("2026-03-08T10:00:00+00:00", "htmldate")
    assert choose_published([], reference=None, max_skew=week, now=now).value is None
    assert choose_published([], reference="2027-01-01T00:00:00Z", max_skew=week, now=now).value is None


@pytest.mark.parametrize(
    "name, reason",
    [("paywall.html", "paywalled"), ("consent.html", "blocked_page"), ("challenge.html", "blocked_page"),
     ("soft404.html", "error_page"), ("empty.html", "empty_extraction")],
)
def test_walls_are_not_articles(name, reason):
    with pytest.raises(RecordError) as caught:
        extract_article(page(name), "https://gazette.example/x")
    assert caught.value.reason == reason


def _teaser(wall_markup: str, paragraphs: int) -> str:
    story = "".join(f"<p>In survey {n} the oyster beds of reach {n * 7} had shrunk by {n + 10} per cent since the "
                    f"dredging of {1990 + n}, and scientists from station {n * 3} think they know why.</p>"
                    for n in range(paragraphs))
    return (f"<!DOCTYPE html><html lang='en'><head><title>Estuary oysters | Riverside Gazette</title></head><body>"
            f"<header><nav><a href='/'>Home</a></nav></header><main><article><h1>Estuary oysters</h1>"
            f"{story}</article>{wall_markup}</main><footer><p>Riverside Gazette</p></footer></body></html>")


def test_paywall_markup_alone_marks_a_short_page():
    """Only a class name says "paywall", on an element trafilatura drops: the
    markup is read after extraction, so this fails if extraction prunes the tree
    the wall check reads."""
    wall = "<aside class='Paywall-Overlay'><form><a href='/subscribe'>Subscribe</a></form></aside>"
    with pytest.raises(RecordError) as caught:
        extract_article(_teaser(wall, 2), "https://gazette.example/x")
    assert caught.value.reason == "paywalled" and "paywall markup" in caught.value.detail
    # A full article is not a wall, whatever its markup says.
    assert extract_article(_teaser(wall, 12), "https://gazette.example/x")["text"]
    assert extract_article(_teaser("<div class='related'></div>", 2), "https://gazette.example/x")["text"]


#: What Cloudflare's bot management adds to every page it serves, challenge or not.
_CLOUDFLARE_BOT_SCRIPT = ("<script>(function(){var a=document.createElement('script');"
                          "a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';"
                          "document.getElementsByTagName('head')[0].appendChild(a);})();</script>")


@pytest.mark.parametrize("paragraphs", [2, 12])
def test_an_article_on_a_cloudflare_site_is_not_a_challenge(paragraphs):
    """Short or long, an article served with Cloudflare's injected bot script is
    an article; only the challenge page itself (see `test_walls_are_not_articles`) is not."""
    served = _teaser(_CLOUDFLARE_BOT_SCRIPT, paragraphs)
    assert "oyster beds" in extract_article(served, "https://gazette.example/x")["text"]


def test_consent_redirect_host_is_a_wall():
    with pytest.raises(RecordError) as caught:
        extract_article(page("harbour.html").replace("<p>The harbour", "<p>Before you continue. The harbour"),
                        "https://consent.example.com/?continue=x")
    assert caught.value.reason == "blocked_page"


def hint(url: str, summary: str = "", published: str | None = None) -> ItemHint:
    return ItemHint(url=url, key=url, listed_in="test", title="Listed title", summary=summary, published=published,
                    source="Listing source")


def test_fetch_article_merges_page_and_listing(web, fetcher):
    web.serve_fixtures()
    result = fetch_article(hint(web.url("/pages/harbour.html"), "short summary"), fetcher=fetcher)
    [record] = result.outputs
    assert isinstance(record, RawRecord) and not result.retry_later
    assert record.data["title"] == "Harbour reopens after storm repairs"
    assert record.data["headlines"] == []  # the page states one headline
    assert record.data["source"] == "Listing source"  # the page names no site
    assert "breakwater" in record.data["text"]


def test_blocked_page_keeps_summary_and_says_why(web, fetcher):
    web.serve_fixtures()
    result = fetch_article(hint(web.url("/pages/challenge.html"), "Rowing club elects a captain."), fetcher=fetcher)
    letter, record = result.outputs
    assert isinstance(letter, DeadLetter) and letter.reason == "blocked_page" and "Cloudflare" in letter.detail
    assert "kept the listing's summary" in letter.detail
    assert isinstance(record, RawRecord) and record.data["text"] == "Rowing club elects a captain."
    assert not result.retry_later


def test_transient_failure_is_retried_later(web, fetcher):
    web.add("/down", "oops", status=500)
    result = fetch_article(hint(web.url("/down"), "summary"), fetcher=fetcher)
    assert result.retry_later and result.outputs[0].reason == "http_500"


def test_wrong_charset_page(web, fetcher):
    html = page("harbour.html").replace("Skipper Mara Lindqvist", "Skipper Mará Lindqvíst")
    web.add("/latin.html", html.encode("cp1252"), content_type="text/html; charset=utf-8")
    [record] = fetch_article(hint(web.url("/latin.html")), fetcher=fetcher).outputs
    assert "Mará Lindqvíst" in record.data["text"]


def test_summary_only_mode(web, fetcher):
    settings = PageSettings(fetch_pages=False)
    [record] = fetch_article(hint("https://gazette.example/a", "Summary text."), fetcher=fetcher,
                             settings=settings).outputs
    assert record.data["text"] == "Summary text." and web.requests == []


@pytest.mark.parametrize("workers", [1, 3])
def test_harvest_fetches_a_batch_before_extracting_and_keeps_input_order(web, fetcher, workers):
    names = ["harbour.html", "bridge.html", None, "ferry.html", "library.html", None, "council.html", "bakery.html",
             "harbour.html"]
    items = []
    for n, name in enumerate(names):
        path = f"/p/{n}"
        if name is not None:
            web.add(path, page(name))
        items.append(hint(web.url(path)))
    results = harvest(items, fetcher=fetcher, settings=PageSettings(workers=workers, batch=4))
    first = next(results)
    fetched = sum(path.startswith("/p/") for path, _ in web.requests)
    # One batch is fetched before the first page is extracted; with workers the next may be on its way.
    assert (4 <= fetched <= 8) if workers > 1 else fetched == 4
    outcomes = [first, *results]
    assert [outcome.item.url for outcome in outcomes] == [item.url for item in items]
    reasons = [o.outputs[0].reason if isinstance(o.outputs[0], DeadLetter) else "article" for o in outcomes]
    assert reasons == ["http_404" if name is None else "article" for name in names]
