"""Normalize: canonical URLs, dates, clean text, ids."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from newsbeam.pipelines.normalize import normalize_record
from newsbeam.pipelines.normalize.dates import parse_published
from newsbeam.pipelines.normalize.text import clean_text, content_hash, plain_punctuation, strip_tags
from newsbeam.pipelines.normalize.urls import canonical_url
from newsbeam.schemas import RecordError, article_id_for_url


@pytest.mark.parametrize("variant", [
    "https://www.news.example/world/story-1?utm_source=rss&utm_medium=feed",
    "http://news.example/world/story-1/",
    "https://amp.news.example/world/story-1/amp/?outputType=amp",
    "https://m.news.example/world/story-1#comments",
    "https://news.example/world/story-1.amp?fbclid=abc",
])
def test_url_variants_share_one_canonical_url(variant):
    assert canonical_url(variant) == "https://news.example/world/story-1"


def test_meaningful_query_parameters_survive():
    assert canonical_url("https://news.example/article?id=42&utm_campaign=x") == "https://news.example/article?id=42"


@pytest.mark.parametrize("text, expected", [
    ("2025-06-04T20:15:00+00:00", datetime(2025, 6, 4, 20, 15, tzinfo=timezone.utc)),
    ("2025-06-04T22:15:00+02:00", datetime(2025, 6, 4, 20, 15, tzinfo=timezone.utc)),
    ("2025-06-04T20:15:00Z", datetime(2025, 6, 4, 20, 15, tzinfo=timezone.utc)),
    ("2025-06-04 20:15", datetime(2025, 6, 4, 20, 15, tzinfo=timezone.utc)),
    ("Wed, 04 Jun 2025 20:15:00 GMT", datetime(2025, 6, 4, 20, 15, tzinfo=timezone.utc)),
    ("Wed Jun 04 22:15:00 CEST 2025", datetime(2025, 6, 4, 20, 15, tzinfo=timezone.utc)),
    ("2025-06-04 22:15:00 +0200", datetime(2025, 6, 4, 20, 15, tzinfo=timezone.utc)),
])
def test_dates_become_utc(text, expected):
    assert parse_published(text) == expected


def test_unknown_date_format_is_rejected_not_guessed():
    with pytest.raises(RecordError) as error:
        parse_published("sometime last week")
    assert error.value.reason == "bad_date"


def test_chrome_lines_go_paragraphs_stay():
    text = "Editor\nBy\n3 Min Read\n\nFirst paragraph.\n\nShare This Article\nComments (0)\nSecond  paragraph."
    assert clean_text(text) == "First paragraph.\n\nSecond paragraph."


def test_tags_are_stripped_between_words_and_inside_them():
    assert strip_tags("<p>One</p><p>Two <b>three</b></p>").split() == ["One", "Two", "three"]
    assert strip_tags("<em>B</em>erlin", "") == "Berlin"


def test_plain_punctuation_makes_two_spellings_of_a_title_equal():
    assert plain_punctuation("What’s „new“ – «now»") == plain_punctuation("What's \"new\" - \"now\"")


def test_content_hash_ignores_case_quotes_and_spacing():
    assert content_hash("He said “no”.\n\nThen  left.") == content_hash("he said \"no\". then left.")


def test_ids_are_given_or_derived_from_the_canonical_url():
    given = normalize_record({"id": 7, "text": "Some text here."})
    assert given.id == "7"
    derived = normalize_record({"url": "https://www.news.example/a?utm_source=x", "text": "Some text."})
    assert derived.id == article_id_for_url("https://news.example/a")


def test_other_headlines_are_cleaned_and_never_the_title():
    article = normalize_record({"id": "x", "title": "Budget approved", "text": "The council met.",
                                "headlines": [" Lantern  parade\nreturns ", "Budget approved", "", "Lantern parade returns"]})
    assert article.title == "Budget approved" and article.headlines == ["Lantern parade returns"]
    assert normalize_record({"id": "y", "text": "Body."}).headlines == []


def test_language_is_detected_when_absent():
    article = normalize_record({"id": "x", "text": "Der Bundestag hat am Donnerstag das neue Gesetz beschlossen."})
    assert article.language == "de"


def test_record_without_id_or_url_is_rejected():
    with pytest.raises(RecordError) as error:
        normalize_record({"text": "Orphan text."})
    assert error.value.reason == "schema_invalid"


def test_missing_source_falls_back_to_the_outlets_host():
    article = normalize_record({"id": "x", "url": "https://www.daily.example.net/a?utm_source=x", "text": "Text.", "source": ""})
    assert article.source == "daily.example.net"
    assert normalize_record({"id": "y", "text": "Text."}).source == ""
