"""Publication times as sources state them: ISO-8601, RFC 2822, zone abbreviations.

One parser for every source newsbeam reads dates from (feeds, sitemaps,
archives, article pages), so that a date reads the same wherever it is met.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from newsbeam.schemas import RecordError

#: Offsets of the zone abbreviations news sources print, in minutes. "IST" is
#: India's: Irish and Israeli pages print offsets or IDT/IST rarely, Indian
#: news sites print "IST" on every story.
_ZONES = {"UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "CEST": 120,
          "MEZ": 60, "MESZ": 120, "EET": 120, "EEST": 180, "MSK": 180, "TRT": 180, "SAST": 120, "CAT": 120,
          "EAT": 180, "WAT": 60, "PKT": 300, "IST": 330, "NPT": 345, "ICT": 420, "WIB": 420, "SGT": 480,
          "HKT": 480, "PHT": 480,
          "AWST": 480, "JST": 540, "KST": 540, "ACST": 570, "AEST": 600, "AEDT": 660, "NZST": 720,
          "NZDT": 780, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
          "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600, "ART": -180, "BRT": -180}
_ZONE = re.compile(r"(?<=[\d\s])(" + "|".join(sorted(_ZONES, key=len, reverse=True)) + r")\b")
#: Digits of a Unix time stated in seconds (1762590240, from 2001 to 2286) or milliseconds
#: (1762590240000), which some pages put in a meta tag; a year or a bare day has fewer.
_EPOCH_DIGITS = {10: 1, 13: 1000}
#: An offset set off by a space ("2026-03-02 10:30:00 +0200"), which ISO-8601 parsing refuses.
_SPACED_OFFSET = re.compile(r"\s+([+-]\d{2}:?\d{2})$")


def parse_stated(value: str | None) -> datetime | None:
    """A date as its source stated it: with its offset (a zone abbreviation
    read as one), or naive when the source gave none; a Unix time as UTC;
    None when empty or unreadable.

    The naive result is kept naive on purpose: an article page that states
    the same time with and without an offset says the offset-less one is a
    local wall clock (see `connectors.pages.dates`).
    """
    text = str(value or "").strip()
    if not text:
        return None
    if text.isdigit() and len(text) in _EPOCH_DIGITS:  # Unix time, in seconds or milliseconds
        return datetime.fromtimestamp(int(text) / _EPOCH_DIGITS[len(text)], tz=timezone.utc)
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


def as_utc(when: datetime) -> datetime:
    """An instant in UTC; a naive time is read as UTC, as the rest of newsbeam reads it."""
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def parse_published(value: str | None) -> datetime | None:
    """Parse the date formats news sources really send, or reject the record.

    An unknown format is an error, not a silent `None`: a wrong time would put the
    article in the wrong event, and a dead letter lets the user see and fix it.
    A date without an offset is taken as UTC.
    """
    if value is None or not str(value).strip():
        return None
    parsed = parse_stated(value)
    if parsed is None:
        raise RecordError("bad_date", f"unrecognised date {str(value).strip()[:80]!r}; use ISO-8601 or RFC 2822")
    return as_utc(parsed)
