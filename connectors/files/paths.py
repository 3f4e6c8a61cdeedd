"""Read whatever local path the user names: a JSON Lines file, a WARC file or a folder of articles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from newsbeam.connectors.files.documents import read_document
from newsbeam.connectors.files.jsonl import read_jsonl
from newsbeam.connectors.files.warc import is_warc, read_warc
from newsbeam.connectors.records import RawRecord
from newsbeam.schemas import DeadLetter, RecordError

DOCUMENT_SUFFIXES = (".txt", ".html", ".htm")
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


def read_folder(folder: Path) -> Iterator[RawRecord | DeadLetter]:
    """One record per `.txt`/`.html` file below `folder`, in path order."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES):
        yield read_document_file(folder, path)


def read_path(path: str | Path) -> Iterator[RawRecord | DeadLetter]:
    """Records from a JSON Lines file, a WARC file, a folder of documents, or a single document."""
    path = Path(path)
    if path.is_dir():
        yield from read_folder(path)
    elif is_warc(path):
        yield from read_warc(path)
    elif path.suffix.lower() in DOCUMENT_SUFFIXES:
        yield read_document_file(path.parent, path)
    elif path.exists():
        yield from read_jsonl(path)
    else:
        yield DeadLetter.of("read", "not_found", "no such file or folder", str(path), "")

