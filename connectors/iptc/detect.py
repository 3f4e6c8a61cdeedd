"""Tell a document's format from its first bytes, and read it with the matching reader."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

from newsbeam.connectors.iptc.newsml import read_newsml
from newsbeam.connectors.iptc.ninjs import is_ninjs, json_document_records, read_json_document
from newsbeam.connectors.records import RawRecord
from newsbeam.schemas import DeadLetter

STAGE = "read"


def sniff_format(head: bytes) -> str | None:
    """`xml` or `json` from a document's first bytes (after a BOM and white space), else None."""
    start = head.lstrip(b"\xef\xbb\xbf").lstrip()[:1]
    return {b"<": "xml", b"{": "json", b"[": "json"}.get(start)


def is_newsml(head: bytes) -> bool:
    """The first bytes of a document name NewsML-G2's namespace: worth reading as NewsML-G2."""
    return sniff_format(head) == "xml" and b"iptc.org/std/nar/2006-10-01" in head[:4096]


def read_iptc_document(body: bytes, origin: str) -> Iterator[RawRecord | DeadLetter]:
    """The items of one whole document in memory: NewsML-G2 XML, or ninjs / article JSON."""
    kind = sniff_format(body[:64])
    if kind == "xml":
        yield from read_newsml(io.BytesIO(body), origin)
        return
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        yield DeadLetter.of(STAGE, "bad_encoding", f"not UTF-8: {error.reason} at byte {error.start}", origin,
                            body[:1024].decode("utf-8", "backslashreplace"))
        return
    if kind == "json":
        yield from read_json_document(text, origin)
    else:
        yield DeadLetter.of(STAGE, "unknown_format", "neither XML nor JSON", origin, text)


def read_wire_document(body: bytes, origin: str) -> Iterator[RawRecord | DeadLetter] | None:
    """The items of a wire document, None when `body` is not one.

    A wire document is NewsML-G2, or a ninjs item or a list that starts with one.
    A JSON body is parsed once: the value that tells it is ninjs is the one read.
    """
    if is_newsml(body[:4096]):
        return read_iptc_document(body, origin)
    if sniff_format(body[:64]) != "json":
        return None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not is_ninjs(data[0] if isinstance(data, list) and data else data):
        return None
    return json_document_records(data, origin)
