"""`newsbeam ingest --cc-news` against a CC-NEWS-shaped tree on the local server, with WARCs written here."""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
from multilingual_pages import PAGES, page_html
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsbeam.connectors.ccnews import DateRange, select_warcs
from newsbeam.connectors.pages.extract import language_code
from newsbeam.connectors.sinks import open_backend
from newsbeam.connectors.sinks.sqlite import INDEX_FILE

PAGE = {page.language: page_html(page).encode() for page in PAGES}
MONTH = "/crawl-data/CC-NEWS/2025/06/"
MAY = "/crawl-data/CC-NEWS/2025/05/"
#: May's files: the last one runs into June.
MAY_FILES = {
    "CC-NEWS-20250531120000-00000.warc.gz": [("https://gone.example/noon", "404 Not Found", "2025-05-31T12:00:00Z")],
    "CC-NEWS-20250531235500-00001.warc.gz": [
        ("https://gone.example/early", "404 Not Found", "2025-05-31T23:59:00Z"),  # captured before the range
        ("https://akhbar.example/taqa", "ar", "2025-06-01T00:02:00Z"),
    ],
}
#: File name → (url, language of the page or an HTTP status, WARC-Date) of its response records.
FILES = {
    "CC-NEWS-20250601010000-00002.warc.gz": [
        ("https://news.example/floods", "en", "2025-06-01T01:05:00Z"),
        ("https://www.zeitung.example/sturm", "de", "2025-06-01T02:00:00Z"),
        ("https://journal.example/lyon", "fr", "2025-06-08T00:10:00Z"),  # captured after the range
        ("https://gone.example/missing", "404 Not Found", "2025-06-01T03:00:00Z"),
    ],
    "CC-NEWS-20250603120000-00003.warc.gz": [
        ("https://diario.example/incendios", "es", "2025-06-03T12:01:00Z"),
        ("https://world.news.example/vybory", "ru", "2025-06-03T12:02:00Z"),
        ("https://shimbun.example/ooame", "ja", "2025-06-03T12:03:00Z"),
    ],
    "CC-NEWS-20250609000000-00004.warc.gz": [("https://news.example/later", "tr", "2025-06-09T00:01:00Z")],
}
IN_RANGE = ["https://akhbar.example/taqa", "https://news.example/floods", "https://www.zeitung.example/sturm", "https://diario.example/incendios",
            "https://world.news.example/vybory", "https://shimbun.example/ooame"]


def warc_bytes(records: list[tuple[str, str, str]]) -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    writer.write_record(writer.create_warcinfo_record("cc-news.warc.gz", {"software": "newsbeam-test"}))
    for url, page, date in records:
        status, body = ("200 OK", PAGE[page]) if page in PAGE else (page, b"gone")
        headers = StatusAndHeaders(status, [("Content-Type", "text/html; charset=utf-8"),
                                            ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers,
                                                      warc_headers_dict={"WARC-Date": date}))
    return buffer.getvalue()


@pytest.fixture
def cc_news(web, monkeypatch):
    """The tree: May's and June's warc.paths.gz and their WARC files."""
    monkeypatch.setenv("NEWSBEAM_ALLOW_LOOPBACK", "1")
    monkeypatch.setenv("NEWSBEAM_FETCH_MIN_INTERVAL", "0")
    for month, files in ((MAY, MAY_FILES), (MONTH, FILES)):
        listing = "".join(f"{month.lstrip('/')}{name}\n" for name in files)
        web.add(f"{month}warc.paths.gz", gzip.compress(listing.encode()), content_type="application/octet-stream")
        for name, records in files.items():
            web.add(f"{month}{name}", warc_bytes(records), content_type="application/octet-stream")
    return web


def ingest_args(web, data_dir: Path, *extra: str) -> list[str]:
    return ["ingest", "--cc-news", "2025-06-01..2025-06-07", "--cc-news-base", web.url("/"),
            "--data-dir", str(data_dir), *extra]


def article_count(settings) -> int:
    backend = open_backend(settings)
    try:
        if hasattr(backend, "refresh"):
            backend.refresh()
        return backend.counts()["articles"]
    finally:
        backend.close()


def indexed_urls(data_dir: Path) -> Counter:
    with closing(sqlite3.connect(data_dir / INDEX_FILE)) as db:
        return Counter(json.loads(doc)["url"] for (doc,) in db.execute("SELECT doc FROM articles"))


def dead_letters(data_dir: Path) -> list[dict]:
    return [json.loads(line) for path in sorted((data_dir / "dead-letters").glob("*.jsonl"))
            for line in path.read_text().splitlines()]


def warcs_requested(requests: list[tuple[str, dict]]) -> list[str]:
    return [path.rsplit("/", 1)[1] for path, _ in requests if path.endswith(".warc.gz")]


