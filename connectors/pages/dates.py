"""Which publication date to believe for a page.

Structured claims (JSON-LD `datePublished`, publication meta tags) come first:
the publisher wrote them for machines. htmldate's heuristics (via trafilatura)
come next, and the feed or sitemap's own date last. Any candidate in the future,
or far from the date the feed gave for the same item, is rejected: those are the
"Copyright 2031", "updated daily" and related-article dates that put stories in
the wrong week.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from newsbeam.connectors.pages.tags import PageTags, attributes
from newsbeam.pipelines.normalize.dates import parse_published
from newsbeam.schemas import RecordError

_ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
                  "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting",
                  "report", "webpage"}
#: Meta tags that state a publication (not modification) time, best first.
_META_NAMES = ("article:published_time", "og:article:published_time", "datepublished", "pubdate",
               "publishdate", "publish-date", "parsely-pub-date", "sailthru.date", "dc.date.issued",
               "dcterms.created", "dc.date", "date")
#: A page date this much in the future is a wrong date, not an early-published story.
FUTURE_TOLERANCE = timedelta(hours=12)


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


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", [])
    return {str(k).lower() for k in (kind if isinstance(kind, list) else [kind])}


def structured_dates(tags: PageTags, json_ld: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """(value, source) candidates from JSON-LD article objects, then meta tags,
    then `<time itemprop=datePublished>`.

    `json_ld` is the page's `json_ld_objects`: they are parsed once per page
    and shared with the wall checks.
    """
    for node in json_ld:
        if _types(node) & _ARTICLE_TYPES and isinstance(node.get("datePublished"), str):
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


def _parse(value: str | None) -> datetime | None:
    try:
        return parse_published(value)
    except RecordError:
        return None


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
    """
    now = now or datetime.now(timezone.utc)
    ref = _parse(reference)
    if ref is not None and ref > now + FUTURE_TOLERANCE:
        ref = None
    for value, source in candidates:
        when = _parse(value)
        if when is None or when > now + FUTURE_TOLERANCE:
            continue
        if ref is not None:
            if abs(when - ref) > max_skew:
                continue
            if len(value.strip()) <= 10 and when.date() == ref.date():
                return DateChoice(ref.isoformat(), "feed")
        return DateChoice(when.isoformat(), source)
    if ref is not None:
        return DateChoice(ref.isoformat(), "feed")
    return DateChoice(None, "none")
