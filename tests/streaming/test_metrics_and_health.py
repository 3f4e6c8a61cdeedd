"""`newsbeam run --metrics-port` on Prism: /metrics agrees with the index and with a failing feed's polls;
`newsbeam status` names the failing feed afterwards."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from newsbeam.cli.main import main
from newsbeam.connectors.sinks import BackendSettings, open_backend

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ITEMS = 6
RUN_FOR = 45.0
POLL_INTERVAL = 1.5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Sample name and labels → value, from one scrape of /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _index_articles(data_dir) -> int:
    index = open_backend(BackendSettings(data_dir=data_dir))
    try:
        return index.counts()["articles"]
    finally:
        index.close()


def test_metrics_match_the_index_and_the_failing_feeds_streak(prism_binary, news_site, tmp_path):
    site = news_site(total=ITEMS)
    site.publish_now(ITEMS)
    failing = f"{site.base}/moved-away.xml"  # the site answers 404
    data_dir = tmp_path / "data"
    config = tmp_path / "newsbeam.toml"
    config.write_text(f'[fetch]\nmin_interval = 0\n\n[runner]\nname = "prism"\ncache_dir = "{prism_binary.parents[1]}"\n')
    port = _free_port()
    env = {**os.environ, "NEWSBEAM_ALLOW_LOOPBACK": "1"}
    log = (tmp_path / "run.log").open("w")
    job = subprocess.Popen(
        [sys.executable, "-m", "newsbeam", "--config", str(config), "run", "--feeds", site.feed_url, "--feeds",
         failing, "--data-dir", str(data_dir), "--poll-interval", str(POLL_INTERVAL), "--run-for", str(RUN_FOR),
         "--metrics-port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    failing_polls = lambda: sum(1 for _, path in site.requests if path == "/moved-away.xml")  # noqa: E731
    try:
        deadline = time.monotonic() + RUN_FOR + 60
        seen = None
        while time.monotonic() < deadline and job.poll() is None:
            time.sleep(0.5)
            try:
                before = failing_polls()
                metrics = _scrape(port)
                after = failing_polls()
            except OSError:
                continue  # the endpoint is not up yet
            streak = metrics.get(("newsbeam_feed_error_streak", (("feed", failing),)), 0)
            # A scrape taken while the failing feed's last poll has finished (or is in flight), and
            # while no poll's bundle is still reporting: the streak is the polls that had finished.
            consistent = before - 1 <= streak <= after
            if metrics.get(("newsbeam_index_articles", ()), 0) == ITEMS and streak >= 3 and consistent:
                seen = metrics, streak, before, after, _index_articles(data_dir)
                break
        assert seen is not None, (tmp_path / "run.log").read_text()[-3000:]
        metrics, streak, before, after, indexed = seen
        assert job.wait(timeout=RUN_FOR + 60) == 0, (tmp_path / "run.log").read_text()[-3000:]
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
        log.close()

    # The index's count, as the test reads it and as the endpoint reads it.
    assert indexed == ITEMS
    assert metrics[("newsbeam_index_articles", ())] == ITEMS
    assert metrics[("newsbeam_records_read_total", ())] == ITEMS
    # The job's own counts of what it indexed. On a loaded machine Prism can lose the counts
    # of a bundle that reports a counter first together with another (docs/runners.md,
    # test_prism_metric_short_ids.py), so they are bounded by the index's count rather
    # than equal to it; they agree with each other.
    counted = metrics[("newsbeam_articles_indexed_total", ())]
    assert 0 < counted <= ITEMS
    assert metrics[("newsbeam_job_up", ())] == 1
    assert metrics[("newsbeam_feed_error_streak", (("feed", site.feed_url),))] == 0
    assert metrics[("newsbeam_feed_last_success_timestamp_seconds", (("feed", site.feed_url),))] > time.time() - 600
    dead = {labels: value for (name, labels), value in metrics.items() if name == "newsbeam_dead_letters_total"}
    assert sum(dead.values()) >= streak
    assert metrics[("newsbeam_publish_to_index_seconds_count", ())] == counted
    assert metrics[("newsbeam_publish_to_index_seconds_bucket", (("le", "+Inf"),))] == counted
    assert counted <= metrics[("newsbeam_hot_state_articles", (("key", "en"),))] <= ITEMS

    # After the job: the saved health counts every poll of the failing feed, and status names it.
    result = CliRunner().invoke(main, ["--config", str(config), "status", "--data-dir", str(data_dir), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["feeds_failing"] == [failing]
    health = {feed["feed"]: feed for feed in summary["feeds"]}
    assert health[failing]["consecutive_errors"] == failing_polls() >= streak
    assert health[failing]["last_success"] is None and "404" in health[failing]["last_error"]
    assert health[site.feed_url]["consecutive_errors"] == 0 and health[site.feed_url]["last_new_item"]
    assert summary["articles"] == ITEMS and summary["runner"] == "prism"
    assert sum(summary["dead_letters_last_day"].values()) == failing_polls()

    text = CliRunner().invoke(main, ["--config", str(config), "status", "--data-dir", str(data_dir)]).output
    assert f"{failing}  FAILING ×{failing_polls()}" in text
