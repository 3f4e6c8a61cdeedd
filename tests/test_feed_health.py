"""Per-feed health: how a poll changes it, when it is worth a save, and what `newsbeam status` shows of it."""

from __future__ import annotations

import json
import os
import time

from click.testing import CliRunner

from newsbeam.cli.main import main
from newsbeam.connectors.sinks import BackendSettings, StateChanges, open_backend
from newsbeam.pipelines.feed_health import (
    HEALTH_PART,
    REFRESH_SECONDS,
    FeedHealth,
    after_poll,
    decode_health,
    encode_health,
    worth_saving,
)
from newsbeam.pipelines.streaming import encode_feed_validators, poll_state_key
from newsbeam.pipelines.streaming_sources import Validators


def test_a_streak_grows_with_each_failure_and_ends_with_a_success():
    health = FeedHealth()
    for n, when in enumerate((100.0, 160.0, 220.0), start=1):
        health = after_poll(health, when, "http_404: Not Found", 0)
        assert health.consecutive_errors == n and health.last_fetch == when
    assert health.last_success is None and health.last_error == "http_404: Not Found"
    health = after_poll(health, 280.0, None, 0)
    assert (health.consecutive_errors, health.last_success, health.last_new_item) == (0, 280.0, None)
    health = after_poll(health, 340.0, None, 2)
    assert health.last_new_item == 340.0
    assert decode_health(encode_health(health)) == health
    assert decode_health(None) == FeedHealth()


def test_failures_and_new_items_are_saved_at_once_a_quiet_feed_every_few_minutes():
    saved = after_poll(FeedHealth(), 1000.0, None, 1)
    quiet = after_poll(saved, 1060.0, None, 0)
    assert not worth_saving(saved, quiet)
    assert worth_saving(saved, after_poll(saved, 1000.0 + REFRESH_SECONDS, None, 0))
    assert worth_saving(saved, after_poll(saved, 1060.0, "timeout: read timed out", 0))
    assert worth_saving(saved, after_poll(saved, 1060.0, None, 3))
    failing = after_poll(saved, 1060.0, "timeout: read timed out", 0)
    assert worth_saving(failing, after_poll(failing, 1120.0, "timeout: read timed out", 0))
    assert worth_saving(failing, after_poll(failing, 1120.0, None, 0)), "a recovery is saved at once"


def test_status_names_the_failing_feed_and_counts_the_last_days_dead_letters(tmp_path):
    data_dir = tmp_path / "data"
    settings = BackendSettings(data_dir=data_dir)
    now = time.time()
    good, bad = "https://news.example.org/rss", "https://gone.example.org/feed.xml"
    healthy = after_poll(FeedHealth(), now - 30, None, 2)
    failing = FeedHealth(last_fetch=now - 20, last_success=now - 86400 * 2, consecutive_errors=41,
                         last_error="http_410: Gone")
    backend = open_backend(settings)
    try:
        # Health sits beside the feed's validators; a source polled by an older job has none.
        backend.save_state(poll_state_key(good), StateChanges({
            HEALTH_PART: encode_health(healthy), "feeds": encode_feed_validators({good: Validators('"v1"', None)})}))
        backend.save_state(poll_state_key(bad), StateChanges({HEALTH_PART: encode_health(failing)}))
        backend.save_state(poll_state_key("https://old.example.org/rss"), StateChanges({"feeds": b"{}"}))
    finally:
        backend.close()
    letters = data_dir / "dead-letters"
    letters.mkdir()
    stamp = lambda seconds: time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(seconds))  # noqa: E731
    (letters / "run-1.jsonl").write_text("".join(json.dumps(line) + "\n" for line in [
        {"reason": "http_410", "time": stamp(now - 60)},
        {"reason": "http_410", "time": stamp(now - 3600)},
        {"reason": "extraction_failed", "time": stamp(now - 7200)},
        {"reason": "http_410", "time": stamp(now - 86400 * 3)},  # older than a day
    ]))
    old_batch = letters / "ingest-0.jsonl"
    old_batch.write_text(json.dumps({"reason": "missing_link"}) + "\n")
    os.utime(old_batch, (now - 86400 * 5, now - 86400 * 5))

    result = CliRunner().invoke(main, ["status", "--data-dir", str(data_dir), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["feeds_failing"] == [bad] and summary["feeds_polled"] == 2
    first, second = summary["feeds"]
    assert (first["feed"], first["consecutive_errors"], first["last_error"]) == (bad, 41, "http_410: Gone")
    assert (second["feed"], second["consecutive_errors"], second["last_error"]) == (good, 0, None)
    assert second["last_new_item"] is not None
    assert summary["dead_letters_last_day"] == {"http_410": 2, "extraction_failed": 1}
    assert summary["runner"] == "prism" and summary["articles"] == 0

    text = CliRunner().invoke(main, ["status", "--data-dir", str(data_dir)]).output
    assert f"{bad}  FAILING ×41 (http_410: Gone)" in text
    assert f"{good}  ok;" in text
    assert "feeds failing         1 of 2" in text
    assert "  http_410            2" in text
