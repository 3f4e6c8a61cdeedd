"""Article and Event as JSON: every field, in field order, dates as ISO-8601, nothing shared."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from newsbeam.schemas import Article, Event
from newsbeam.schemas.validation import validate_output

WHEN = datetime(2024, 3, 1, 12, 30, tzinfo=timezone.utc)


def _asdict_with_dates(record, date_fields: tuple[str, ...]) -> dict:
    """The reference shape: `dataclasses.asdict`, dates turned into ISO-8601."""
    data = dataclasses.asdict(record)
    for key in date_fields:
        data[key] = data[key].isoformat() if data[key] else None
    return data


def _article(**changes) -> Article:
    fields = dict(id="a1", url="https://example.org/a1", title="Title", text="Body text", published=WHEN,
                  source="example.org", language="en", canonical_url="https://example.org/a1",
                  authors=["Ann", "Bo"], fetched_at=WHEN, content_hash="0123456789abcdef" * 2)
    return Article(**{**fields, **changes})


#: Fields only a wire item's JSON has (see `Article.to_json`).
WIRE_FIELDS = ("version", "pubstatus", "subjects", "wire")


@pytest.mark.parametrize("article", [
    _article(), _article(published=None, fetched_at=None, authors=[]),
    _article(version=2, pubstatus="usable", subjects=["medtop:04000000"], wire={"format": "ninjs"}),
    _article(headlines=["The headline on the page"]),
])
def test_article_json_is_every_field_in_order(article: Article) -> None:
    doc = article.to_json()
    expected = _asdict_with_dates(article, ("published", "fetched_at"))
    if article.version is None:  # not a wire item: no wire fields
        expected = {key: value for key, value in expected.items() if key not in WIRE_FIELDS}
    if not article.headlines:  # no other headline: no field for them
        del expected["headlines"]
    assert list(doc) == [f.name for f in dataclasses.fields(Article) if f.name in expected]
    assert doc == expected
    validate_output("article", doc)
    assert Article.from_json(doc) == article
    doc["authors"].append("someone else")
    assert article.authors != doc["authors"]


@pytest.mark.parametrize("when", [WHEN, None])
def test_event_json_is_every_field_in_order_with_the_count(when: datetime | None) -> None:
    event = Event("evt-1", "Title", "a1", ["a1", "a2"], ["example.org"], when, when, ["word"], ["evt-0"])
    doc = event.to_json()
    assert list(doc) == [*(f.name for f in dataclasses.fields(Event)), "article_count"]
    assert doc == {**_asdict_with_dates(event, ("first_seen", "last_seen")), "article_count": 2}
    doc["article_ids"].append("a3")
    assert event.article_ids == ["a1", "a2"]
    if when:
        validate_output("event", doc)
