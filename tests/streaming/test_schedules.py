"""The cron, systemd and Airflow examples run one script; it works and is incremental."""

from __future__ import annotations

import ast
import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsbeam.connectors.sinks import BackendSettings, open_backend

SCHEDULES = Path(__file__).parents[2] / "deploy" / "schedules"
SCRIPT = SCHEDULES / "newsbeam-scheduled.sh"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(SCHEDULES / name)
    return parser


def test_every_scheduler_runs_the_same_script():
    cron_jobs = [line for line in (SCHEDULES / "crontab").read_text().splitlines() if re.match(r"^[\d*/,-]+\s", line)]
    assert len(cron_jobs) == 1 and cron_jobs[0].split()[:5] == ["*/15", "*", "*", "*", "*"]
    assert cron_jobs[0].split()[5].endswith("deploy/schedules/newsbeam-scheduled.sh")

    service, timer = _unit("newsbeam-scheduled.service"), _unit("newsbeam-scheduled.timer")
    assert service["Service"]["ExecStart"].endswith("deploy/schedules/newsbeam-scheduled.sh")
    assert service["Service"]["Type"] == "oneshot"
    assert timer["Timer"]["OnCalendar"] == "*:0/15"

    dag = ast.parse((SCHEDULES / "newsbeam_dag.py").read_text())
    script = next(
        node.value.value for node in dag.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SCRIPT"
    )
    assert script.endswith("deploy/schedules/newsbeam-scheduled.sh")


def _pass(env: dict[str, str]) -> int:
    """Run the scheduled script once; the number of articles it indexed."""
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    indexed = re.search(r"articles indexed\s+(\d+)", done.stdout)
    assert indexed, done.stdout[-2000:]
    return int(indexed.group(1))


@pytest.mark.slow
def test_scheduled_passes_take_only_what_is_new(news_site, tmp_path):
    site = news_site(total=8, interval=1.0)
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"# the local test site\n{site.feed_url}\n")
    env = {
        **os.environ,
        "NEWSBEAM_FEEDS": str(feeds),
        "NEWSBEAM_DATA_DIR": str(tmp_path / "data"),
        "NEWSBEAM_BIN": f"{sys.executable} -m newsbeam",
        "NEWSBEAM_ALLOW_LOOPBACK": "1",  # the test site is on 127.0.0.1
    }
    site.publish_now(5)
    assert _pass(env) == 5
    # Unchanged feed: asked conditionally (the site answers 304), nothing indexed.
    assert _pass(env) == 0
    assert site.feed_requests[0] is None and site.feed_requests[-1] is not None

    site.publish_now(3)
    assert _pass(env) == 3

    index = open_backend(BackendSettings(data_dir=tmp_path / "data"))
    try:
        assert index.counts()["articles"] == 8
    finally:
        index.close()
