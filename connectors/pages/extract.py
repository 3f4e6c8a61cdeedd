"""An article page to an input record: main text and metadata by trafilatura, vetted.

This is newsbeam's only HTML extraction path: fetched pages, WARC records and
local `.html` files all come through `extract_article`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from trafilatura.utils import load_html

from newsbeam.connectors.pages.dates import choose_published, json_ld_objects, structured_dates
from newsbeam.connectors.pages.tags import scan_tags
from newsbeam.connectors.pages.walls import PageMarkup, wall_reason
from newsbeam.schemas import RecordError


@dataclass(frozen=True, slots=True)
class ExtractSettings:
    """Extraction choices; plain data so Beam can pickle it."""

    #: A page date further than this from the feed/sitemap date is not believed.
    max_date_skew_days: float = 7.0
    #: Fewer words than this after extraction is no article.
    min_words: int = 5


def language_code(value: str | None) -> str | None:
    """`en-GB` → `en`; anything that is not a two-letter code → None."""
    code = (value or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return code if len(code) == 2 and code.isalpha() else None


def _site_name(name: str | None, url: str | None) -> str:
    """The outlet's name, or "" when trafilatura only echoed the host name back."""
    name = (name or "").strip()
    host = urlsplit(url or "").hostname or ""
    return "" if name.lower() in (host, host.removeprefix("www."), urlsplit(url or "").netloc) else name


def _markup(html: str, json_ld: list[dict[str, Any]]) -> PageMarkup:
    return PageMarkup.read(load_html(html), json_ld)


def extract_article(
    html: str,
    url: str | None = None,
    *,
    reference_date: str | None = None,
    crawled_at: datetime | None = None,
    settings: ExtractSettings = ExtractSettings(),
) -> dict[str, Any]:
    """The input record (`title`, `text`, `published`, `source`, `language`,
    `authors`, maybe `url`) of an article page, or `RecordError` saying why not.

    `reference_date` is what the feed or sitemap said about the item's date; it
    is used to reject implausible page dates and as the fallback date.
    `crawled_at` (an archive's capture time; default now) is the latest
    publication date that can be true.
    """
    # trafilatura gets the text, not a tree of ours: it would copy a tree (see
    # `tags`), and what newsbeam reads itself is found by a scan.
    tags = scan_tags(html)
    json_ld = list(json_ld_objects(tags.json_ld))
    candidates = list(structured_dates(tags, json_ld))
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, favor_precision=True
    )
    if document is None and load_html(html) is None:
        raise RecordError("empty_extraction", "not parseable as HTML")
    text = ((document.text if document is not None else "") or "").strip()
    title = (document.title if document is not None else "") or ""
    # `wall_reason` reads the page (and parses it for the markup) only for short texts.
    if wall := wall_reason(url=url or "", html=html, markup=partial(_markup, html, json_ld), title=title, text=text):
        raise RecordError(*wall)
    if (words := len(text.split(maxsplit=settings.min_words))) < settings.min_words:  # exact below the minimum
        raise RecordError("empty_extraction", f"trafilatura found {words} words of main text")
    if document.date:
        candidates.append((document.date, "htmldate"))
    published = choose_published(
        candidates, reference=reference_date, max_skew=timedelta(days=settings.max_date_skew_days), now=crawled_at
    )
    authors = [a.strip() for a in (document.author or "").split(";") if a.strip()]
    record = {
        "title": title,
        "text": text,
        "published": published.value,
        "source": _site_name(document.sitename, url),
        "language": document.language or language_code(tags.lang),
        "authors": authors,
    }
    if document.url and not url:
        record["url"] = document.url
    return record
