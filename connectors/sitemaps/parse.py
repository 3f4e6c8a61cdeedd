"""Sitemap documents: indexes, URL sets, and the Google News extension.

Parsed incrementally with lxml's iterparse (a sitemap may hold 50,000 URLs),
with entity expansion and network access off: a sitemap is untrusted XML.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from newsbeam.schemas import RecordError


@dataclass(frozen=True, slots=True)
class SitemapRef:
    """A child sitemap named by a sitemap index."""

    loc: str
    lastmod: str | None = None


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One `<url>`, with what a Google News sitemap adds to it."""

    loc: str
    lastmod: str | None = None
    news_title: str = ""
    news_published: str | None = None
    publication: str = ""
    language: str | None = None


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(element: etree._Element, *path: str) -> str:
    """Text of the first descendant along `path` (local names, any namespace)."""
    node = element
    for name in path:
        node = next((child for child in node if _local(child.tag) == name), None)
        if node is None:
            return ""
    return (node.text or "").strip()


def parse_sitemap(body: bytes) -> Iterator[SitemapRef | SitemapEntry]:
    """The children of a `<sitemapindex>` or the entries of a `<urlset>`.

    Raises `RecordError("malformed_sitemap")` when the document is neither; an
    XML error midway ends the document there, after what was already read.
    """
    events = etree.iterparse(io.BytesIO(body), events=("start", "end"), resolve_entities=False,
                             no_network=True, huge_tree=False, recover=False)
    root_kind = None
    try:
        for event, element in events:
            kind = _local(element.tag)
            if event == "start":
                if root_kind is None:
                    root_kind = kind
                    if kind not in ("sitemapindex", "urlset"):
                        raise RecordError("malformed_sitemap", f"root element <{kind}> is not a sitemap")
                continue
            if kind == "sitemap" and root_kind == "sitemapindex":
                if loc := _child_text(element, "loc"):
                    yield SitemapRef(loc, _child_text(element, "lastmod") or None)
                element.clear()
            elif kind == "url" and root_kind == "urlset":
                if loc := _child_text(element, "loc"):
                    yield SitemapEntry(
                        loc=loc,
                        lastmod=_child_text(element, "lastmod") or None,
                        news_title=_child_text(element, "news", "title"),
                        news_published=_child_text(element, "news", "publication_date") or None,
                        publication=_child_text(element, "news", "publication", "name"),
                        language=_child_text(element, "news", "publication", "language").lower() or None,
                    )
                element.clear()
    except etree.XMLSyntaxError as error:
        raise RecordError("malformed_sitemap", f"XML error: {error}") from None
    if root_kind is None:
        raise RecordError("malformed_sitemap", "empty document")
