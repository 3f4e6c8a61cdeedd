"""Which publication date to believe for a page.

Structured claims (JSON-LD `datePublished`, publication meta tags) come first:
the publisher wrote them for machines. htmldate's heuristics come next (asked
by `extract` only when no structured claim is plausible), and the feed or
sitemap's own date last. Any candidate in the future,
or far from the date the feed gave for the same item, is rejected: those are the
"Copyright 2031", "updated daily" and related-article dates that put stories in
the wrong week.

A date keeps the offset the page stated. Pages often state the same time
twice, once with an offset and once without (a meta tag with `+02:00`, a
`<time>` without): the offset-less one is the local wall clock, not UTC, so it
gives way to the stated offset. Zone abbreviations ("CEST", "MESZ", "JST")
are read as their offsets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from newsbeam.connectors.pages.signals import ARTICLE_TYPES, json_ld_types
from newsbeam.connectors.pages.tags import PageTags, attributes

_ARTICLE_TYPES = ARTICLE_TYPES | {"webpage"}
#: Meta tags that state a publication (not modification) time, best first.
_META_NAMES = ("article:published_time", "og:article:published_time", "datepublished", "pubdate",
               "publishdate", "publish-date", "parsely-pub-date", "sailthru.date", "dc.date.issued",
               "dcterms.created", "dc.date", "date")
#: A page date this much in the future is a wrong date, not an early-published story.
FUTURE_TOLERANCE = timedelta(hours=12)
#: Offsets of the zone abbreviations news pages print, in minutes. "IST" is
#: India's: Irish and Israeli pages print offsets or IDT/IST rarely, Indian
#: news sites print "IST" on every story.
_ZONES = {"UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "CEST": 120,
          "MEZ": 60, "MESZ": 120, "EET": 120, "EEST": 180, "MSK": 180, "TRT": 180, "SAST": 120, "CAT": 120,
          "EAT": 180, "WAT": 60, "PKT": 300, "IST": 330, "NPT": 345, "ICT": 420, "WIB": 420, "SGT": 480,
          "HKT": 480, "PHT": 480,
          "AWST": 480, "JST": 540, "KST": 540, "ACST": 570, "AEST": 600, "AEDT": 660, "NZST": 720,
          "NZDT": 780, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
          "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600, "ART": -180, "BRT": -180}
#: An offset set off by a space ("2026-03-02 10:30:00 +0200"), which ISO-8601 parsing refuses.
_SPACED_OFFSET = re.compile(r"\s+([+-]\d{2}:?\d{2})$")
_ZONE = re.compile(r"(?<=[\d\s])(" + "|".join(sorted(_ZONES, key=len, reverse=True)) + r")\b")
#: Two statements of one time, one with an offset and one without, differ by
#: at most the widest offset.
_WIDEST_OFFSET = timedelta(hours=14)


@dataclass(frozen=True, slots=True)
class DateChoice:
    """The chosen date (ISO-8601, or None) and where it came from, for the record's notes."""

    value: str | None
    source: str


def _walk_json_ld(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_json_ld(item)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if key in node:
                yield from _walk_json_ld(node[key])


def json_ld_objects(scripts: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object in the page's JSON-LD `scripts`, `@graph` members
    included; bad JSON is skipped."""
    for script in scripts:
        if not script:
            continue
        try:
            yield from _walk_json_ld(json.loads(script))
        except ValueError:
            continue


def structured_dates(tags: PageTags, json_ld: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """(value, source) candidates from JSON-LD article objects, then meta tags,
    then `<time itemprop=datePublished>`.

    `json_ld` is the page's `json_ld_objects`: they are parsed once per page
    and shared with the wall checks.
    """
    for node in json_ld:
        if json_ld_types(node) & _ARTICLE_TYPES and isinstance(node.get("datePublished"), str):
            yield node["datePublished"], "json-ld"
    metas = {}
    for raw in tags.metas:
        lowered = raw.lower()
        if not any(name in lowered for name in _META_NAMES):
            continue  # most meta tags name no date; reading their attributes is the cost here
        meta = attributes(raw)
        name = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if name in _META_NAMES and meta.get("content") and name not in metas:
            metas[name] = meta["content"].strip()
    for name in _META_NAMES:
        if name in metas:
            yield metas[name], f"meta:{name}"
    for raw in tags.times:
        if "datepublished" not in raw.lower():
            continue  # a comment's or a related story's time, not this article's
        time_element = attributes(raw)
        if time_element.get("itemprop", "").lower() == "datepublished" and time_element.get("datetime"):
            yield time_element["datetime"], "time[itemprop=datePublished]"


def parse_page_date(value: str | None) -> datetime | None:
    """A page's date as stated: with its offset (a zone abbreviation read as
    one), or naive when the page gave none; None when unreadable."""
    text = (value or "").strip()
    if not text:
        return None
    if zone := _ZONE.search(text):
        minutes = _ZONES[zone.group(1)]
        sign = "-" if minutes < 0 else "+"
        text = f"{text[:zone.start()]}{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}{text[zone.end():]}"
    try:
        return datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1", text))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _utc(when: datetime) -> datetime:
    """An instant: a naive date is read as UTC, as the rest of newsbeam reads it."""
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def _parse(value: str | None) -> datetime | None:
    when = parse_page_date(value)
    return None if when is None else _utc(when)


def _with_offset(naive: datetime, candidates: list[tuple[datetime, str]]) -> tuple[datetime, str] | None:
    """The statement among `candidates` of the same time as `naive` with an
    offset: the same wall clock if one is, else the same day within the widest offset."""
    stated = [(when, source) for when, source in candidates if when.tzinfo is not None]
    same_clock = [(w, s) for w, s in stated if w.replace(tzinfo=None) == naive]
    near = [(w, s) for w, s in stated if w.date() == naive.date()
            and abs(w.replace(tzinfo=None) - naive) <= _WIDEST_OFFSET and (w.hour, w.minute) != (0, 0)]
    return next(iter(same_clock or near), None)


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
    same time with one (see the module docstring). The value keeps the
    page's offset; one without is written as UTC.
    """
    now = now or datetime.now(timezone.utc)
    ref = _parse(reference)
    if ref is not None and ref > now + FUTURE_TOLERANCE:
        ref = None
    plausible: list[tuple[datetime, str, str]] = []
    for value, source in candidates:
        when = parse_page_date(value)
        if when is None or _utc(when) > now + FUTURE_TOLERANCE:
            continue
        if ref is not None and abs(_utc(when) - ref) > max_skew:
            continue
        plausible.append((when, source, value))
    if plausible:
        when, source, value = plausible[0]
        if ref is not None and len(value.strip()) <= 10 and _utc(when).date() == ref.date():
            return DateChoice(ref.isoformat(), "feed")
        if when.tzinfo is None and (stated := _with_offset(when, [(w, s) for w, s, _ in plausible[1:]])):
            when, source = stated
        return DateChoice(when.isoformat() if when.tzinfo is not None else _utc(when).isoformat(), source)
    if ref is not None:
        return DateChoice(ref.isoformat(), "feed")
    return DateChoice(None, "none")