def test_the_range_picks_files_by_the_time_in_their_names():
    paths = [f"crawl-data/CC-NEWS/2025/06/{name}" for name in [*FILES, *MAY_FILES]] + ["crawl-data/notes.txt"]
    dates = DateRange.parse("2025-06-01..2025-06-07")
    assert [p.rsplit("/", 1)[1] for p in select_warcs(paths, dates)] == [
        "CC-NEWS-20250531235500-00001.warc.gz", "CC-NEWS-20250601010000-00002.warc.gz",
        "CC-NEWS-20250603120000-00003.warc.gz"]
    assert [p.rsplit("/", 1)[1] for p in select_warcs(paths, DateRange.parse("2025-06-02"))] == [
        "CC-NEWS-20250601010000-00002.warc.gz"]
    assert DateRange.parse("2025-12-30..2026-02-01").months() == [(2025, 12), (2026, 1), (2026, 2)]
    with pytest.raises(ValueError):
        DateRange.parse("2025-06-07..2025-06-01")


def test_a_week_of_cc_news_is_indexed_with_dead_letters_for_bad_records(cc_news, newsbeam, tmp_path):
    data_dir = tmp_path / "data"
    result = newsbeam(*ingest_args(cc_news, data_dir))
    assert "3 file(s), 0 finished" in result.output, result.output
    assert warcs_requested(cc_news.requests) == ["CC-NEWS-20250531235500-00001.warc.gz",
                                                 "CC-NEWS-20250601010000-00002.warc.gz",
                                                 "CC-NEWS-20250603120000-00003.warc.gz"]
    assert indexed_urls(data_dir) == Counter(IN_RANGE)
    assert [(letter["reason"], letter["raw"]) for letter in dead_letters(data_dir)] == [
        ("http_404", "https://gone.example/missing")]


def test_host_and_language_filters_pass_over_records_before_extraction(cc_news, newsbeam, tmp_path):
    data_dir = tmp_path / "data"
    newsbeam(*ingest_args(cc_news, data_dir, "--cc-news-host", "news.example", "--cc-news-language", "en"))
    assert indexed_urls(data_dir) == Counter(["https://news.example/floods"])
    assert dead_letters(data_dir) == []  # the 404 of another host was never looked at

    other = tmp_path / "other"
    newsbeam(*ingest_args(cc_news, other, "--cc-news-language", "de", "--cc-news-language", "ja"))
    assert indexed_urls(other) == Counter(["https://www.zeitung.example/sturm", "https://shimbun.example/ooame"])


def _fail_once(body: bytes, how: str):
    calls = []

    def answer(handler) -> None:
        calls.append(1)
        if len(calls) > 1:
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        elif how == "refused":
            handler.send_response(500)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:  # cut off: the whole length announced, two thirds sent, the connection closed
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body[: len(body) * 2 // 3])
            handler.wfile.flush()
            handler.close_connection = True

    return answer


@pytest.mark.parametrize("how, reason", [("refused", "ccnews_unavailable"), ("cut_off", "ccnews_interrupted")])
def test_a_rerun_after_a_failed_file_reads_only_that_file_and_doubles_nothing(cc_news, newsbeam, wire_index, how,
                                                                             reason):
    second = "CC-NEWS-20250603120000-00003.warc.gz"
    cc_news.routes[f"{MONTH}{second}"] = _fail_once(warc_bytes(FILES[second]), how)
    data_dir = wire_index.data_dir
    backend = ["--es-url", wire_index.es_url] if wire_index.es_url else []
    newsbeam(*ingest_args(cc_news, data_dir, *backend))
    assert 3 <= article_count(wire_index) < len(IN_RANGE)
    assert reason in [letter["reason"] for letter in dead_letters(data_dir)]

    before = len(cc_news.requests)
    result = newsbeam(*ingest_args(cc_news, data_dir, *backend))
    assert "3 file(s), 2 finished" in result.output, result.output
    assert warcs_requested(cc_news.requests[before:]) == [second]
    assert article_count(wire_index) == len(IN_RANGE)
    if not wire_index.es_url:
        assert indexed_urls(data_dir) == Counter(IN_RANGE)

    third = newsbeam(*ingest_args(cc_news, data_dir, *backend))
    assert "3 file(s), 3 finished" in third.output and "articles indexed 0" in third.output, third.output


@pytest.mark.parametrize("declared, code", [("eng", "en"), ("deu,eng", "de"), ("jpn", "ja"), ("en-GB", "en"),
                                            ("fil", "tl"), ("qqq", None), ("", None)])
def test_declared_languages_are_read_in_their_three_letter_iso_form_too(declared, code):
    """CC-NEWS's WARC-Identified-Content-Language names languages as ISO 639-3 codes."""
    assert language_code(declared.split(",", 1)[0]) == code


def test_an_unreadable_capture_date_filters_nothing_and_the_file_reads_on(tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    from newsbeam.connectors.ccnews.reader import CCNewsReader, CCNewsSettings

    body = warc_bytes([("https://news.example/undated", "en", "sometime in June"),
                       ("https://news.example/floods", "en", "2025-06-01T01:05:00Z"),
                       ("https://journal.example/lyon", "fr", "2025-06-08T00:10:00Z")])
    reader = CCNewsReader(CCNewsSettings(str(tmp_path / "state.sqlite3"), DateRange.parse("2025-06-01..2025-06-07")),
                          fallback=lambda spec: iter(()))
    kept = [record.rec_headers.get_header("WARC-Target-URI")
            for record in ArchiveIterator(io.BytesIO(body)) if record.rec_type == "response" and reader._keep(record)]
    assert kept == ["https://news.example/undated", "https://news.example/floods"]
