"""Clean article text and fingerprint it."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Lines that page chrome leaves in copied or extracted text. Only short lines are
# matched, so a paragraph that happens to start with "Share" is never dropped.
_CHROME = re.compile(
    r"""^(?:
        \d+\s*min(?:ute)?s?\s+read
      | share(?:\s+this)?(?:\s+(?:article|story|post))?
      | (?:tags|comments?|advertisement|editor|by|related(?:\s+articles?)?|read\s+more)
      | comments?\s*\(\d+\)
      | leave\s+(?:the\s+first|a)\s+comment
      | what\s+is\s+your\s+opinion\s+on\s+this\s+topic\??
      | (?:sign\s+up|subscribe)\s+(?:for|to)\s+our\s+newsletter.*
      | follow\s+us\s+on\s+\w+.*
      | with\s+agency\s+reports
    )[.:!]?$""",
    re.IGNORECASE | re.VERBOSE,
)
_MAX_CHROME_CHARS = 60
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PLAIN_QUOTES = {"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'}
_QUOTES = str.maketrans(_PLAIN_QUOTES)
_QUOTES_AND_DASHES = str.maketrans({**_PLAIN_QUOTES, "–": "-", "—": "-"})
#: A tag, for markup that reaches newsbeam as text (JSON-stated bodies, feed summaries).
_TAG = re.compile(r"<[^>]*>")


def strip_tags(markup: str, replacement: str = " ") -> str:
    """`markup` with every tag replaced by `replacement` (a space, so that
    `<p>One</p><p>Two</p>` keeps two words; "" where tags sit inside words)."""
    return _TAG.sub(replacement, markup) if "<" in markup else markup


def plain_punctuation(text: str) -> str:
    """Typographic quotes and dashes as their plain forms: two spellings of one
    title compare equal."""
    return text.translate(_QUOTES_AND_DASHES)


def is_chrome(line: str) -> bool:
    """True for a line that is page furniture ("3 Min Read", "Share This Article")."""
    line = line.strip()
    return len(line) <= _MAX_CHROME_CHARS and bool(_CHROME.match(line))


def clean_text(text: str) -> str:
    """NFC-normalize, drop control characters and chrome lines, keep paragraphs."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    paragraphs = []
    for line in text.splitlines():
        # Runs of any Unicode whitespace become one space, ends trimmed.
        line = " ".join(line.split())
        if line and not is_chrome(line):
            paragraphs.append(line)
    return "\n\n".join(paragraphs)


def fold_case_and_quotes(text: str) -> str:
    """Case folded and typographic quotes made plain, as two copies of one story agree on them."""
    return text.translate(_QUOTES).casefold()


def comparison_words(text: str) -> list[str]:
    """The whitespace-separated words of `fold_for_comparison(text)`, without joining them first."""
    return fold_case_and_quotes(text).split()


def fold_for_comparison(text: str) -> str:
    """Text as two copies of one story agree on it: case, quotes and spacing folded."""
    return " ".join(comparison_words(text))


def content_hash(text: str) -> str:
    """A 128-bit fingerprint of the folded text: exact copies under other URLs collide."""
    return hashlib.blake2b(fold_for_comparison(text).encode("utf-8"), digest_size=16).hexdigest()
