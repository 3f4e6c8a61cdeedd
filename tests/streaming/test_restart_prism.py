"""Kill the streaming job mid-flight and start it again: nothing lost, nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from indexwatch import article_id

from newsbeam.connectors.sinks import BackendSettings, open_backend

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ITEMS = 40
RUNNER = Path(__file__).with_name("run_stream.py")


def _start(feed: str, data_dir: Path, run_for: float, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        # Its own session, so the kill below takes Prism (its child) down with it, like a crash.
        return subprocess.Popen(
            [sys.executable, str(RUNNER), feed, str(data_dir), str(run_for), "1.5"],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )


def _indexed(settings: BackendSettings, ids: list[str]) -> set[str]:
    try:
        backend = open_backend(settings)
    except Exception:
        return set()
    try:
        return backend.known_article_ids(ids)
    finally:
        backend.close()


def test_kill_and_restart_loses_nothing_and_doubles_nothing(prism_binary, news_site, tmp_path):
    site = news_site(total=ITEMS, interval=1.0)
    data_dir = tmp_path / "data"
    settings = BackendSettings(data_dir=data_dir)
    log = tmp_path / "stream.log"
    site.publish_all()

    first = _start(site.feed_url, data_dir, 600, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(_indexed(settings, [article_id(site, i) for i in site.items])) < 8:
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)  # no clean shutdown: state in memory is gone
    first.wait(timeout=30)
    before = _indexed(settings, [article_id(site, i) for i in site.items])
    assert len(before) >= 8, log.read_text()[-3000:]
    assert len(site.items) < ITEMS, "the kill must land while items are still being published"

    remaining = ITEMS - len(site.items)
    second = _start(site.feed_url, data_dir, remaining + 15, log)
    try:
        assert second.wait(timeout=remaining + 120) == 0, log.read_text()[-3000:]
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)

    ids = [article_id(site, item) for item in site.items]
    assert len(ids) == ITEMS
    index = open_backend(settings)
    try:
        assert index.known_article_ids(ids) == set(ids), "an article published around the crash was lost"
        assert index.counts()["articles"] == ITEMS
        events = {}
        for article in ids:
            event = index.get_event(index.get_article(article)["event_id"])
            events[event.event_id] = event
        members = sorted(a for e in events.values() for a in e.article_ids)
        assert members == sorted(ids), "every article in exactly one event, once"
    finally:
        index.close()
    summary = log.read_text().strip().splitlines()[-5:]
    fetched_again = [line for line in summary if line.startswith("{")]
    assert fetched_again, summary
    counters = json.loads(fetched_again[-1])  # the counters the second run printed
    # The restarted job fetched only what the index lacked: nothing indexed twice.
    assert counters["fetched"] == ITEMS - len(before)
    print(f"\nrestart: {len(before)} indexed before the kill, {counters['fetched']} fetched after it")
