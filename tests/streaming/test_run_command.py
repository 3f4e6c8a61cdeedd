"""`newsbeam run` takes its options as `ingest` does, and its settings from the configuration file."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from newsbeam.cli.main import main
from newsbeam.connectors.sinks import BackendSettings, open_backend

pytestmark = [pytest.mark.integration, pytest.mark.slow]

USER_AGENT = "newsbeam-test/1.0 (+https://example.org/contact)"


def test_run_reads_repeated_feeds_with_the_given_user_agent(prism_binary, news_site, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSBEAM_ALLOW_LOOPBACK", "1")
    monkeypatch.delenv("NEWSBEAM_USER_AGENT", raising=False)
    first, second = news_site(total=3), news_site(total=2)
    first.publish_now(3)
    second.publish_now(2)
    feed_list = tmp_path / "feeds.txt"
    feed_list.write_text(f"# the second site\n{second.feed_url}\n")
    config = tmp_path / "newsbeam.toml"
    config.write_text('[fetch]\nmin_interval = 0\n\n[runner]\nname = "prism"\n')
    data_dir = tmp_path / "data"

    result = CliRunner().invoke(main, [
        "--config", str(config), "run", "--feeds", first.feed_url, "--feeds", str(feed_list),
        "--user-agent", USER_AGENT, "--data-dir", str(data_dir), "--once",
    ], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "Polling 2 feed(s)" in result.output
    assert first.feed_requests and second.feed_requests
    assert set(first.user_agents) | set(second.user_agents) == {USER_AGENT}
    index = open_backend(BackendSettings(data_dir=data_dir))
    try:
        assert index.counts()["articles"] == 5
    finally:
        index.close()
