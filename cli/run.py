"""`newsbeam run`: the streaming pipeline that polls sources until stopped."""

from __future__ import annotations

from pathlib import Path

import click

from newsbeam.cli.ingest import dead_letter_file
from newsbeam.cli.options import (
    KindParam,
    backend_options,
    backend_settings,
    configuration,
    feed_urls,
    feeds_option,
    fetch_settings,
    user_agent_option,
)
from newsbeam.config.kinds import Brokers, KafkaTopic
from newsbeam.config.schema import RUNNERS


@click.command("run")
@feeds_option
@backend_options
@user_agent_option
@click.option("--kafka", "kafka_brokers", type=KindParam(Brokers(), "BROKERS"),
              help="Also read a Kafka topic (bootstrap servers host:port[,…]; needs a topic and the kafka extra): "
              "records of article JSON, ninjs or NewsML-G2, offsets committed once indexed "
              "[env NEWSBEAM_KAFKA_BROKERS; file kafka.brokers].")
@click.option("--topic", type=KindParam(KafkaTopic(), "TOPIC"),
              help="The Kafka topic to read [env NEWSBEAM_KAFKA_TOPIC; file kafka.topic].")
@click.option("--kafka-group", metavar="GROUP",
              help="The Kafka consumer group [env NEWSBEAM_KAFKA_GROUP; file kafka.group; default newsbeam].")
@click.option("--runner", type=click.Choice(RUNNERS),
              help="Beam runner; prism and flink run locally (engines are fetched and cached on first use) "
              "[env NEWSBEAM_RUNNER; file runner.name; default prism].")
@click.option("--poll-interval", type=click.FloatRange(0.5), metavar="SECONDS",
              help="Seconds between two polls of every feed [env NEWSBEAM_POLL_INTERVAL; file run.poll_interval; "
              "default 60].")
@click.option("--run-for", type=click.FloatRange(0), metavar="SECONDS",
              help="Stop after this long (default: run until Ctrl-C).")
@click.option("--once", is_flag=True, help="Poll every feed once, index what is new, and exit (for schedulers).")
@click.option("--metrics-interval", type=click.FloatRange(1), metavar="SECONDS",
              help="Seconds between two metrics lines in the log [env NEWSBEAM_METRICS_INTERVAL; "
              "file run.metrics_interval; default 30].")
@click.option("--metrics-port", type=click.IntRange(1, 65535), metavar="PORT",
              help="Serve Prometheus metrics of the job at http://HOST:PORT/metrics [env NEWSBEAM_METRICS_PORT; "
              "file run.metrics_port; default: no endpoint].")
@click.option("--metrics-host", metavar="HOST",
              help="Address the metrics endpoint listens on [env NEWSBEAM_METRICS_HOST; file run.metrics_host; "
              "default 127.0.0.1].")
@click.option("--concurrent-feeds", type=click.IntRange(1), metavar="N",
              help="Feeds a worker reads at once, each site still one request a second "
              "[env NEWSBEAM_CONCURRENT_FEEDS; file run.concurrent_feeds; default 8].")
@click.option("--warm-start/--no-warm-start", default=None,
              help="Load every language's saved clustering state as the job starts, so the first articles do "
              "not wait for it; off on runners with many worker processes, each of which would load all of it "
              "[env NEWSBEAM_WARM_START; file run.warm_start; default on].")
