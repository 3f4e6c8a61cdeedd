"""Single-article files: plain text with an optional headline line, or an HTML page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from newsbeam.connectors.pages.extract import extract_article
from newsbeam.pipelines.normalize.text import is_chrome
from newsbeam.schemas import RecordError

_MAX_HEADLINE_CHARS = 200
_MAX_HEADLINE_WORDS = 30
_SENTENCE_END = re.compile(r"[.;,]$")


def _looks_like_headline(line: str) -> bool:
    """A short line that does not end like a sentence: how headlines are written."""
    return (
        0 < len(line) <= _MAX_HEADLINE_CHARS
        and len(line.split()) <= _MAX_HEADLINE_WORDS
        and not _SENTENCE_END.search(line)
    )


def parse_text_article(raw: str) -> dict[str, Any]:
    """Split a `.txt` article into title and text.

    The first non-empty line is the headline when it looks like one (short, not
    ending like a sentence); otherwise the article has no headline and every line is
    text. Chrome lines are dropped later, by the normalize stage.
    """
    lines = raw.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip() and not is_chrome(line)), None)
    if first is None:
        return {"title": "", "text": ""}
    if _looks_like_headline(lines[first].strip()):
        return {"title": lines[first].strip(), "text": "\n".join(lines[first + 1 :])}
    return {"title": "", "text": "\n".join(lines[first:])}


def parse_html_article(html: str, url: str | None = None) -> dict[str, Any]:
    """Main text and metadata of an article page (see `connectors.pages.extract`)."""
    return extract_article(html, url)


def read_document(path: Path) -> dict[str, Any]:
    """The input record for one `.txt` or `.html` file (without id or url)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RecordError("bad_encoding", f"not UTF-8: {error.reason} at byte {error.start}") from None
    if path.suffix.lower() == ".txt":
        return parse_text_article(text)
    return parse_html_article(text)
