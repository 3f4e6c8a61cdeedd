"""`newsbeam run` crashed at each commit step of a bundle, then restarted: every item
indexed once, no event repeating an article, and each decision taken once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from es_node import fresh_prefix
from feedserver import NewsSite
from indexwatch import article_id

from newsbeam.connectors.sinks import BackendSettings, open_backend
from newsbeam.pipelines import faults
from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner, assignment_key
from newsbeam.pipelines.core import state_key
from newsbeam.pipelines.normalize import normalize_record

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUNNER = Path(__file__).with_name("run_stream.py")
BEFORE, AFTER = 6, 6


def _start(feed: str, data_dir: Path, run_for: float, log: Path, env: dict[str, str]) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, str(RUNNER), feed, str(data_dir), str(run_for), "1.0"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            start_new_session=True,
        )


def _until_crashed(job: subprocess.Popen, log: Path, seconds: float) -> None:
    """Wait for the injected crash; then end the job's processes as a power cut would."""
    deadline = time.monotonic() + seconds
    while job.poll() is None and time.monotonic() < deadline and "injected crash" not in log.read_text(errors="replace"):
        time.sleep(0.5)
    assert "injected crash" in log.read_text(errors="replace"), log.read_text(errors="replace")[-3000:]
    if job.poll() is None:
        os.killpg(job.pid, signal.SIGKILL)
    job.wait(timeout=30)


def _check(index, site: NewsSite, log: Path) -> None:
    """Every item indexed once, no event repeating an article, each decision taken once."""
    ids = [article_id(site, item) for item in site.items]
    assert index.known_article_ids(ids) == set(ids), "an item was lost"
    assert index.counts()["articles"] == len(ids)
    for article in ids:
        event = index.get_event(index.get_article(article)["event_id"])
        assert len(event.article_ids) == len(set(event.article_ids)), f"{event.event_id} repeats an article"
    first = site.items[0]
    record = {"id": "probe", "url": site.link(first), "title": first.title, "text": first.body}
    key = assignment_key(normalize_record(record), AssignConfig())
    state = OnlineAssigner.restore(index.load_state(state_key(key)), AssignConfig())
    assert state.position == len(ids), (
        f"each article decided exactly once, the crashed bundle's included ({state.position} decisions)\n"
        + log.read_text(errors="replace")[-3000:])


def _crash_and_restart(site: NewsSite, data_dir: Path, log: Path, crash_at: str, env: dict[str, str]) -> None:
    site.publish_now(BEFORE)
    _until_crashed(_start(site.feed_url, data_dir, 600, log, {faults.ENVIRONMENT: crash_at, **env}), log, 180)
    site.publish_now(AFTER)
    second = _start(site.feed_url, data_dir, 20, log, env)
    try:
        assert second.wait(timeout=240) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)


@pytest.mark.parametrize("crash_at", ["index_written", "state_saved"])
def test_a_restart_repairs_a_crash_at_each_commit_step(prism_binary, news_site, tmp_path, crash_at):
    site = news_site(total=BEFORE + AFTER)
    data_dir, log = tmp_path / "data", tmp_path / "stream.log"
    _crash_and_restart(site, data_dir, log, crash_at, {})
    index = open_backend(BackendSettings(data_dir=data_dir))
    try:
        _check(index, site, log)
    finally:
        index.close()


@pytest.mark.parametrize("crash_at", ["index_written", "state_saved"])
def test_a_restart_repairs_a_crash_at_each_commit_step_on_elasticsearch(prism_binary, news_site, tmp_path, es_url,
                                                                          crash_at):
    site = news_site(total=BEFORE + AFTER)
    data_dir, log = tmp_path / "data", tmp_path / "stream.log"
    with fresh_prefix(es_url) as prefix:
        _crash_and_restart(site, data_dir, log, crash_at,
                           {"NEWSBEAM_ES_URL": es_url, "NEWSBEAM_ES_INDEX_PREFIX": prefix})
        index = open_backend(BackendSettings(data_dir=data_dir, es_url=es_url, es_index_prefix=prefix))
        try:
            index.refresh()
            _check(index, site, log)
        finally:
            index.close()
