"""WARC files in the Common Crawl news layout, written here with warcio."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsbeam.connectors.files import read_path
from newsbeam.connectors.files.warc import read_warc
from newsbeam.connectors.records import RawRecord
from newsbeam.schemas import DeadLetter

PAGES = Path(__file__).parent / "fixtures" / "pages"


def _response(writer: WARCWriter, url: str, body: bytes, *, status: str = "200 OK",
              content_type: str = "text/html; charset=utf-8", extra: list[tuple[str, str]] = (),
              date: str = "2026-03-06T10:00:00Z") -> None:
    headers = StatusAndHeaders(status, [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra],
                               protocol="HTTP/1.1")
    record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers,
                                       warc_headers_dict={"WARC-Date": date})
    writer.write_record(record)


@pytest.fixture
def news_warc(tmp_path) -> Path:
    path = tmp_path / "CC-NEWS-20260306100000-00001.warc.gz"
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "newsbeam-test"}))
        request = StatusAndHeaders("GET /harbour HTTP/1.1", [("Host", "gazette.example")], is_http_request=True)
        writer.write_record(writer.create_warc_record("https://gazette.example/harbour", "request",
                                                      payload=io.BytesIO(b""), http_headers=request))
        _response(writer, "https://gazette.example/harbour", (PAGES / "harbour.html").read_bytes())
        _response(writer, "https://gazette.example/council", gzip.compress((PAGES / "council.html").read_bytes()),
                  extra=[("Content-Encoding", "gzip")])
        _response(writer, "https://gazette.example/ferry", (PAGES / "ferry.html").read_bytes())
        _response(writer, "https://gazette.example/gone", b"not found", status="404 Not Found")
        _response(writer, "https://gazette.example/logo.png", b"\x89PNG\r\n", content_type="image/png")
        _response(writer, "https://gazette.example/bomb", gzip.compress(b"\0" * (30 * 1024 * 1024)),
                  extra=[("Content-Encoding", "gzip")])
        _response(writer, "https://gazette.example/paywall", (PAGES / "paywall.html").read_bytes())
        # Common Crawl stores payloads decoded and renames the encoding headers
        _response(writer, "https://gazette.example/bridge", (PAGES / "bridge.html").read_bytes(),
                  extra=[("X-Crawler-Content-Encoding", "gzip"), ("X-Crawler-Transfer-Encoding", "chunked")])
    return path


def test_common_crawl_news_warc(news_warc):
    outputs = list(read_path(news_warc))
    records = [o for o in outputs if isinstance(o, RawRecord)]
    letters = [o for o in outputs if isinstance(o, DeadLetter)]
    assert [r.data["url"] for r in records] == ["https://gazette.example/harbour", "https://gazette.example/council",
                                                "https://gazette.example/ferry", "https://gazette.example/bridge"]
    assert records[0].data["published"] == "2026-03-02T08:30:00+00:00"
    assert "breakwater" in records[0].data["text"] and "tram depot" in records[1].data["text"]
    # the ferry page claims 2031: later than the capture itself, so no date rather than a wrong one
    assert records[2].data["published"] is None
    assert [(l.reason, l.raw) for l in letters] == [
        ("http_404", "https://gazette.example/gone"), ("not_html", "https://gazette.example/logo.png"),
        ("too_large", "https://gazette.example/bomb"), ("paywalled", "https://gazette.example/paywall")]
    assert all(o.origin.startswith(f"{news_warc}#urn:uuid:") for o in outputs)


def test_garbage_after_a_record_ends_with_a_dead_letter(tmp_path):
    path = tmp_path / "damaged.warc"
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=False)
        _response(writer, "https://gazette.example/harbour", (PAGES / "harbour.html").read_bytes())
        _response(writer, "https://gazette.example/corrupt", b"\x1f\x8b\x08\x00" + b"not deflate data" * 10,
                  extra=[("Content-Encoding", "gzip")])
        handle.write(b"this is not a WARC record header\r\n\r\n")
    outputs = list(read_warc(path))
    assert isinstance(outputs[0], RawRecord)
    assert [(o.reason, o.raw) for o in outputs[1:]] == [("bad_encoding", "https://gazette.example/corrupt"),
                                                        ("malformed_warc", "")]
