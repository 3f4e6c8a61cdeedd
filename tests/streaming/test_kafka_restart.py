"""`newsbeam run --kafka` killed mid-way and restarted: every article indexed once, corrections and kills applied.

500 mixed records go to the topic while the job runs (article JSON, ninjs 1.x/2.x/3.x
stories, NewsML-G2 documents, 20 corrections and 10 kills); the job is killed with
SIGKILL (no clean shutdown) once part of them is indexed, then started again. Its
successor must read what was not indexed, and the index must end with every
article once, the corrections' versions, and no killed story. The test prints
the p95 time from producing a record to its article being searchable.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent))
from wire_items import news_message, newsitem, ninjs  # noqa: E402

from newsbeam.connectors.sinks import BackendSettings, SearchQuery, open_backend  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOPICS = ["harbour", "election", "glacier", "museum", "railway", "vineyard", "telescope", "marathon"]


def story(number: int) -> dict:
    topic = TOPICS[number % len(TOPICS)]
    return {"title": f"Vellby {topic} report number {number}",
            "text": (f"Report {number} from Vellby on the {topic}: officials in district {number} said work on the "
                     f"{topic} would continue through the week, and residents of block {number * 7} were told "
                     f"to expect notices about the {topic} project.")}


def records() -> tuple[list[tuple[str, bytes]], dict[str, int], set[str]]:
    """(article id, record) in produce order; the versions expected in the end; the killed ids."""
    plan: list[tuple[str, bytes]] = []
    for n in range(400):
        plan.append((f"json-{n}", json.dumps({"id": f"json-{n}", "language": "en", "source": "Vellby Post",
                                              "published": "2025-06-02T08:00:00Z", **story(n)}).encode()))
        if n % 6 == 0 and n // 6 < 60:  # ninjs stories among them, of every version
            k = n // 6
            item = ninjs(f"urn:nj:{k}", spec=("1.0", "2.0", "3.0")[k % 3], story=story(1000 + k))
            plan.append((f"urn:nj:{k}", json.dumps(item).encode()))
        if n % 40 == 0 and n // 40 < 10:
            k = n // 40
            plan.append((f"urn:nw:{k}", news_message(newsitem(f"urn:nw:{k}", story=story(2000 + k),
                                                              body="inlineData" if k % 2 else "inlineXML")).encode()))
    for k in range(20):  # corrections, then kills, of stories produced long before
        plan.append((f"urn:nj:{k}", json.dumps(ninjs(f"urn:nj:{k}", spec="2.0", version=2, story={
            **story(1000 + k), "title": f"Corrected report {k}"})).encode()))
    for k in range(20, 30):
        plan.append((f"urn:nj:{k}", json.dumps(ninjs(f"urn:nj:{k}", spec="2.0", version=2, pubstatus="canceled",
                                                     story=story(1000 + k))).encode()))
    versions = {**{f"json-{n}": 0 for n in range(400)}, **{f"urn:nj:{k}": 1 for k in range(60)},
                **{f"urn:nw:{k}": 1 for k in range(10)}, **{f"urn:nj:{k}": 2 for k in range(20)}}
    killed = {f"urn:nj:{k}" for k in range(20, 30)}
    for article_id in killed:
        versions.pop(article_id)
    return plan, versions, killed


def start(brokers: str, topic: str, data_dir: Path, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        # Its own session, so the kill takes Prism (its child) down with it, like a crash.
        return subprocess.Popen(
            [sys.executable, "-m", "newsbeam", "run", "--kafka", brokers, "--topic", topic, "--kafka-group", "g",
             "--data-dir", str(data_dir), "--run-for", "120", "--runner", "prism"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True)


class Watch:
    """Polls the embedded index for the articles it holds (and their versions), noting when each appeared."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: dict[str, float] = {}
        self.rows: dict[str, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.path.exists():
                try:
                    db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
                    rows = db.execute("SELECT id, event_id, json_extract(doc, '$.version') FROM articles").fetchall()
                    db.close()
                except sqlite3.Error:
                    rows = []
                now = time.monotonic()
                for article_id, event_id, version in rows:
                    self.seen.setdefault(article_id, now)
                    self.rows[article_id] = (event_id, version or 0)
            self._stop.wait(0.25)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def test_kill_and_restart_indexes_every_record_once(prism_binary, kafka_brokers, tmp_path):
    from confluent_kafka import Producer

    topic, data_dir = f"wire-{uuid.uuid4().hex[:8]}", tmp_path / "data"
    plan, versions, killed = records()
    assert len(plan) == 500
    watch = Watch(data_dir / "index.sqlite3")
    first = start(kafka_brokers, topic, data_dir, tmp_path / "first.log")
    produced: dict[str, float] = {}
    producer = Producer({"bootstrap.servers": kafka_brokers})
    try:
        for number, (article_id, value) in enumerate(plan):
            producer.produce(topic, value=value)
            produced.setdefault(article_id, time.monotonic())
            producer.poll(0)
            time.sleep(0.05)  # about 20 records a second
            if number == 250:
                deadline = time.monotonic() + 90
                while len(watch.seen) < 100 and time.monotonic() < deadline:
                    time.sleep(0.5)
                assert len(watch.seen) >= 100, (tmp_path / "first.log").read_text()[-3000:]
                os.killpg(first.pid, signal.SIGKILL)  # no clean shutdown
                first.wait()
                second = start(kafka_brokers, topic, data_dir, tmp_path / "second.log")
        assert producer.flush(30) == 0
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            done = {a for a, (event, version) in watch.rows.items() if event and a in versions
                    and version == versions[a]}
            gone = {a for a in killed if a not in watch.rows or not watch.rows[a][0]}
            if len(done) == len(versions) and len(gone) == len(killed):
                break
            time.sleep(1)
    finally:
        for process in (first, locals().get("second")):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        watch.stop()

    index = open_backend(BackendSettings(data_dir=data_dir))
    try:
        assert index.counts()["articles"] == len(versions)  # each article once; the killed ones gone
        for article_id, version in versions.items():
            doc = index.get_article(article_id)
            assert doc is not None, article_id
            assert doc.get("version", 0) == version, article_id
        assert index.get_article("urn:nj:3")["title"] == "Corrected report 3"
        assert all(index.get_article(article_id) is None for article_id in killed)
        members = [a for event_id in {index.get_article(a)["event_id"] for a in versions}
                   for a in index.get_event(event_id).article_ids]
        assert sorted(members) == sorted(versions)  # every article in exactly one event, no killed one
        assert index.search(SearchQuery(text="Vellby report number 1021")).hits is not None
    finally:
        index.close()
    latencies = sorted(watch.seen[a] - produced[a] for a in versions if a in watch.seen)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"\nKafka produce → searchable over {len(latencies)} articles, with a kill and a restart: "
          f"p50 {latencies[len(latencies) // 2]:.1f} s, p95 {p95:.1f} s")
