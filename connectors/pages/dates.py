"""Which publication date to believe for a page.

Structured claims (JSON-LD `datePublished`, publication meta tags) come first:
the publisher wrote them for machines. htmldate's heuristics come next (asked
by `extract` only when no structured claim is plausible), and the feed or
sitemap's own date last. Any candidate in the future,
or far from the date the feed gave for the same item, is rejected: those are the
"Copyright 2031", "updated daily" and related-article dates that put stories in
the wrong week. htmldate falls back to a year alone (a copyright line, any
number shaped like a year) as 1 January, which is no page's statement of the
day: such a reading is believed only when htmldate finds it without its text
search too. Dates written in Chinese and Japanese characters ("2024年5月9日"),
which htmldate's text search passes over, are read after it.

A date keeps the offset the page stated. Pages often state the same time
twice, once with an offset and once without (a meta tag with `+02:00`, a
`<time>` without): the offset-less one is the local wall clock, not UTC, so it
gives way to the stated offset. Zone abbreviations ("CEST", "MESZ", "JST")
are read as their offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from htmldate import find_date
from lxml.html import HtmlElement

from newsbeam.connectors.pages.signals import ARTICLE_TYPES, DATE_META_NAMES, PageSignals, json_ld_types
from newsbeam.connectors.pages.tags import attributes
from newsbeam.pipelines.normalize.dates import as_utc, parse_stated

_ARTICLE_TYPES = ARTICLE_TYPES | {"webpage"}
#: A page date this much in the future is a wrong date, not an early-published story.
FUTURE_TOLERANCE = timedelta(hours=12)
#: Two statements of one time, one with an offset and one without, differ by
#: at most the widest offset.
_WIDEST_OFFSET = timedelta(hours=14)


#: A date written in Chinese or Japanese characters, with the time after it when
#: one follows ("2025年1月14日 01:28", "2025年1月13日(月) 20時01分").
_CJK_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
                       r"(?:[^\d<]{0,6}?(\d{1,2})\s*[:：時]\s*(\d{2}))?")
#: What a page does not show readers: scripts, styles, comments.
_NOT_SHOWN = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->", re.S | re.I)


@dataclass(frozen=True, slots=True)
class DateChoice:
    """The chosen date (ISO-8601, or None) and where it came from, for the record's notes."""

    value: str | None
    source: str


def structured_dates(signals: PageSignals, times: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(value, source) candidates from JSON-LD article objects, then meta
    tags, then `<time itemprop=datePublished>` among the page's `times`
    (`PageTags.times`)."""
    for node in signals.json_ld:
        if json_ld_types(node) & _ARTICLE_TYPES and isinstance(node.get("datePublished"), str):
            yield node["datePublished"], "json-ld"
    for name in DATE_META_NAMES:
        if value := signals.meta(name):
            yield value, f"meta:{name}"
    for raw in times:
        if "datepublished" not in raw.lower():
            continue  # a comment's or a related story's time, not this article's
        time_element = attributes(raw)
        if time_element.get("itemprop", "").lower() == "datepublished" and time_element.get("datetime"):
            yield time_element["datetime"], "time[itemprop=datePublished]"


def read_dates(tree: HtmlElement, html: str, url: str | None, now: datetime) -> Iterator[tuple[str, str]]:
    """(value, source) candidates from the page's markup and text, for a page
    that states no plausible date as data: htmldate's heuristics (its year
    alone as 1 January dropped, see the module docstring), then the first date
    the page's body shows written in CJK characters (`written_cjk_date`), which
    goes first when it states htmldate's day with a time."""
    latest = now.strftime("%Y-%m-%d")
    found = find_date(tree, original_date=True, extensive_search=True, url=url, max_date=latest)
    if found and found.endswith("-01-01") and find_date(tree, original_date=True, extensive_search=False, url=url,
                                                        max_date=latest) != found:
        found = None
    written = written_cjk_date(html)
    if written and found and written[:10] == found:  # the same day, with its time
        found = None
    yield from ((value, source) for value, source in ((found, "htmldate"), (written, "written date")) if value)


