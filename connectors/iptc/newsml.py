"""NewsML-G2: each `newsItem` of a `newsMessage` (or a bare `newsItem`) as an input record.

Parsed incrementally with lxml's iterparse, so a message of thousands of items
costs one item's memory, with entity expansion, DTDs and network access off:
a wire feed is untrusted XML. An XML error midway ends the document there, after
the items already read; an item that cannot be read is a dead letter of its own.
What is read is documented in `schemas/json/newsml-g2-item.md`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

from newsbeam.connectors.iptc.common import (
    html_text,
    language_of,
    markup_text,
    pubstatus_of,
    subject_code,
    version_of,
)
from newsbeam.connectors.records import RawRecord
from newsbeam.schemas import DeadLetter, RecordError

NEWSML_NAMESPACE = "http://iptc.org/std/nar/2006-10-01/"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STAGE = "read"
#: G2 items that are not stories: they are reported, not indexed.
_OTHER_ITEMS = frozenset({"packageItem", "conceptItem", "knowledgeItem", "planningItem", "catalogItem"})
#: The IPTC root elements a NewsML-G2 document starts with.
ROOTS = frozenset({"newsMessage", "newsItem", *_OTHER_ITEMS})


def _q(name: str) -> str:
    return f"{{{NEWSML_NAMESPACE}}}{name}"


def _text(element: etree._Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _name_of(element: etree._Element) -> str:
    """A G2 property's human name: its `<name>` child, else its `literal`, else its QCode."""
    return _text(element.find(_q("name"))) or element.get("literal") or element.get("qcode") or ""


def _body(item: etree._Element) -> str:
    """The text of the item's first `inlineXML`, else its first textual `inlineData`."""
    content_set = item.find(_q("contentSet"))
    if content_set is None:
        return ""
    for inline in content_set.iter(_q("inlineXML")):
        text = markup_text(inline)
        if text:
            return text
    for inline in content_set.iter(_q("inlineData")):
        data = inline.text or ""
        kind = (inline.get("contenttype") or "text/plain").split(";", 1)[0].strip().lower()
        text = html_text(data) if "html" in kind else data.strip()
        if text:
            return text
    return ""


def newsitem_record(item: etree._Element) -> dict[str, Any]:
    """A `newsItem` element as an input record; `RecordError` when it cannot be one."""
    guid = (item.get("guid") or "").strip()
    if not guid:
        raise RecordError("schema_invalid", "newsItem has no guid")
    meta = item.find(_q("itemMeta"))
    content = item.find(_q("contentMeta"))
    if meta is None:
        raise RecordError("schema_invalid", "newsItem has no itemMeta")
    if content is None:
        content = etree.Element(_q("contentMeta"))
    version_created = _text(meta.find(_q("versionCreated"))) or None
    first_created = _text(meta.find(_q("firstCreated"))) or None
    status = meta.find(_q("pubStatus"))
    provider = meta.find(_q("provider"))
    language = content.find(_q("language"))
    headline = content.find(_q("headline"))
    return {
        "id": guid,
        "url": next((link.get("href") for link in meta.findall(_q("link"))
                     if (link.get("rel") or "").endswith(("canonical", "alternate")) and link.get("href")), None),
        "title": _text(headline),
        "text": _body(item),
        "published": first_created or version_created,
        "source": _name_of(provider) if provider is not None else "",
        "language": language_of(language.get("tag") if language is not None else item.get(_XML_LANG)),
        "authors": [name for name in (_name_of(c) for c in content.findall(_q("creator"))) if name],
        "version": version_of(item.get("version")),
        "pubstatus": pubstatus_of(status.get("qcode") if status is not None else None),
        "subjects": list(dict.fromkeys(subject_code(s.get("qcode") or s.get("uri") or "")
                                       for s in content.findall(_q("subject")) if s.get("qcode") or s.get("uri"))),
        "wire": {
            "format": "newsml-g2",
            "guid": guid,
            "version_created": version_created,
            "first_created": first_created,
            "located": [name for name in (_name_of(p) for p in content.findall(_q("located"))) if name],
            "links": [{"rel": link.get("rel") or "", "href": link.get("href")}
                      for link in meta.findall(_q("link")) if link.get("href")],
            "signals": [s.get("qcode") or s.get("uri") for s in meta.findall(_q("signal"))
                        if s.get("qcode") or s.get("uri")],
        },
    }


def read_newsml(stream: IO[bytes], origin: str) -> Iterator[RawRecord | DeadLetter]:
    """One record per `newsItem` of a NewsML-G2 document, a dead letter per item or document that fails.

    `origin` names the document; each record's origin adds its guid and version,
    so a correction is a different item from the story it corrects.
    """
    events = etree.iterparse(stream, events=("start", "end"), resolve_entities=False, no_network=True,
                             load_dtd=False, huge_tree=False, recover=False, remove_comments=True)
    root = None
    items = 0
    try:
        for event, element in events:
            name = etree.QName(element.tag) if isinstance(element.tag, str) else None
            if event == "start":
                if root is None:
                    root = element
                    if name is None or name.namespace != NEWSML_NAMESPACE or name.localname not in ROOTS:
                        yield DeadLetter.of(STAGE, "unknown_format",
                                            f"root element <{name and name.localname}> is not NewsML-G2", origin, "")
                        return
                continue
            if name is None or name.namespace != NEWSML_NAMESPACE:
                continue
            if name.localname == "newsItem":
                items += 1
                yield _item(element, origin)
            elif name.localname in _OTHER_ITEMS:
                yield DeadLetter.of(STAGE, "not_news_item", f"a NewsML-G2 {name.localname} holds no story", origin,
                                    element.get("guid") or "")
            elif element is root and items == 0:
                yield DeadLetter.of(STAGE, "empty_text", "newsMessage holds no newsItem", origin, "")
            else:
                continue
            if element is not root:  # an item read is dropped, with what came before it
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        yield DeadLetter.of(STAGE, "malformed_xml", f"XML error: {error}", origin, "")


def _item(element: etree._Element, origin: str) -> RawRecord | DeadLetter:
    try:
        record = newsitem_record(element)
    except RecordError as error:
        raw = etree.tostring(element, encoding="unicode")
        return DeadLetter.of(STAGE, error.reason, error.detail, origin, raw)
    return RawRecord(f"{origin}#{record['id']}@{record['version']}", record)
