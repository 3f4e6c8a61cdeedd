"""Syndicated copies are duplicates of the first-seen original; own reporting is not."""

from __future__ import annotations

import pytest

from newsbeam.pipelines.assign import OnlineAssigner
from newsbeam.pipelines.features import featurize

WIRE = """Firefighters backed by water-dropping aircraft battled a wildfire north of Athens on Tuesday as strong winds pushed the flames toward the suburbs, forcing the evacuation of several villages.

Greece's fire service said the blaze started near Varnavas, about 35 kilometres from the capital, and spread quickly through dry pine forest. Residents received emergency text messages telling them to leave toward Marathon.

"The wind changes direction every few minutes, which makes this fire extremely dangerous," a fire service spokesman told state television. Temperatures above 40C and gusts of up to 70 km/h made the fire hard to contain.

The civil protection ministry said 410 firefighters, 120 fire engines and 17 aircraft were deployed. Greece has asked the European Union for additional water-bombing planes under its civil protection mechanism as the heatwave is forecast to last until Friday.

Several homes were damaged in Grammatiko, local officials said, and an elderly man was taken to hospital with burns. Police closed parts of the Marathon avenue to traffic."""

TITLE = "Wildfire near Athens forces evacuations as winds fan flames"


def _variant(kind: str) -> dict:
    """One outlet's republication of the wire text, edited the way outlets do."""
    text, title, url = WIRE, TITLE, "https://othernews.example/world/athens-fire"
    if kind == "new headline":
        title = "Greek villages evacuated as blaze rages near capital"
    elif kind == "byline":
        text = "By Maria Papadopoulou, Other News\n\n" + text
    elif kind == "newsletter footer":
        text += "\n\nGet the day's top stories in your inbox: sign up for the Other News morning newsletter. Follow us on Telegram for breaking news."
    elif kind == "lede trimmed":
        text = text.split("\n\n", 1)[1]
    elif kind == "quotes and whitespace":
        text = text.replace('"', "\u201c", 1).replace('"', "\u201d", 1).replace(". ", ".   ").replace("\n\n", "\n \n\n")
    elif kind == "tracking url":
        url = "https://wire.example/athens-wildfire?utm_source=twitter&utm_medium=social&utm_campaign=share#top"
    return {"id": "copy", "url": url, "title": title, "text": text, "source": "Other News",
            "published": "2025-07-22T16:30:00+00:00"}


def _decide(make_article, *records: dict):
    assigner = OnlineAssigner()
    decisions = []
    for record in records:
        article = make_article(**record)
        decisions.append(assigner.process(article, featurize(article)))
    return decisions


ORIGINAL = {"id": "wire", "url": "https://wire.example/athens-wildfire", "title": TITLE, "text": WIRE,
            "source": "Wire", "published": "2025-07-22T15:00:00+00:00"}


@pytest.mark.parametrize(
    "kind", ["new headline", "byline", "newsletter footer", "lede trimmed", "quotes and whitespace", "tracking url"]
)
def test_wire_copy_is_a_duplicate_of_the_original(make_article, kind):
    original, copy = _decide(make_article, ORIGINAL, _variant(kind))
    assert original.duplicate_of is None
    assert copy.duplicate_of == "wire"
    assert copy.event_id == original.event_id


def test_textual_edits_are_found_as_near_duplicates(make_article):
    # Not only caught by the content hash or URL: the shingle signatures match.
    _, copy = _decide(make_article, ORIGINAL, _variant("byline"))
    assert copy.duplicate_kind == "near"


def test_tracking_url_alone_is_an_exact_duplicate(make_article):
    changed = dict(_variant("tracking url"), text=WIRE + "\n\nUpdated at 16:30.")
    _, copy = _decide(make_article, ORIGINAL, changed)
    assert (copy.duplicate_of, copy.duplicate_kind) == ("wire", "exact")


def test_copies_point_at_the_first_seen_article_not_at_each_other(make_article):
    second = dict(_variant("byline"), id="copy-1")
    third = dict(_variant("newsletter footer"), id="copy-2", published="2025-07-22T18:00:00+00:00")
    decisions = _decide(make_article, ORIGINAL, second, third)
    assert [d.duplicate_of for d in decisions] == [None, "wire", "wire"]


def test_another_outlets_own_story_is_not_a_duplicate(make_article, fulltext_records):
    own = {k: v for k, v in next(r for r in fulltext_records if r["id"] == "ft-w1b").items()
           if k not in ("event", "duplicate_of")}
    original, other = _decide(make_article, ORIGINAL, own)
    assert other.duplicate_of is None
    assert other.event_id == original.event_id


def test_reference_articles_are_not_duplicates_of_each_other(make_article, reference_records):
    ordered = sorted(reference_records, key=lambda r: r["published"])
    decisions = _decide(make_article, *ordered)
    assert [d.duplicate_of for d in decisions] == [None, None, None]
