"""Feed discovery: the feeds a site's HTML page announces with <link rel="alternate">."""

from __future__ import annotations

from urllib.parse import urljoin

import lxml.html

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json",
              "application/xml", "text/xml"}


def discover_feeds(html: str, base_url: str) -> list[str]:
    """Absolute URLs of the feeds the page links to, in page order, without repeats."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    found = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";", 1)[0].strip().lower()
        if "alternate" in rel and kind in FEED_TYPES and kind != "application/feed+json" and link.get("href"):
            found.append(urljoin(base_url, link.get("href").strip()))
    return list(dict.fromkeys(found))


def looks_like_html(body: bytes, mime: str) -> bool:
    """A page rather than a feed: feeds are often served as text/html, so the body decides."""
    head = body[:2048].lstrip().lower()
    if any(marker in head for marker in (b"<rss", b"<feed", b"<rdf")):
        return False
    return head.startswith((b"<!doctype html", b"<html")) or mime in ("text/html", "application/xhtml+xml")
