"""`newsbeam run`: the streaming pipeline that polls sources until stopped."""

from __future__ import annotations

import os
from pathlib import Path

import click

from newsbeam.cli.ingest import dead_letter_file
from newsbeam.cli.options import ALLOW_LOOPBACK_ENV, backend_options, backend_settings

RUNNERS = ("prism", "flink", "direct", "spark", "dataflow")


@click.command("run")
@click.option("--feeds", "feeds_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Feed list: one feed URL a line (# comments), or an OPML export.")
@backend_options
@click.option("--runner", type=click.Choice(RUNNERS), default="prism", show_default=True,
              help="Beam runner. prism and flink run locally (engines are fetched and cached on first use).")
@click.option("--poll-interval", default=60.0, show_default=True, type=click.FloatRange(0.5),
              help="Seconds between two polls of every feed.")
@click.option("--run-for", type=click.FloatRange(0), metavar="SECONDS",
              help="Stop after this long (default: run until Ctrl-C).")
@click.option("--once", is_flag=True, help="Poll every feed once, index what is new, and exit (for schedulers).")
@click.option("--metrics-interval", default=30.0, show_default=True, type=click.FloatRange(1),
              help="Seconds between two metrics lines in the log.")
@click.option("--concurrent-feeds", default=8, show_default=True, type=click.IntRange(1),
              help="Feeds a worker reads at once (each site still gets one request a second).")
@click.argument("pipeline_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- BEAM_OPTIONS...]")
def command(feeds_file: Path, data_dir: Path | None, es_url: str | None, runner: str, poll_interval: float,
            run_for: float | None, once: bool, metrics_interval: float, concurrent_feeds: int,
            pipeline_args: tuple[str, ...]) -> None:
    """Poll feeds continuously and index new articles as they appear.

    Each poll fetches the feeds (conditional GET), the pages of new items, and
    extracts their text; articles are deduplicated and clustered into events
    with the same algorithm as `ingest`, and written to the index as they come.
    Counters (fetched, duplicates, events, dead letters) are logged every
    --metrics-interval seconds. Stopping and restarting loses and doubles
    nothing: the index says what is already done.

    \b
    Examples:
      newsbeam run --feeds feeds.txt                       on Prism, until Ctrl-C
      newsbeam run --feeds feeds.txt --once                one incremental pass
      newsbeam run --feeds feeds.txt --runner flink        embedded Flink
      NEWSBEAM_FLINK_MASTER=host:8081 newsbeam run --feeds feeds.txt --runner flink
      newsbeam run --feeds feeds.txt --runner dataflow -- --project P --region R --temp_location gs://B/tmp
    """
    from newsbeam.connectors.http import FetchSettings
    from newsbeam.pipelines.runners import runner_args
    from newsbeam.pipelines.streaming import StreamSettings, run
    from newsbeam.pipelines.streaming_sources import read_source_list

    feeds = read_source_list(feeds_file)
    if not feeds:
        raise click.UsageError(f"{feeds_file} lists no feed URL")
    settings = backend_settings(data_dir, es_url)
    stream = StreamSettings(
        feeds=tuple(feeds),
        backend=settings,
        poll_interval=poll_interval,
        run_for=0 if once else run_for,
        metrics_interval=metrics_interval,
        concurrent_feeds=concurrent_feeds,
        dead_letter_path=dead_letter_file(settings.data_dir, "run"),
        fetch=FetchSettings(allow_loopback=os.environ.get(ALLOW_LOOPBACK_ENV) == "1",
                            **({"user_agent": ua} if (ua := os.environ.get("NEWSBEAM_USER_AGENT")) else {})),
    )
    click.echo(f"Polling {len(feeds)} feed(s) every {poll_interval:g} s on {runner} into the {settings.description} …",
               err=True)
    counters = run(stream, runner_args(runner, pipeline_args))
    fields = ("fetched", "rejected", "duplicates_url", "duplicates_exact", "duplicates_near", "articles_indexed",
              "events_new", "events_updated")
    click.echo(" ".join(f"{name}={counters.get(name, 0)}" for name in fields))
