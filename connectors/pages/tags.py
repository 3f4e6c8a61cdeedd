"""The few tags newsbeam reads from a page itself, found by a scan instead of a parse.

Dates and walls need only the `<html lang>`, the `<meta>` and `<time>` tags and
the JSON-LD scripts, while trafilatura needs the whole page as a tree. Parsing
the page once with lxml and handing trafilatura that tree costs more than
letting trafilatura parse the text itself: it copies any tree it is given
(about a third of a parse, on 100-300 kB pages a few per cent of the whole
extraction). So the page text goes to trafilatura, and these tags are found by
a scan that follows the HTML tokenizer's rules where they matter here: nothing
inside a comment counts, and the raw text of `<script>`, `<style>`,
`<textarea>` and `<title>` is skipped up to its end tag (a script that writes
`<meta ...>` does not add a meta tag). Attribute values may be quoted with
either quote (and then contain `>`), unquoted, or carry character references.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

#: Where something of interest may start: a comment, or one of the tags below.
#: Matched on the page's UTF-8 bytes lowered: HTML tag names are ASCII
#: case-insensitive, and `bytes.lower` is exactly that, keeps every offset, and
#: lets the pattern do without `re.IGNORECASE` (which makes it twice as slow).
_START = re.compile(rb"<(?:(!--)|(script|style|textarea|title|html|meta|time)(?=[\s/>]))")
#: The rest of a start tag: its attribute text, quotes respected, then `>`.
_TAG_REST = re.compile(rb"""((?:[^>"']+|"[^"]*"|'[^']*')*)>""")
#: Elements whose content is raw text, with what ends it.
_RAW_TEXT = {b"script": b"</script", b"style": b"</style", b"textarea": b"</textarea", b"title": b"</title"}
_END_TAG_CLOSE = re.compile(rb"[\s/>]")
_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def attributes(text: str) -> dict[str, str]:
    """A start tag's attributes (the text between its name and `>`), names
    lower-cased and character references resolved; the first of a repeated
    attribute wins, as in the HTML parsers."""
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1).lower()
        if name not in found:
            value = next((v for v in match.group(2, 3, 4) if v is not None), "")
            found[name] = html.unescape(value) if "&" in value else value
    return found


@dataclass(frozen=True, slots=True)
class PageTags:
    """What `scan_tags` found. Tags are kept as their raw attribute text (see
    `attributes`): most `<meta>` tags are never looked at, so they are not read."""

    lang: str | None
    metas: tuple[str, ...]
    times: tuple[str, ...]
    #: Contents of `<script type="application/ld+json">`, in page order.
    json_ld: tuple[str, ...]


def _raw_text_end(lowered: bytes, name: bytes, start: int) -> int:
    """Where the raw text of element `name` opened before `start` ends: at its
    end tag (`</script` then space, `/` or `>`), else at the end of the page."""
    needle = _RAW_TEXT[name]
    while (end := lowered.find(needle, start)) >= 0:
        if _END_TAG_CLOSE.match(lowered, end + len(needle)) or end + len(needle) == len(lowered):
            return end
        start = end + len(needle)
    return len(lowered)


def scan_tags(page: str) -> PageTags:
    """The `<html lang>`, `<meta>`, `<time>` and JSON-LD scripts of a page."""
    raw = page.encode("utf-8", "surrogatepass")
    lowered = raw.lower()
    lang: str | None = None
    seen_html = False
    metas: list[str] = []
    times: list[str] = []
    json_ld: list[str] = []
    position = 0
    while start := _START.search(lowered, position):
        if start.group(1):
            end = lowered.find(b"-->", start.end())
            position = len(lowered) if end < 0 else end + 3
            continue
        rest = _TAG_REST.match(raw, start.end())
        if rest is None:  # a start tag cut off by the end of the page
            break
        name, position = start.group(2), rest.end()
        if name in _RAW_TEXT:
            content_end = _raw_text_end(lowered, name, position)
            if name == b"script" and b"ld+json" in lowered[rest.start(1):rest.end(1)]:
                if attributes(_text(rest.group(1))).get("type", "").strip().lower() == "application/ld+json":
                    json_ld.append(_text(raw[position:content_end]))
            position = content_end
        elif name == b"meta":
            metas.append(_text(rest.group(1)))
        elif name == b"time":
            times.append(_text(rest.group(1)))
        elif not seen_html:
            lang, seen_html = attributes(_text(rest.group(1))).get("lang"), True
    return PageTags(lang, tuple(metas), tuple(times), tuple(json_ld))


def _text(piece: bytes) -> str:
    return piece.decode("utf-8", "surrogatepass")
