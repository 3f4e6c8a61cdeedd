"""JSON Lines reader that never loads a file whole and never stops at a bad line.

A line may be an article input record or a ninjs item (told by its fields);
ninjs items are mapped to the input format here (`connectors/iptc`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from newsbeam.connectors.iptc import record_of
from newsbeam.connectors.records import RawRecord
from newsbeam.schemas import DeadLetter

STAGE = "read"
#: A line longer than this is not read into memory; it becomes a `too_large` dead letter.
MAX_LINE_BYTES = 8 * 1024 * 1024
_CHUNK = 1024 * 1024


def _lines(handle, max_bytes: int) -> Iterator[tuple[bytes, int]]:
    """(line head, full size) per line; a head is cut at `max_bytes` + 1 bytes."""
    while True:
        line = handle.readline(max_bytes + 1)
        if not line:
            return
        size = len(line)
        if size > max_bytes and not line.endswith(b"\n"):
            while chunk := handle.readline(_CHUNK):  # skip the rest without keeping it
                size += len(chunk)
                if chunk.endswith(b"\n"):
                    break
        yield line, size


def read_jsonl(path: Path, *, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[RawRecord | DeadLetter]:
    """Yield one `RawRecord` per JSON object line, a `DeadLetter` per bad line or unreadable ninjs item."""
    with open(path, "rb") as handle:
        for number, (line, size) in enumerate(_lines(handle, max_line_bytes), start=1):
            origin = f"{path}:{number}"
            if size > max_line_bytes:
                yield DeadLetter.of(
                    STAGE, "too_large", f"line has {size:,} bytes; limit {max_line_bytes:,}", origin,
                    line[:1024].decode("utf-8", "backslashreplace"), raw_size=size,
                )
                continue
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as error:
                yield DeadLetter.of(STAGE, "bad_encoding", f"not UTF-8: {error.reason} at byte {error.start}",
                                    origin, line.decode("utf-8", "backslashreplace"))
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as error:
                yield DeadLetter.of(STAGE, "malformed_json", str(error), origin, text)
                continue
            yield record_of(data, origin)
