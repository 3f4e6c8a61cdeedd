"""`newsbeam ingest --cc-news` beside `newsbeam ingest` of the same articles as JSON Lines.

    python -m benchmarks.ccnews_ingest [--articles 10000] [--per-file 1000]

The same synthetic full-text articles (`benchmarks.synthetic`) are written as a
JSON Lines file and, as HTML pages (headline, paragraphs, publication time),
into the response records of CC-NEWS-named WARC files under a local
`crawl-data/CC-NEWS/2025/06/` tree with its `warc.paths.gz`, served by a local
HTTP server. `ingest FILE.jsonl` indexes the file into a fresh embedded index;
`ingest --cc-news` lists, streams, extracts and indexes the tree into another.
Both times include the interpreter's and Beam's start-up, as a user sees them;
the CC-NEWS time includes page extraction, which JSON Lines skips. The Kafka
figure for the same articles is `benchmarks.kafka_ingest`'s.
Results go to benchmarks/results/ccnews_ingest.md.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import html
import io
import json
import sqlite3
import sys
import tempfile
import threading
from datetime import datetime, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from benchmarks.ingest import NEWSBEAM, _timed, run_ingest, write_articles
from benchmarks.kafka_ingest import write_throughput

MONTH = "crawl-data/CC-NEWS/2025/06/"


def page(record: dict) -> bytes:
    """The article as a plain news page, the way a site would serve it."""
    title = html.escape(record.get("title") or "")
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in record["text"].split("\n\n") if p.strip())
    published = html.escape(record.get("published") or "")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="article:published_time" content="{published}"></head>'
            f"<body><article><h1>{title}</h1>\n{paragraphs}\n</article></body></html>").encode()


def write_tree(source: Path, tree: Path, per_file: int) -> int:
    """WARC files of `per_file` pages each, named inside the first week of June 2025; the file count."""
    folder = tree / MONTH
    folder.mkdir(parents=True)
    names: list[str] = []
    records = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    for start in range(0, len(records), per_file):
        number = start // per_file
        name = f"CC-NEWS-202506{1 + number % 7:02d}{number // 7 % 24:02d}0000-{number:05d}.warc.gz"
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        for record in records[start:start + per_file]:
            body = page(record)
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                                  ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                record["url"], "response", payload=io.BytesIO(body), http_headers=headers,
                warc_headers_dict={"WARC-Date": f"2025-06-{1 + number % 7:02d}T12:00:00Z"}))
        (folder / name).write_bytes(buffer.getvalue())
        names.append(MONTH + name)
    (folder / "warc.paths.gz").write_bytes(gzip.compress("".join(n + "\n" for n in names).encode()))
    return len(names)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(tree: Path) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tree)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_cc_news(base: str, data_dir: Path) -> tuple[float, int, float, float]:
    """Seconds of `ingest --cc-news` over the whole tree, the articles indexed, load before and after."""
    seconds, _cpu, before, after = _timed(
        [*NEWSBEAM, "ingest", "--cc-news", "2025-06-01..2025-06-07", "--cc-news-base", base,
         "--data-dir", str(data_dir)],
        extra_env={"NEWSBEAM_ALLOW_LOOPBACK": "1", "NEWSBEAM_FETCH_MIN_INTERVAL": "0"})
    with sqlite3.connect(data_dir / "index.sqlite3") as db:
        articles = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    return seconds, articles, before, after


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--per-file", type=int, default=1_000, help="response records per WARC file")
    args = parser.parse_args(argv)
    started = datetime.now(timezone.utc)
    work = Path(tempfile.mkdtemp(prefix="newsbeam-ccnews-bench-"))
    source = work / "articles.jsonl"
    write_articles(source, args.articles)
    files = write_tree(source, work / "tree", args.per_file)
    ingest, _ = run_ingest(source, work / "ingest")
    server = serve(work / "tree")
    try:
        seconds, articles, before, after = run_cc_news(f"http://127.0.0.1:{server.server_address[1]}/", work / "ccnews")
    finally:
        server.shutdown()
    rows = [
        ("`ingest` of the JSON Lines file", ingest.articles, ingest.seconds, ingest.load_before, ingest.load_after),
        (f"`ingest --cc-news` from the local tree ({files} WARC files, pages extracted)", articles, seconds,
         before, after),
    ]
    write_throughput("ccnews_ingest", "`newsbeam ingest --cc-news` beside `newsbeam ingest` of JSON Lines", argv,
                     started, f"{args.articles:,} synthetic full-text records (`benchmarks.synthetic`), as JSON Lines "
                     f"and as HTML response records in {files} WARC files served over local HTTP.", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
