"""WARC files (Common Crawl news layout): one article per HTML response record, streamed.

Only `response` records with HTTP headers hold pages; `warcinfo`, `request`,
`metadata` and `revisit` records describe the crawl and are passed over.
Bodies are read in chunks up to the size cap and decompressed by the same
bounded inflater the HTTP layer uses, so one hostile record costs no more memory
than one hostile web page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed

from newsbeam.connectors.http import HTML_TYPES
from newsbeam.connectors.http.decode import INFLATABLE, CorruptBodyError, TooLargeError, decode_text, inflate
from newsbeam.connectors.pages import extract_article
from newsbeam.connectors.records import RawRecord
from newsbeam.pipelines.normalize.dates import parse_published
from newsbeam.schemas import DeadLetter, RecordError

STAGE = "read"
WARC_SUFFIXES = (".warc", ".warc.gz")
MAX_RECORD_BYTES = 5 * 1024 * 1024
_CHUNK = 64 * 1024


def is_warc(path: Path) -> bool:
    return path.name.lower().endswith(WARC_SUFFIXES)


def _payload(record, limit: int) -> bytes:
    """The record's HTTP body with transfer and content encodings undone, capped."""
    headers = record.http_headers
    stream = record.raw_stream
    if (headers.get_header("transfer-encoding") or "").lower() == "chunked":
        stream = ChunkedDataReader(stream)
    chunks = iter(lambda: stream.read(_CHUNK), b"")
    encoding = (headers.get_header("content-encoding") or "identity").strip().lower()
    if encoding in INFLATABLE:
        chunks = inflate(chunks, encoding, limit)
    elif encoding not in ("identity", ""):
        raise RecordError("bad_encoding", f"unsupported Content-Encoding {encoding!r}")
    body, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise TooLargeError(f"record body exceeds {limit:,} bytes")
        body.append(chunk)
    return b"".join(body)


def _article(record, origin: str, limit: int) -> RawRecord | DeadLetter:
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    status = record.http_headers.get_statuscode()
    if status != "200":
        return DeadLetter.of(STAGE, f"http_{status}", f"archived response has status {status}", origin, url)
    content_type = record.http_headers.get_header("content-type") or ""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        return DeadLetter.of(STAGE, "not_html", f"content type {mime!r}", origin, url)
    try:
        html, _ = decode_text(_payload(record, limit), content_type)
        crawled = parse_published(record.rec_headers.get_header("WARC-Date"))
        article = extract_article(html, url, crawled_at=crawled)
    except TooLargeError as error:
        return DeadLetter.of(STAGE, "too_large", str(error), origin, url)
    except CorruptBodyError as error:
        return DeadLetter.of(STAGE, "bad_encoding", str(error), origin, url)
    except RecordError as error:
        return DeadLetter.of(STAGE, error.reason, error.detail, origin, url)
    return RawRecord(origin, {"url": url, **article})


#: Looks at a response record's WARC and HTTP headers and says whether to extract it.
RecordFilter = Callable[[Any], bool]


def read_warc_stream(handle: IO[bytes], name: str, *, keep: RecordFilter | None = None,
                     max_record_bytes: int = MAX_RECORD_BYTES) -> Iterator[RawRecord | DeadLetter]:
    """One record per archived HTML page of an open WARC stream (gzipped or not), in stream order.

    `keep` sees each response record before its body is read: records it turns
    down cost neither decompression of the page nor extraction. `name` prefixes
    each record's origin (`name#<WARC-Record-ID>`).
    """
    records = ArchiveIterator(handle)
    try:
        for record in records:
            if record.rec_type != "response" or record.http_headers is None:
                continue
            if keep is not None and not keep(record):
                continue
            record_id = record.rec_headers.get_header("WARC-Record-ID") or ""
            yield _article(record, f"{name}#{record_id.strip('<>')}", max_record_bytes)
    except ArchiveLoadFailed as error:
        yield DeadLetter.of(STAGE, "malformed_warc", f"unreadable from here on: {error}", name, "")


def read_warc(path: str | Path, *, max_record_bytes: int = MAX_RECORD_BYTES) -> Iterator[RawRecord | DeadLetter]:
    """One record per archived HTML page of a `.warc` / `.warc.gz` file, in file order."""
    path = Path(path)
    with open(path, "rb") as handle:
        yield from read_warc_stream(handle, str(path), max_record_bytes=max_record_bytes)
