"""`newsbeam status`: what the index holds, how each feed fares, what was rejected, which runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from newsbeam.cli.options import backend_options, backend_settings, configuration


@click.command("status")
@backend_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def command(data_dir: Path | None, es_url: str | None, as_json: bool) -> None:
    """Summarise the index, the feeds `run` polls, dead letters and the runner.

    \b
    Shows the index's documents and last write; each polled feed's health (last
    fetch, last success, last new item, consecutive errors and the last error),
    failing feeds first; dead letters of the last day by reason; the configured
    runner and the installed engines. Works while `newsbeam run` is writing (the
    embedded index allows readers alongside its one writer).
    """
    from newsbeam.pipelines.streaming_status import collect

    config = configuration()
    summary = collect(backend_settings(data_dir, es_url, existing=True), cache=config.value("runner.cache_dir"),
                      runner=config.value("runner.name"))
    if as_json:
        click.echo(json.dumps(summary, indent=2, default=str))
        return
    feeds = summary.pop("feeds")
    recent = summary.pop("dead_letters_last_day")
    failing = summary.pop("feeds_failing")
    for key, value in summary.items():
        click.echo(f"{key.replace('_', ' '):<22}{value}")
    click.echo(f"{'dead letters, 1 day':<22}{sum(recent.values())}")
    for reason, count in recent.items():
        click.echo(f"  {reason:<20}{count}")
    if feeds:
        click.echo(f"feeds failing         {len(failing)} of {len(feeds)}")
        for feed in feeds:
            click.echo(_feed_line(feed))


def _feed_line(feed: dict[str, Any]) -> str:
    """One feed: FAILING with its streak and error, else ok; then when it last succeeded and found something."""
    if feed["consecutive_errors"]:
        state = f"FAILING ×{feed['consecutive_errors']} ({feed['last_error']})"
    else:
        state = "ok"
    return (f"  {feed['feed']}  {state}; last fetch {feed['last_fetch'] or 'never'}, "
            f"last success {feed['last_success'] or 'never'}, last new item {feed['last_new_item'] or 'never'}")