@click.argument("pipeline_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- BEAM_OPTIONS...]")
def command(feeds: tuple[str, ...], data_dir: Path | None, es_url: str | None, user_agent: str | None,
            kafka_brokers: tuple[str, ...] | None, topic: str | None, kafka_group: str | None, runner: str | None,
            poll_interval: float | None, run_for: float | None, once: bool,
            metrics_interval: float | None, metrics_port: int | None, metrics_host: str | None,
            concurrent_feeds: int | None, warm_start: bool | None, pipeline_args: tuple[str, ...]) -> None:
    """Poll feeds continuously and index new articles as they appear.

    Each poll fetches the feeds (conditional GET), the pages of new items, and
    extracts their text; articles are deduplicated and clustered into events
    with the same algorithm as `ingest`, and written to the index as they come.
    Counters (fetched, duplicates, events, dead letters) are logged every
    --metrics-interval seconds, and served to Prometheus with --metrics-port
    (docs/runners.md lists the metrics); `newsbeam status` shows each feed's health. Stopping and restarting loses and doubles
    nothing: the index says what is already done. The feeds come from --feeds,
    else from the configuration file's sources.feeds; a Kafka topic from --kafka,
    else from $NEWSBEAM_KAFKA_BROKERS or the file's [kafka] table. Sources on the
    command line replace the configured ones.

    \b
    Examples:
      newsbeam run --feeds feeds.txt                       on Prism, until Ctrl-C
      newsbeam run --feeds feeds.txt --once                one incremental pass
      newsbeam run --kafka 127.0.0.1:9092 --topic wire     a Kafka topic of wire items
      newsbeam run --feeds feeds.txt --metrics-port 9464   with /metrics for Prometheus
      newsbeam --config newsbeam.toml run                  feeds and settings from a file
      newsbeam run --feeds feeds.txt --runner flink        embedded Flink
      NEWSBEAM_FLINK_MASTER=host:8081 newsbeam run --feeds feeds.txt --runner flink
      newsbeam run --feeds feeds.txt --runner dataflow -- --project P --region R --temp_location gs://B/tmp
    """
    from newsbeam.config.build import assign_config, kafka_source, runner_settings
    from newsbeam.pipelines.streaming import StreamSettings, run

    config = configuration()
    # Sources named on the command line replace the configured ones: --feeds alone reads no
    # configured Kafka topic, --kafka alone no configured feeds.
    kafka = kafka_source(config, kafka_brokers, topic, kafka_group) if kafka_brokers or not feeds else None
    if topic and not kafka:
        raise click.UsageError("--topic names a Kafka topic: give its brokers too (--kafka BROKERS)")
    if kafka:
        try:
            import confluent_kafka  # noqa: F401
        except ImportError:
            raise click.UsageError("--kafka needs the kafka extra: pip install 'newsbeam[kafka]'") from None
    urls = feed_urls(config.value("sources.feeds", feeds or None)) if feeds or not kafka_brokers else []
    if not urls and not kafka:
        raise click.UsageError("no feeds: give --feeds URL|FILE or --kafka BROKERS, or sources.feeds or kafka.brokers "
                               "in the configuration file")
    settings = backend_settings(data_dir, es_url)
    assign = assign_config(config)
    runner_options = runner_settings(config, runner, pipeline_args)
    stream = StreamSettings(
        feeds=tuple(urls),
        backend=settings,
        assign=assign,
        poll_interval=config.value("run.poll_interval", poll_interval),
        run_for=0 if once else run_for,
        metrics_interval=config.value("run.metrics_interval", metrics_interval),
        metrics_port=config.value("run.metrics_port", metrics_port),
        metrics_host=config.value("run.metrics_host", metrics_host),
        concurrent_feeds=config.value("run.concurrent_feeds", concurrent_feeds),
        warm_start=config.value("run.warm_start", warm_start),
        dead_letter_path=dead_letter_file(settings.data_dir, "run"),
        fetch=fetch_settings(user_agent),
        kafka=kafka,
    )
    reading = f"{len(urls)} feed(s) every {stream.poll_interval:g} s" if urls else ""
    if kafka:
        reading = " and ".join(filter(None, [reading, f"Kafka topic {kafka.topic} at {kafka.brokers}"]))
        from newsbeam.pipelines.streaming_kafka import BrokersUnreachable, check_brokers

        try:
            check_brokers(kafka)
        except BrokersUnreachable as error:
            raise click.ClickException(f"{error}: check --kafka, NEWSBEAM_KAFKA_BROKERS or the file's "
                                       "kafka.brokers, and that the broker is running") from None
    click.echo(f"Polling {reading} on {runner_options.runner} into the {settings.description} …", err=True)
    from newsbeam.pipelines.stream_metrics import MetricsEndpointError

    try:
        counters = run(stream, runner_options)
    except MetricsEndpointError as error:
        raise click.ClickException(f"{error} (choose another --metrics-port)") from None
    fields = ("fetched", "rejected", "duplicates_url", "duplicates_exact", "duplicates_near", "articles_indexed",
              "events_new", "events_updated")
    click.echo(" ".join(f"{name}={counters.get(name, 0)}" for name in fields))
