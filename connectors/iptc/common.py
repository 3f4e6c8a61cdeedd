"""What both IPTC formats share: publishing status, subject codes, body markup as text."""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from lxml import etree

from newsbeam.connectors.pages.extract import language_code
from newsbeam.schemas import RecordError

#: IPTC's recommended aliases of its own controlled vocabularies, so a code reads the
#: same whether an item names it by URI (ninjs) or by QCode (NewsML-G2).
_IPTC_SCHEMES = {
    "mediatopic": "medtop",
    "subjectcode": "subj",
    "genre": "genre",
    "product": "prod",
    "scene": "scene",
    "worldregion": "wldreg",
}
_IPTC_CV = re.compile(r"^https?://cv\.iptc\.org/newscodes/([a-z0-9]+)/(.+?)/?$", re.IGNORECASE)
#: Elements whose text is a paragraph of its own, in NITF, XHTML and HTML bodies.
_BLOCKS = frozenset({"p", "li", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "dd", "dt", "hl2", "td"})
#: Parts of a body that are not the story's text: NITF's headline block, scripts, styles.
_SKIPPED = frozenset({"body.head", "hedline", "hl1", "head", "script", "style", "title"})


def pubstatus_of(value: Any) -> str:
    """`usable`, `withheld` or `canceled` from a QCode (`stat:canceled`), a URI or a plain word."""
    word = str(value or "usable").strip().lower().replace("cancelled", "canceled")
    return re.split(r"[:/#]", word)[-1] or "usable"


def subject_code(code: str) -> str:
    """One spelling per IPTC code: `http://cv.iptc.org/newscodes/mediatopic/04000000` → `medtop:04000000`.

    Other vocabularies' codes (a provider's own QCodes or URIs) are kept as they are.
    """
    code = code.strip()
    match = _IPTC_CV.match(code)
    if match and (alias := _IPTC_SCHEMES.get(match.group(1).lower())):
        return f"{alias}:{match.group(2)}"
    return code


def version_of(value: Any, default: int = 1) -> int:
    """An item's version as a positive number; `RecordError` when it is not one."""
    if value is None or value == "":
        return default
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1:
        raise RecordError("schema_invalid", f"version {value!r} is not a positive whole number")
    return int(text)


def language_of(tag: str | None) -> str:
    """The two-letter code of an item's language tag (`en-GB` → `en`, `eng` → `en`), which is
    what newsbeam keys on, read as pages' and feeds' tags are; "" when the tag names none."""
    return language_code(tag) or ""


def _local(tag: Any) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def markup_text(root: etree._Element) -> str:
    """The paragraphs of a body in markup (NITF, XHTML, HTML), one per block, headline blocks left out.

    A body with no block elements (a bare text node, inline markup only) is read whole.
    """
    blocks: list[str] = []

    def walk(element: etree._Element) -> None:
        for child in element:
            name = _local(child.tag)
            if name in _SKIPPED:
                continue
            if name in _BLOCKS:
                text = " ".join("".join(child.itertext()).split())
                if text:
                    blocks.append(text)
            else:
                walk(child)

    walk(root)
    if blocks:
        return "\n\n".join(blocks)
    return " ".join("".join(root.itertext()).split())


def html_text(html: str) -> str:
    """The paragraphs of an HTML body (ninjs `body_html`, NewsML-G2 `inlineData` in HTML)."""
    if not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, etree.ParserError):
        return ""
    return markup_text(root)
