"""`newsbeam run --kafka` on Prism against the real broker: mixed records, corrections, kills, offsets.

The topic gets article JSON, ninjs items and NewsML-G2 documents (with a
correction, a kill and a malformed record); the run indexes each article once,
applies the correction and the kill, dead-letters the malformed record, and
commits the group's offsets past everything while it runs (it has no end), so a
second run reads only what came after.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent))
from wire_items import BRIDGE, FERRY, FERRY_CORRECTED, FERRY_OTHER_OUTLET, news_message, newsitem, ninjs  # noqa: E402

from newsbeam.connectors.sinks import BackendSettings, open_backend  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def article(number: int) -> dict:
    topic = ["harbour", "election", "glacier", "museum", "railway"][number % 5]
    return {"id": f"json-{number}", "title": f"Story {number} about the {topic}",
            "text": f"Article number {number} reports on the {topic} in the town of Vellby {number}. " * 3,
            "published": f"2025-06-01T{number % 24:02d}:00:00Z", "source": "Vellby Post", "language": "en"}


def produce(brokers: str, topic: str, values: list[bytes]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": brokers})
    for value in values:
        producer.produce(topic, value=value)
    assert producer.flush(30) == 0


def committed(brokers: str, topic: str, group: str) -> int:
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    consumer = Consumer({"bootstrap.servers": brokers, "group.id": group})
    try:
        [position] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        return position.offset
    except KafkaException:  # the group's coordinator is not ready yet
        return -1
    finally:
        consumer.close()


def run_until_committed(brokers: str, topic: str, group: str, data_dir: Path, records: int, log: Path) -> None:
    """`newsbeam run --kafka` with no end, stopped once the group has committed `records` offsets.

    The group commits only past indexed records, so this is when the run has
    indexed everything; a run that holds what it took never gets there.
    """
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "newsbeam", "run", "--kafka", brokers, "--topic", topic, "--kafka-group", group,
             "--data-dir", str(data_dir), "--runner", "prism"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while committed(brokers, topic, group) < records:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()


def test_run_reads_a_topic_of_mixed_records(prism_binary, kafka_brokers, tmp_path):
    topic, group, data_dir = f"wire-{uuid.uuid4().hex[:8]}", "newsbeam-test", tmp_path / "data"
    values = [json.dumps(article(n)).encode() for n in range(20)]
    values += [json.dumps(ninjs("urn:nw:ferry", spec="2.0", story=FERRY)).encode(),
               json.dumps(ninjs("urn:nj:ferry-2", spec="1.0", story=FERRY_OTHER_OUTLET)).encode(),
               news_message(newsitem("urn:nw:bridge", story=BRIDGE, body="inlineData")).encode(),
               b"<newsItem xmlns='http://iptc.org/std/nar/2006-10-01/'><itemMeta>",  # cut short
               json.dumps(ninjs("urn:nw:ferry", spec="2.0", version=2, story=FERRY_CORRECTED)).encode(),
               news_message(newsitem("urn:nw:bridge", version=2, pubstatus="canceled", body="none",
                                     story=BRIDGE)).encode()]
    produce(kafka_brokers, topic, values)
    run_until_committed(kafka_brokers, topic, group, data_dir, len(values), tmp_path / "first.log")

    index = open_backend(BackendSettings(data_dir=data_dir))
    try:
        assert index.counts()["articles"] == 22  # 20 articles, the ferry story twice; the bridge killed
        ferry = index.get_article("urn:nw:ferry")
        assert (ferry["version"], ferry["title"]) == (2, FERRY_CORRECTED["title"])
        assert index.get_article("urn:nw:bridge") is None
        assert all(index.get_article(f"json-{n}") for n in range(20))
    finally:
        index.close()
    letters = [json.loads(line) for path in (data_dir / "dead-letters").glob("*.jsonl")
               for line in path.read_text().splitlines()]
    # A story and its correction or kill may reach the assignment in different bundles, the newer
    # first: the story is then refused as older. Nothing else may be refused.
    wire = {"urn:nw:ferry", "urn:nw:bridge"}
    assert [letter["reason"] for letter in letters if letter["origin"] not in wire] == ["malformed_xml"]
    assert all(letter["reason"] == "superseded_version" for letter in letters if letter["origin"] in wire)

    produce(kafka_brokers, topic, [json.dumps(article(n)).encode() for n in range(20, 25)])
    run_until_committed(kafka_brokers, topic, group, data_dir, len(values) + 5, tmp_path / "second.log")
    index = open_backend(BackendSettings(data_dir=data_dir))
    try:
        assert index.counts()["articles"] == 27
    finally:
        index.close()
