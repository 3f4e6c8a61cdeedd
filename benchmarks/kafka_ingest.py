"""`newsbeam run --kafka` beside `newsbeam ingest`: articles a second from a Kafka topic and from JSON Lines.

    python -m benchmarks.kafka_ingest [--articles 10000] [--brokers HOST:PORT]

The same synthetic full-text articles (`benchmarks.synthetic`) are written as a
JSON Lines file and produced to a fresh topic. `ingest` indexes the file into a
fresh embedded index; then `run --kafka` (Prism) reads the topic into another,
timed from its start until the consumer group has committed the last offset
(which it does only once every record's articles are indexed). Both times
include the interpreter's and Beam's start-up, as a user sees them. Without
`--brokers`, a broker is started with deploy/kafka/broker.py and stopped after.
Results go to benchmarks/results/kafka_ingest.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.ingest import NEWSBEAM, RESULTS, ROOT, run_ingest, write_articles
from benchmarks.machine import describe


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


def run_kafka(brokers: str, topic: str, records: int, data_dir: Path, log: Path) -> tuple[float, int]:
    """Seconds from `run --kafka`'s start until every record is committed, and the articles indexed."""
    group = f"bench-{uuid.uuid4().hex[:6]}"
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
    with sqlite3.connect(data_dir / "index.sqlite3") as db:
        articles = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    return seconds, articles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--brokers", help="a running broker (default: start one)")
    args = parser.parse_args(argv)
    started = datetime.now(timezone.utc)
    work = Path(tempfile.mkdtemp(prefix="newsbeam-kafka-bench-"))
    broker_dir = work / "broker"
    script = None
    brokers = args.brokers
    if brokers is None:
        sys.path.insert(0, str(ROOT / "deploy" / "kafka"))
        import broker as script  # deploy/ is not a package
    try:
        if brokers is None:
            brokers = script.start(broker_dir, _free_port())["bootstrap"]
        source = work / "articles.jsonl"
        write_articles(source, args.articles)
        ingest, _ = run_ingest(source, work / "ingest")
        topic = f"bench-{uuid.uuid4().hex[:8]}"
        records, produce_seconds = produce(brokers, topic, source)
        load_before = os.getloadavg()[0]
        kafka_seconds, kafka_articles = run_kafka(brokers, topic, records, work / "kafka", work / "run.log")
        load_after = os.getloadavg()[0]
    finally:
        if script is not None:
            script.stop(broker_dir)
    rows = [
        ("`ingest` of the JSON Lines file", ingest.articles, ingest.seconds, ingest.load_before, ingest.load_after),
        ("`run --kafka` from the topic (until the last offset is committed)", kafka_articles, kafka_seconds,
         load_before, load_after),
    ]
    write_throughput("kafka_ingest", "`newsbeam run --kafka` beside `newsbeam ingest`", argv, started,
                     f"{records:,} synthetic full-text records (`benchmarks.synthetic`), produced to the topic in "
                     f"{produce_seconds:.1f} s before the run started.", rows)
    return 0


#: (command, articles indexed, seconds, load average before, after)
ThroughputRow = tuple[str, int, float, float, float]


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
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
