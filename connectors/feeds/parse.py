"""RSS 0.9x/2.0, Atom and RDF feeds to item hints, via feedparser."""

from __future__ import annotations

import re
from calendar import timegm
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin

import feedparser
import lxml.html

from newsbeam.connectors.pages import ItemHint
from newsbeam.connectors.pages.extract import language_code
from newsbeam.pipelines.normalize.text import strip_tags
from newsbeam.schemas import RecordError

_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(p|div|li|h[1-6]|blockquote|tr)>")


def html_to_text(value: str) -> str:
    """Plain text of a summary's HTML fragment, one paragraph per line."""
    if "<" not in value:
        return value.strip()
    marked = _BLOCK_END.sub(lambda m: m.group(0) + "\n", value)
    try:
        return lxml.html.fragment_fromstring(marked, create_parent="div").text_content().strip()
    except (ValueError, lxml.etree.ParserError):
        return strip_tags(value).strip()


def _iso(parsed_time: Any) -> str | None:
    if not parsed_time:
        return None
    return datetime.fromtimestamp(timegm(parsed_time), tz=timezone.utc).isoformat()


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    items: list[ItemHint]
    #: Entries that could not become items, as (detail, raw entry).
    skipped: list[tuple[str, dict[str, Any]]]


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Items of a feed document, or `RecordError("malformed_feed")`.

    feedparser always gets bytes, never a URL: given a string it would fetch it
    itself, past the HTTP layer's guards. It gets the Content-Type, so it
    does not have to guess the encoding, but not the feed's URL: with a base
    URL it joins one onto every element it reads (a fifth of its time), while
    only item links need it, and those are joined here (after any `xml:base`
    feedparser applied). URIs inside summary HTML are not made absolute, since
    summaries become plain text. A feed with recoverable errors (bad entity,
    wrong declared encoding) still yields what feedparser could read.
    """
    parsed = feedparser.parse(body, response_headers={"content-type": content_type or ""},
                              sanitize_html=False, resolve_relative_uris=False)
    # `.get`: an empty document has no `version` key, and the attribute would raise.
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        problem = parsed.get("bozo_exception") or "no feed version recognised"
        served = f" (served as {content_type.split(';', 1)[0].strip()!r})" if content_type else ""
        raise RecordError("malformed_feed", f"not a readable feed{served}: {problem}")
    feed = parsed.feed
    source = html_to_text(feed.get("title", ""))
    language = language_code(feed.get("language"))
    items, skipped = [], []
    for entry in parsed.entries:
        link = entry.get("link") or (entry.get("id") if str(entry.get("id", "")).startswith("http") else "")
        if not link:
            skipped.append(("entry has no link", dict(entry)))
            continue
        link = urljoin(url, link.strip())
        texts = [c.get("value", "") for c in entry.get("content", [])] + [entry.get("summary", "")]
        authors = tuple(a["name"] for a in entry.get("authors", []) if a.get("name"))
        items.append(ItemHint(
            url=link,
            key=f"{url} {entry.get('id') or link}",
            listed_in=url,
            title=html_to_text(entry.get("title", "")),
            summary=max((html_to_text(t) for t in texts), key=len),
            published=_iso(entry.get("published_parsed") or entry.get("updated_parsed")),
            source=source,
            language=language_code(entry.get("language")) or language,
            authors=authors,
        ))
    return ParsedFeed(source, items, skipped)
