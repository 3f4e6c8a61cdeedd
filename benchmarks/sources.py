"""Articles a second from each bulk source, on the same articles, in one run.

    python -m benchmarks.sources [--articles 10000] [--per-file 1000] [--brokers HOST:PORT]

The same synthetic full-text articles (`benchmarks.synthetic`) are written
three ways: as a JSON Lines file; as HTML pages (headline, paragraphs,
publication time) in the response records of CC-NEWS-named WARC files under a
local `crawl-data/CC-NEWS/2025/06/` tree with its `warc.paths.gz`, served by a
local HTTP server; and as records of a fresh Kafka topic. Each goes into a
fresh embedded index, one after the other on the same machine:

- `ingest FILE.jsonl`;
- `ingest --cc-news` lists, streams, extracts and indexes the tree (page
  extraction included, which JSON Lines skips);
- `run --kafka` (Prism) reads the topic, timed from its start until the
  consumer group has committed the last offset (which it does only once every
  record's articles are indexed); the records are produced before it starts.

Every time includes the interpreter's and Beam's start-up, as a user sees it.
Without `--brokers`, a broker is started with deploy/kafka/broker.py and
stopped after. Results go to benchmarks/results/sources.md.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import html
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from benchmarks.ingest import NEWSBEAM, RESULTS, ROOT, _timed, run_ingest, write_articles
from benchmarks.machine import describe

MONTH = "crawl-data/CC-NEWS/2025/06/"
PREVIOUS_MONTH = "crawl-data/CC-NEWS/2025/05/"
#: (command, articles indexed, seconds, load average before, after)
ThroughputRow = tuple[str, int, float, float, float]


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
    # The reader also lists the month before, whose last file may run into a range starting on the 1st.
    (tree / PREVIOUS_MONTH).mkdir(parents=True)
    (tree / PREVIOUS_MONTH / "warc.paths.gz").write_bytes(gzip.compress(b""))
    return len(names)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(tree: Path) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tree)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def indexed(data_dir: Path) -> int:
    """Articles in the embedded index at `data_dir`."""
    with sqlite3.connect(data_dir / "index.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]


def run_cc_news(base: str, data_dir: Path) -> ThroughputRow:
    """`ingest --cc-news` over the whole tree."""
    seconds, _cpu, before, after = _timed(
        [*NEWSBEAM, "ingest", "--cc-news", "2025-06-01..2025-06-07", "--cc-news-base", base,
         "--data-dir", str(data_dir)],
        extra_env={"NEWSBEAM_ALLOW_LOOPBACK": "1", "NEWSBEAM_FETCH_MIN_INTERVAL": "0"})
    return "`ingest --cc-news` from the local tree (pages extracted)", indexed(data_dir), seconds, before, after


def produce(brokers: str, topic: str, source: Path) -> tuple[int, float]:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": brokers, "linger.ms": 20})
    started = time.monotonic()
    count = 0
    with source.open("rb") as lines:
        for line in lines:
            producer.produce(topic, value=line.rstrip(b"\n"))
            producer.poll(0)
            count += 1
    assert producer.flush(60) == 0
    return count, time.monotonic() - started


def committed(brokers: str, topic: str, group: str) -> int:
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    consumer = Consumer({"bootstrap.servers": brokers, "group.id": group})
    try:
        [position] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        return max(position.offset, 0)
    except KafkaException:  # the group's coordinator is not ready yet
        return 0
    finally:
        consumer.close()


def run_kafka(brokers: str, topic: str, records: int, data_dir: Path, log: Path) -> ThroughputRow:
    """`run --kafka` from its start until every record is committed."""
    group = f"bench-{uuid.uuid4().hex[:6]}"
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen([*NEWSBEAM, "run", "--kafka", brokers, "--topic", topic, "--kafka-group", group,
                                    "--data-dir", str(data_dir), "--runner", "prism"],
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while committed(brokers, topic, group) < records:
            if process.poll() is not None:
                raise SystemExit(f"run --kafka ended early; see {log}")
            time.sleep(0.5)
        seconds = time.monotonic() - started
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()
    return ("`run --kafka` on Prism from the topic (until the last offset is committed)", indexed(data_dir), seconds,
            load_before, os.getloadavg()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--per-file", type=int, default=1_000, help="response records per WARC file")
    parser.add_argument("--brokers", help="a running Kafka broker (default: start one)")
    args = parser.parse_args(argv)
    started = datetime.now(timezone.utc)
    work = Path(tempfile.mkdtemp(prefix="newsbeam-sources-bench-"))
    source = work / "articles.jsonl"
    write_articles(source, args.articles)
    files = write_tree(source, work / "tree", args.per_file)
    broker_dir, script, brokers = work / "broker", None, args.brokers
    if brokers is None:
        sys.path.insert(0, str(ROOT / "deploy" / "kafka"))
        import broker as script  # deploy/ is not a package
    try:
        if brokers is None:
            brokers = script.start(broker_dir, _free_port())["bootstrap"]
        topic = f"bench-{uuid.uuid4().hex[:8]}"
        records, produce_seconds = produce(brokers, topic, source)
        ingest, _ = run_ingest(source, work / "ingest")
        rows = [("`ingest` of the JSON Lines file", ingest.articles, ingest.seconds, ingest.load_before,
                 ingest.load_after)]
        server = serve(work / "tree")
        try:
            rows.append(run_cc_news(f"http://127.0.0.1:{server.server_address[1]}/", work / "ccnews"))
        finally:
            server.shutdown()
        rows.append(run_kafka(brokers, topic, records, work / "kafka", work / "run.log"))
    finally:
        if script is not None:
            script.stop(broker_dir)
    write_throughput("sources", "Articles a second from JSON Lines, a CC-NEWS tree and a Kafka topic", argv, started,
                     f"{args.articles:,} synthetic full-text records (`benchmarks.synthetic`): a JSON Lines file; "
                     f"HTML response records in {files} CC-NEWS-named WARC files served over local HTTP; "
                     f"records of a Kafka topic (single KRaft broker on this machine), produced in "
                     f"{produce_seconds:.1f} s before `run --kafka` started. One fresh embedded index each, "
                     "one command after the other.", rows)
    return 0


def write_throughput(name: str, title: str, argv: list[str] | None, started: datetime, about: str,
                     rows: list[ThroughputRow]) -> None:
    """A results page `benchmarks/results/NAME.md`: the command, machine and date, then articles/s by command."""
    lines = [
        f"# {title}", "",
        f"`python -m benchmarks.{name} {' '.join(argv or sys.argv[1:])}`, {started:%Y-%m-%d %H:%M} UTC, "
        f"{describe()}.", "",
        about, "",
        "| command | articles indexed | seconds | articles/s | load average before → after |",
        "|---|---:|---:|---:|---|",
        *(f"| {command} | {count:,} | {seconds:.1f} | {count / seconds:,.0f} | {before:.1f} → {after:.1f} |"
          for command, count, seconds, before, after in rows),
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
