"""ninjs (IPTC's news in JSON), versions 1.x, 2.x and 3.x, as input records.

1.x names one headline and one body (`headline`, `body_text`/`body_html`,
`byline`, `subject`); 2.x and 3.x name lists of them (`headlines`, `bodies`,
`by`, `people`, `subjects`). Both are read, so one feed may mix versions. An
item is checked against `schemas/json/ninjs.schema.json` (the fields read, with
the types every version gives them) before it is mapped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from newsbeam.connectors.iptc.common import html_text, language_of, pubstatus_of, subject_code, version_of
from newsbeam.connectors.records import RawRecord
from newsbeam.schemas import DeadLetter, RecordError
from newsbeam.schemas.validation import check_schema

STAGE = "read"
#: Keys only a ninjs item has (besides its `uri`): how a JSON object is told to be one.
_NINJS_KEYS = frozenset({"headlines", "headline", "bodies", "body_html", "body_text", "versioncreated",
                         "firstcreated", "pubstatus", "byline"})
#: Roles of `people` entries who wrote the item (the others are people it is about).
_AUTHOR_ROLES = ("author", "creator", "writer", "byline")


def is_ninjs(data: Any) -> bool:
    """A JSON value is a ninjs item: an object with a `uri` and a ninjs field, or one that says so."""
    if not isinstance(data, dict) or not isinstance(data.get("uri"), str):
        return False
    standard = data.get("standard")
    return bool(_NINJS_KEYS & data.keys()) or (isinstance(standard, dict) and standard.get("name") == "ninjs")


def _pick(entries: Any, role: str = "main") -> dict[str, Any] | None:
    """The entry of a 2.x/3.x list with `role`, else the first."""
    entries = [e for e in entries or [] if isinstance(e, dict) and e.get("value")]
    return next((e for e in entries if e.get("role") == role), entries[0] if entries else None)


def _body(item: dict[str, Any]) -> str:
    """Plain text of the item's body: a text body when there is one, else its HTML's paragraphs."""
    bodies = [b for b in item.get("bodies") or [] if isinstance(b, dict) and b.get("value")]
    plain = [b for b in bodies if "html" not in (b.get("contenttype") or "text/plain")]
    if chosen := _pick(plain):
        return str(chosen["value"]).strip()
    if chosen := _pick(bodies):
        return html_text(str(chosen["value"]))
    if item.get("body_text"):
        return str(item["body_text"]).strip()
    return html_text(str(item.get("body_html") or ""))


def _names(entries: Any) -> list[str]:
    return [str(e["name"]).strip() for e in entries or [] if isinstance(e, dict) and e.get("name")]


def _authors(item: dict[str, Any]) -> list[str]:
    byline = item.get("by") or item.get("byline")
    if isinstance(byline, str) and byline.strip():
        return [byline.strip()]
    return [str(p["name"]).strip() for p in item.get("people") or []
            if isinstance(p, dict) and p.get("name")
            and any(word in str(p.get("rel") or p.get("role") or "").lower() for word in _AUTHOR_ROLES)]


def _subject(entry: dict[str, Any]) -> str:
    """A subject's code: its 2.x/3.x `uri`, or 1.x's `scheme` + `code`, or its `code` or name."""
    if entry.get("uri"):
        return subject_code(str(entry["uri"]))
    code = str(entry.get("code") or "")
    scheme = str(entry.get("scheme") or "")
    if code and scheme:
        return subject_code(scheme + code if scheme.endswith(("/", ":")) else f"{scheme}:{code}")
    return code or str(entry.get("literal") or entry.get("name") or "")


def ninjs_record(item: Any) -> dict[str, Any]:
    """A ninjs item as an input record; `RecordError` when it is not a readable one."""
    check_schema("ninjs", item)
    headline = _pick(item.get("headlines"))
    located = item.get("located")
    subjects = [*(item.get("subjects") or []), *(item.get("subject") or [])]
    return {
        "id": item["uri"].strip(),
        "url": next((link.get("href") for link in item.get("links") or []
                     if isinstance(link, dict) and link.get("rel") in ("canonical", "alternate", "self")
                     and str(link.get("href", "")).startswith(("http://", "https://"))), None),
        "title": str(headline["value"]).strip() if headline else str(item.get("headline") or "").strip(),
        "text": _body(item),
        "published": item.get("firstcreated") or item.get("versioncreated"),
        "source": str(item.get("copyrightholder") or "").strip(),
        "language": language_of(item.get("language")),
        "authors": _authors(item),
        "version": version_of(item.get("version")),
        "pubstatus": pubstatus_of(item.get("pubstatus")),
        "subjects": list(dict.fromkeys(code for code in (_subject(s) for s in subjects if isinstance(s, dict)) if code)),
        "wire": {
            "format": "ninjs",
            "standard": (item.get("standard") or {}).get("version") if isinstance(item.get("standard"), dict) else None,
            "uri": item["uri"],
            "version_created": item.get("versioncreated"),
            "first_created": item.get("firstcreated"),
            "located": [located] if isinstance(located, str) and located else _names(item.get("places")),
            "people": _names(item.get("people") or item.get("person")),
            "links": [{"rel": str(link.get("rel") or ""), "href": link["href"]}
                      for link in item.get("links") or [] if isinstance(link, dict) and link.get("href")],
            "signals": [str(s.get("uri") or s.get("name") or s) if isinstance(s, dict) else str(s)
                        for s in item.get("signals") or []],
        },
    }


def record_of(data: Any, origin: str) -> RawRecord | DeadLetter:
    """A JSON value as a record: a ninjs item mapped to the article input format, anything else as it is."""
    if not is_ninjs(data):
        return RawRecord(origin, data)
    try:
        record = ninjs_record(data)
    except RecordError as error:
        return DeadLetter.of(STAGE, error.reason, f"ninjs item: {error.detail}", origin, data)
    return RawRecord(f"{origin}#{record['id']}@{record['version']}", record)


def read_json_document(text: str, origin: str) -> Iterator[RawRecord | DeadLetter]:
    """The items of one JSON document: a ninjs item, a list of them, or an article input record."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        yield DeadLetter.of(STAGE, "malformed_json", str(error), origin, text)
        return
    yield from json_document_records(data, origin)


def json_document_records(data: Any, origin: str) -> Iterator[RawRecord | DeadLetter]:
    """The items of one parsed JSON document (`read_json_document`), each as `record_of` makes it."""
    for number, value in enumerate(data if isinstance(data, list) else [data], start=1):
        yield record_of(value, f"{origin}[{number}]" if isinstance(data, list) else origin)