def written_cjk_date(html: str) -> str | None:
    """The first date the page's body shows in Chinese or Japanese characters
    ("2024年5月9日"), as a day, or as a wall-clock time (no offset) when a time
    follows it; None when it shows none."""
    if "年" not in html:
        return None
    start = html.find("<body")
    for match in _CJK_DATE.finditer(_NOT_SHOWN.sub(" ", html[max(start, 0):])):
        year, month, day, hour, minute = match.groups()
        try:
            when = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
        except ValueError:  # "2024年13月…", "25時"
            continue
        return when.isoformat() if hour else when.date().isoformat()
    return None


def _parse(value: str | None) -> datetime | None:
    when = parse_stated(value)
    return None if when is None else as_utc(when)


def _with_offset(naive: datetime, candidates: list[tuple[datetime, str]]) -> tuple[datetime, str] | None:
    """The statement among `candidates` of the same time as `naive` with an
    offset: the same wall clock if one is, else the same day within the widest offset."""
    stated = [(when, source) for when, source in candidates if when.tzinfo is not None]
    same_clock = [(w, s) for w, s in stated if w.replace(tzinfo=None) == naive]
    near = [(w, s) for w, s in stated if w.date() == naive.date()
            and abs(w.replace(tzinfo=None) - naive) <= _WIDEST_OFFSET and (w.hour, w.minute) != (0, 0)]
    return next(iter(same_clock or near), None)


def _is_day(value: str, when: datetime) -> bool:
    """Whether a statement gives a day and no time ("2026-07-19", htmldate's reading)."""
    return len(value.strip()) <= 10 and when.tzinfo is None and (when.hour, when.minute, when.second) == (0, 0, 0)


def choose_published(
    candidates: list[tuple[str, str]],
    *,
    reference: str | None,
    max_skew: timedelta,
    now: datetime | None = None,
) -> DateChoice:
    """The first plausible candidate; else the reference (feed/sitemap) date.

    `candidates` are (value, source) pairs, best first. A candidate is plausible
    when it is not in the future and, if the feed gave a date, within `max_skew`
    of it. When a page gives only a day and the feed an exact time on that day,
    the feed's time is kept: it is the more precise statement of the same fact.
    A chosen time without an offset gives way to a plausible statement of the
    same time with one (see the module docstring). The value is written as
    the page stated it: with its offset; without one when the page gave
    none (a local wall clock it did not place: written as UTC it would
    claim an offset, two hours off on a German page); a day without a time
    as a day ("2026-07-19": as midnight UTC it would be the evening before
    wherever the clock is behind UTC). Records read a value without an
    offset as UTC (`parse_published`).
    """
    now = now or datetime.now(timezone.utc)
    ref = _parse(reference)
    if ref is not None and ref > now + FUTURE_TOLERANCE:
        ref = None
    plausible: list[tuple[datetime, str, str]] = []
    for value, source in candidates:
        when = parse_stated(value)
        if when is None or as_utc(when) > now + FUTURE_TOLERANCE:
            continue
        if ref is not None and abs(as_utc(when) - ref) > max_skew:
            continue
        plausible.append((when, source, value))
    if plausible:
        when, source, value = plausible[0]
        if ref is not None and len(value.strip()) <= 10 and as_utc(when).date() == ref.date():
            return DateChoice(ref.isoformat(), "feed")
        if when.tzinfo is None and (stated := _with_offset(when, [(w, s) for w, s, _ in plausible[1:]])):
            when, source = stated
        elif _is_day(value, when):
            return DateChoice(when.date().isoformat(), source)
        return DateChoice(when.isoformat(), source)
    if ref is not None:
        return DateChoice(ref.isoformat(), "feed")
    return DateChoice(None, "none")
