"""`newsbeam run --kafka` on Prism against the real broker: mixed records, corrections, kills, offsets.

The topic gets article JSON, ninjs items and NewsML-G2 documents (with a
correction, a kill and a malformed record); the run indexes each article once,
applies the correction and the kill, dead-letters the malformed record, and
commits the group's offsets past everything, so a second run reads nothing again.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent.parent))
from wire_items import BRIDGE, FERRY, FERRY_CORRECTED, FERRY_OTHER_OUTLET, news_message, newsitem, ninjs  # noqa: E402

from newsbeam.cli.main import main  # noqa: E402
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
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": brokers, "group.id": group})
    try:
        [position] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        return position.offset
    finally:
        consumer.close()


def run(brokers: str, topic: str, group: str, data_dir: Path, seconds: int) -> str:
    result = CliRunner().invoke(main, ["run", "--kafka", brokers, "--topic", topic, "--kafka-group", group,
                                       "--data-dir", str(data_dir), "--run-for", str(seconds), "--runner", "prism"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


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
    run(kafka_brokers, topic, group, data_dir, 25)

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
    # The story and its correction may reach the assignment in different bundles, the correction
    # first: the story is then refused as older. Nothing else may be refused.
    assert sorted(letter["reason"] for letter in letters if letter["origin"] != "urn:nw:ferry") == ["malformed_xml"]
    assert all(letter["reason"] == "superseded_version" for letter in letters if letter["origin"] == "urn:nw:ferry")
    assert committed(kafka_brokers, topic, group) == len(values)

    produce(kafka_brokers, topic, [json.dumps(article(n)).encode() for n in range(20, 25)])
    run(kafka_brokers, topic, group, data_dir, 20)
    index = open_backend(BackendSettings(data_dir=data_dir))
    try:
        assert index.counts()["articles"] == 27
    finally:
        index.close()
    assert committed(kafka_brokers, topic, group) == len(values) + 5
