"""The Kafka broker for tests: `deploy/kafka/broker.py`, started once per session.

`NEWSBEAM_TEST_KAFKA` points the tests at a broker that is already running
(`.ci/run` starts one); otherwise the session starts its own in a temporary folder.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from es_node import _free_port as free_port

SCRIPT = Path(__file__).resolve().parent.parent / "deploy" / "kafka" / "broker.py"


def load_broker_script():
    spec = importlib.util.spec_from_file_location("newsbeam_kafka_broker", SCRIPT)
    module = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def kafka_brokers() -> Iterator[str]:
    if running := os.environ.get("NEWSBEAM_TEST_KAFKA"):
        yield running
        return
    script = load_broker_script()
    data_dir = Path(tempfile.mkdtemp(prefix="newsbeam-kafka-"))
    try:
        info = script.start(data_dir, free_port())
    except script.BrokerError as error:
        shutil.rmtree(data_dir, ignore_errors=True)
        pytest.fail(f"could not start the test Kafka broker: {error}")
    try:
        yield info["bootstrap"]
    finally:
        script.stop(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
