"""The settings objects the pipelines take, built from a `Configuration`.

Commands pass their flags (None when not given); everything else comes from the
environment, the file or the defaults, through `Configuration.resolve`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from newsbeam.config.resolve import ConfigError, Configuration
from newsbeam.config.schema import clustering_settings

if TYPE_CHECKING:  # the CLI starts without importing the pipelines
    from newsbeam.connectors.http import FetchSettings
    from newsbeam.connectors.sinks import BackendSettings
    from newsbeam.pipelines.assign import AssignConfig
    from newsbeam.pipelines.runners import RunnerSettings
    from newsbeam.pipelines.streaming_kafka import KafkaSource


def backend_settings(config: Configuration, data_dir: Path | None = None, es_url: str | None = None) -> BackendSettings:
    from newsbeam.connectors.sinks import BackendSettings

    url = config.value("elasticsearch.url", es_url)
    return BackendSettings(
        data_dir=config.value("index.data_dir", data_dir),
        es_url=url,
        es_api_key=config.require("elasticsearch.api_key") if url else None,
        es_username=config.value("elasticsearch.username") if url else None,
        es_password=config.require("elasticsearch.password") if url else None,
        es_ca_file=str(ca) if url and (ca := config.value("elasticsearch.ca_file")) else None,
        es_index_prefix=config.value("elasticsearch.index_prefix"),
        es_retry_seconds=config.value("elasticsearch.retry_seconds"),
    )


def fetch_settings(config: Configuration, user_agent: str | None = None, *, allow_loopback: bool = False) -> FetchSettings:
    from newsbeam.connectors.http import FetchSettings

    return FetchSettings(
        user_agent=config.value("fetch.user_agent", user_agent),
        min_interval=config.value("fetch.min_interval"),
        host_intervals=config.value("fetch.hosts"),
        allow_loopback=allow_loopback,
    )


def kafka_source(config: Configuration, brokers: tuple[str, ...] | None = None, topic: str | None = None,
                 group: str | None = None) -> KafkaSource | None:
    """The Kafka topic `run` reads, None when no brokers are set; brokers without a topic are an error."""
    if missing := config.kafka_topic_missing(brokers, topic):
        raise ConfigError(missing)
    servers = config.value("kafka.brokers", brokers or None)
    if not servers:
        return None
    from newsbeam.pipelines.streaming_kafka import KafkaSource

    return KafkaSource(",".join(servers), config.value("kafka.topic", topic), config.value("kafka.group", group))


def assign_config(config: Configuration) -> AssignConfig:
    """The dedup and clustering configuration; the file's `[clustering]` tables override the tested defaults."""
    from dataclasses import replace

    from newsbeam.pipelines.assign import AssignConfig

    values: dict[str, dict[str, object]] = {"": {}, "cluster": {}, "features": {}}
    for name, setting in clustering_settings().items():
        resolved = config.resolve(name)
        if resolved.origin != "default":
            values[setting.owner][name.rpartition(".")[2]] = resolved.value
    base = AssignConfig()
    return replace(base, cluster=replace(base.cluster, **values["cluster"]),
                   features=replace(base.features, **values["features"]), **values[""])


def runner_settings(config: Configuration, runner: str | None = None, options: tuple[str, ...] = ()) -> RunnerSettings:
    from newsbeam.pipelines.runners import RunnerSettings

    return RunnerSettings(
        runner=config.value("runner.name", runner),
        flink_master=config.value("runner.flink_master"),
        spark_master=config.value("runner.spark_master"),
        extra_args=tuple(config.value("runner.options", options or None)),
        cache_dir=config.value("runner.cache_dir"),
        prism_release_url=config.value("runner.prism_release_url"),
    )


__all__ = ["ConfigError", "assign_config", "backend_settings", "fetch_settings", "kafka_source", "runner_settings"]
