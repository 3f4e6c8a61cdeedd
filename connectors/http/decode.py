"""Bytes to text without trusting the sender: bounded decompression, charset detection."""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Iterable, Iterator

from charset_normalizer import from_bytes
from charset_normalizer.utils import is_multi_byte_encoding


class TooLargeError(Exception):
    """A body, compressed or decompressed, went over the size cap."""


class CorruptBodyError(Exception):
    """A compressed body that does not decompress."""


_GZIP_MAGIC = b"\x1f\x8b"
#: Content-Encodings `inflate` undoes; the fetcher asks for no others.
INFLATABLE = frozenset({"gzip", "x-gzip", "deflate"})
_CHUNK = 64 * 1024


def _decompressor(encoding: str):
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise ValueError(f"unsupported content encoding {encoding!r}")


def inflate(chunks: Iterable[bytes], encoding: str, limit: int) -> Iterator[bytes]:
    """Decompress a stream, never holding more than `limit` decompressed bytes.

    Each input chunk is inflated in bounded steps (`max_length`), so a gzip bomb
    (a few kB that expand to gigabytes) is stopped after `limit` bytes of output
    rather than after the whole chunk has been blown up in memory.
    """
    decompressor = _decompressor(encoding)
    produced = 0
    for chunk in chunks:
        data = chunk
        while data:
            try:
                out = decompressor.decompress(data, _CHUNK)
            except zlib.error as error:
                raise CorruptBodyError(f"{encoding} data does not decompress: {error}") from None
            produced += len(out)
            if produced > limit:
                raise TooLargeError(f"decompressed body exceeds {limit:,} bytes")
            if out:
                yield out
            data = decompressor.unconsumed_tail
            if decompressor.eof:
                return
    try:
        tail = decompressor.flush()
    except zlib.error as error:
        raise CorruptBodyError(f"{encoding} data does not decompress: {error}") from None
    if produced + len(tail) > limit:
        raise TooLargeError(f"decompressed body exceeds {limit:,} bytes")
    if tail:
        yield tail


def gunzip_if_gzipped(body: bytes, limit: int) -> bytes:
    """`body` itself, or its gzip content when it starts with the gzip magic
    (sitemaps served as `.xml.gz` with no Content-Encoding)."""
    if not body.startswith(_GZIP_MAGIC):
        return body
    return b"".join(inflate([body], "gzip", limit))


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""", re.I)
#: Labels that decode any byte sequence, so a clean decode proves nothing.
_PERMISSIVE = {"iso8859-1", "cp1252", "iso8859-15"}


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset the HTTP header, an XML declaration or an HTML meta tag claims."""
    if content_type:
        match = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type, re.I)
        if match and (codec := _codec(match.group(1))):
            return codec
    head = body[:4096]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        if (match := pattern.search(head)) and (codec := _codec(match.group(1).decode("ascii"))):
            return codec
    return None


def decode_text(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, codec) of a document, trusting declarations only as far as the bytes agree.

    Servers often lie: pages labelled UTF-8 that are Windows-1252, and pages
    labelled Latin-1 that are UTF-8. A declared codec is used when it decodes the
    bytes cleanly and is not one of the decode-anything single-byte codecs; then
    UTF-8 is tried, and only then statistical detection (charset_normalizer).
    """
    declared = declared_charset(body, content_type)
    for codec in (declared, "utf-8"):
        if codec and codec not in _PERMISSIVE:
            try:
                return body.decode(codec), codec
            except UnicodeDecodeError:
                continue
    if declared in _PERMISSIVE:
        return body.decode(declared), declared
    best = from_bytes(body[: 256 * 1024]).best()
    codec = (_codec(best.encoding) if best is not None else None) or "cp1252"
    if codec != "cp1252" and not is_multi_byte_encoding(codec):
        # Single-byte guesses on short texts are close to coin flips between
        # code pages; Windows-1252 is the web's de-facto fallback (WHATWG), so
        # it wins whenever it can decode the bytes at all.
        try:
            return body.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    return body.decode(codec, errors="replace"), codec
