"""The few tags newsbeam reads from a page itself, found by a scan instead of a parse.

Dates, titles, authors and walls need only the `<html lang>`, the `<title>`,
the first `<h1>`, the `<meta>` and `<time>` tags, the JSON-LD scripts and the
scripts that carry a JSON state (`json_state`), while
trafilatura needs the whole page as a tree. Parsing
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

from newsbeam.pipelines.normalize.text import strip_tags

#: Where something of interest may start: a comment, or one of the tags below.
#: Matched on the page's UTF-8 bytes, where case-insensitivity is ASCII-only,
#: as it is for HTML tag names. The flag is scoped to the names and the first
#: letter pre-checked: `<` stays a literal the search skips ahead to, and the
#: two thousand other tags of a news page are passed over after one test each
#: (lowering the whole page instead cost a third of the scan).
_START = re.compile(rb"<(?=[!sStThHmM])(?:(!--)|((?i:script|style|textarea|title|html|meta|time|h1))(?=[\s/>]))")
#: The rest of a start tag: its attribute text, quotes respected, then `>`.
_TAG_REST = re.compile(rb"""((?:[^>"']+|"[^"]*"|'[^']*')*)>""")
#: Elements whose content is raw text, with the end tag that ends it: the name,
#: then space, `/`, `>` or the end of the page.
_RAW_TEXT = {name: re.compile(rb"</(?i:" + name + rb")(?=[\s/>]|\Z)")
             for name in (b"script", b"style", b"textarea", b"title")}
_H1_END = re.compile(rb"</(?i:h1)\s*>")
#: A script that assigns a state object to a global (`window.__INITIAL_STATE__ = {`, `var appState = {`):
#: matched at the script's start, the object is the rest of the script.
_STATE_ASSIGNMENT = re.compile(rb"\s*(?:window\.|var\s+|self\.)?(?:__[A-Z_]+__|[A-Za-z_$][\w$]*State)\s*=\s*(?=\{)")
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
    #: The text of the page's first `<title>` and first `<h1>`, references resolved.
    title: str = ""
    h1: str = ""
    #: JSON states in scripts: the contents of `<script type="application/json">`
    #: and the objects scripts assign to globals, as UTF-8 bytes, since they
    #: are read (`json.loads` takes bytes) only on pages with little HTML text.
    json_states: tuple[bytes, ...] = ()


def scan_tags(page: str) -> PageTags:
    """The `<html lang>`, `<title>`, first `<h1>`, `<meta>`, `<time>`, JSON-LD
    and JSON-state scripts of a page."""
    raw = page.encode("utf-8", "surrogatepass")
    lang: str | None = None
    seen_html = False
    metas: list[str] = []
    times: list[str] = []
    json_ld: list[str] = []
    json_states: list[bytes] = []
    title = h1 = None
    position = 0
    while start := _START.search(raw, position):
        if start.group(1):
            end = raw.find(b"-->", start.end())
            position = len(raw) if end < 0 else end + 3
            continue
        rest = _TAG_REST.match(raw, start.end())
        if rest is None:  # a start tag cut off by the end of the page
            break
        name, position = start.group(2).lower(), rest.end()
        if (end_tag := _RAW_TEXT.get(name)) is not None:
            content_end = closing.start() if (closing := end_tag.search(raw, position)) else len(raw)
            if name == b"script" and b"json" in rest.group(1).lower():
                kind = attributes(_text(rest.group(1))).get("type", "").strip().lower()
                if kind == "application/ld+json":
                    json_ld.append(_text(raw[position:content_end]))
                elif kind == "application/json":
                    json_states.append(raw[position:content_end])
            elif name == b"script" and (assigned := _STATE_ASSIGNMENT.match(raw, position, content_end)):
                json_states.append(raw[assigned.end():content_end].rstrip().rstrip(b";"))
            elif name == b"title" and title is None:
                title = _collapsed(html.unescape(_text(raw[position:content_end])))  # raw text: no tags in it
            position = content_end
        elif name == b"h1":
            if h1 is None and (closing := _H1_END.search(raw, position)):
                h1 = _collapsed(html.unescape(strip_tags(_text(raw[position:closing.start()]), "")))
        elif name == b"meta":
            metas.append(_text(rest.group(1)))
        elif name == b"time":
            times.append(_text(rest.group(1)))
        elif not seen_html:
            lang, seen_html = attributes(_text(rest.group(1))).get("lang"), True
    return PageTags(lang, tuple(metas), tuple(times), tuple(json_ld), title or "", h1 or "", tuple(json_states))


def _text(piece: bytes) -> str:
    return piece.decode("utf-8", "surrogatepass")


def _collapsed(text: str) -> str:
    return " ".join(text.split())
