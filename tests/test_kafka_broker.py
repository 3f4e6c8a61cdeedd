"""deploy/kafka/broker.py: a real KRaft broker that keeps its data across a restart."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka_broker import free_port, load_broker_script


def consume_all(brokers: str, topic: str, expected: int, seconds: float = 30.0) -> list[bytes]:
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": brokers, "group.id": uuid.uuid4().hex, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    values: list[bytes] = []
    deadline = time.monotonic() + seconds
    try:
        while len(values) < expected and time.monotonic() < deadline:
            values += [m.value() for m in consumer.consume(100, 1.0) if m.error() is None]
    finally:
        consumer.close()
    return values


def test_the_jars_are_kept_in_the_cache_newsbeam_cache_dir_names(tmp_path, monkeypatch):
    script = load_broker_script()
    monkeypatch.setenv("NEWSBEAM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NEWSBEAM_CACHE", str(tmp_path / "deprecated"))
    home = tmp_path / "cache" / "kafka" / "9.9.9"
    home.mkdir(parents=True)
    (home / "complete").write_text("ok\n")  # fetched before: no Maven run
    assert script.fetch_jars("9.9.9") == home / "libs"
    monkeypatch.delenv("NEWSBEAM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert script._node_script().cache_root() == tmp_path / "xdg" / "newsbeam"


@pytest.mark.integration
@pytest.mark.slow
def test_broker_starts_keeps_records_across_a_restart_and_stops(tmp_path):
    from confluent_kafka import Producer

    script = load_broker_script()
    data_dir = tmp_path / "broker"
    port = free_port()
    brokers = script.start(data_dir, port)["bootstrap"]
    try:
        assert brokers == f"127.0.0.1:{port}"
        producer = Producer({"bootstrap.servers": brokers})
        for number in range(20):
            producer.produce("wire", value=f"item {number}".encode())
        assert producer.flush(30) == 0
        script.stop(data_dir)
        assert not (data_dir / "broker.pid").exists()
        script.start(data_dir, port)
        assert consume_all(brokers, "wire", 20) == [f"item {n}".encode() for n in range(20)]
        assert (data_dir / "logs" / "meta.properties").exists()  # everything under the data folder
    finally:
        script.stop(data_dir)
