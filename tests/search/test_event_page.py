"""How an event page is built: outlet credit, excerpts, and the arrival timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsbeam.search.events import MAX_BUCKETS, excerpt, outlet_of, parse_time, timeline

T0 = datetime(2025, 6, 4, 19, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("article", "outlet"),
    [
        ({"source": " Reuters ", "url": "https://wire.example.com/a"}, "Reuters"),
        ({"source": "", "url": "https://www.daily.example.net/politics/x"}, "daily.example.net"),
        ({"source": None, "url": "not a url"}, "unknown outlet"),
        ({}, "unknown outlet"),
    ],
)
def test_outlet_falls_back_to_the_web_host(article: dict, outlet: str) -> None:
    assert outlet_of(article) == outlet


def test_excerpt_is_one_line_cut_at_a_word() -> None:
    assert excerpt("Short\n\ntext.") == "Short text."
    text = "word " * 100
    cut = excerpt(text, limit=42)
    assert cut.endswith("…") and len(cut) <= 43 and not cut[:-1].endswith(" ")
    assert set(cut[:-1].split(" ")) == {"word"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-06-04T21:40:00+02:00", T0),
        ("2025-06-04T19:40:00", T0),  # a stored time without zone is UTC
        ("garbage", None),
        (None, None),
    ],
)
def test_parse_time(value, expected) -> None:
    assert parse_time(value) == expected


def test_timeline_of_nothing() -> None:
    line = timeline([None, None])
    assert (line.start, line.end, line.buckets, line.undated) == (None, None, [], 2)


def test_timeline_counts_every_dated_article_once() -> None:
    times = [T0, T0 + timedelta(minutes=35), T0 + timedelta(hours=11, minutes=25), None]
    line = timeline(times)
    assert line.bucket_seconds == 3600  # 12 hours fit in 24 one-hour buckets
    assert [b.count for b in line.buckets] == [1, 1] + [0] * 10 + [1]  # 19:00 … 07:00
    assert line.buckets[0].start == "2025-06-04T19:00:00+00:00"
    assert (line.start, line.end, line.undated) == (T0.isoformat(), (T0 + timedelta(hours=11, minutes=25)).isoformat(), 1)


@pytest.mark.parametrize(
    ("span", "width"),
    [(timedelta(0), 60), (timedelta(minutes=20), 60), (timedelta(hours=3), 900), (timedelta(days=5), 6 * 3600),
     (timedelta(days=60), 7 * 86400), (timedelta(days=3650), 159 * 86400)],
)
def test_timeline_picks_the_narrowest_bucket_that_fits(span: timedelta, width: int) -> None:
    line = timeline([T0, T0 + span])
    assert line.bucket_seconds == width
    assert sum(b.count for b in line.buckets) == 2
    assert len(line.buckets) <= MAX_BUCKETS
