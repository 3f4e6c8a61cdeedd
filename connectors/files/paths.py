"""Read whatever local path the user names: a JSON Lines file, a WARC file, a wire item file or a folder of articles.

Wire items (NewsML-G2 XML, ninjs JSON) are told by their content: a `.xml` or
`.json` file, or any other file whose first bytes are NewsML-G2, is read as one
document of items; everything else that is not a page or a WARC is JSON Lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from newsbeam.connectors.files.documents import read_document
from newsbeam.connectors.files.jsonl import read_jsonl
from newsbeam.connectors.files.warc import is_warc, read_warc
from newsbeam.connectors.iptc import is_newsml, read_iptc_document, read_newsml, sniff_format
from newsbeam.connectors.records import RawRecord
from newsbeam.schemas import DeadLetter, RecordError

DOCUMENT_SUFFIXES = (".txt", ".html", ".htm")
#: Files that hold wire items (NewsML-G2, ninjs), read as whole documents.
ITEM_SUFFIXES = (".xml", ".json")
#: A single document larger than this is a dead letter, not a memory spike.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def document_id(folder: Path, path: Path) -> str:
    """`<folder name>/<relative path without suffix>`: readable, stable and unique
    among the folder's files (`seed_call/a` for `seed_call/a.txt`)."""
    return f"{folder.name}/{path.relative_to(folder).with_suffix('').as_posix()}"


def read_document_file(folder: Path, path: Path) -> RawRecord | DeadLetter:
    """The record of one `.txt`/`.html` file, its id taken relative to `folder`."""
    origin = str(path)
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        return DeadLetter.of("read", "too_large", f"file has {size:,} bytes; limit {MAX_DOCUMENT_BYTES:,}", origin, "")
    try:
        record = read_document(path)
    except RecordError as error:
        return DeadLetter.of("read", error.reason, error.detail, origin, "")
    record.setdefault("url", path.resolve().as_uri())
    record["id"] = document_id(folder, path)
    return RawRecord(origin, record)


def read_item_file(path: Path) -> Iterator[RawRecord | DeadLetter]:
    """The wire items of one `.xml`/`.json` file (or a file that starts like NewsML-G2).

    XML is parsed as it is read, so a message of any size costs one item's
    memory; a JSON document is read whole, up to `MAX_DOCUMENT_BYTES`.
    """
    origin = str(path)
    with open(path, "rb") as handle:
        if sniff_format(handle.read(64)) == "xml":
            handle.seek(0)
            yield from read_newsml(handle, origin)
            return
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        yield DeadLetter.of("read", "too_large", f"file has {size:,} bytes; limit {MAX_DOCUMENT_BYTES:,}", origin, "")
        return
    yield from read_iptc_document(path.read_bytes(), origin)


def read_folder(folder: Path) -> Iterator[RawRecord | DeadLetter]:
    """One record per `.txt`/`.html` file below `folder`, and the items of each `.xml`/`.json` file, in path order."""
    for path in sorted(p for p in folder.rglob("*")
                       if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES + ITEM_SUFFIXES):
        if path.suffix.lower() in ITEM_SUFFIXES:
            yield from read_item_file(path)
        else:
            yield read_document_file(folder, path)


def _starts_like_newsml(path: Path) -> bool:
    with open(path, "rb") as handle:
        return is_newsml(handle.read(4096))


def read_path(path: str | Path) -> Iterator[RawRecord | DeadLetter]:
    """Records from a JSON Lines file, a WARC file, a wire item file, a folder of documents, or a single document."""
    path = Path(path)
    if path.is_dir():
        yield from read_folder(path)
    elif is_warc(path):
        yield from read_warc(path)
    elif path.suffix.lower() in DOCUMENT_SUFFIXES:
        yield read_document_file(path.parent, path)
    elif path.suffix.lower() in ITEM_SUFFIXES or (path.is_file() and _starts_like_newsml(path)):
        yield from read_item_file(path)
    elif path.exists():
        yield from read_jsonl(path)
    else:
        yield DeadLetter.of("read", "not_found", "no such file or folder", str(path), "")

