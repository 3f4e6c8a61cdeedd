"""Every setting newsbeam reads: its one name, its type, and where else it may come from.

A setting's name is where it sits in `newsbeam.toml` (`run.poll_interval` is
`poll_interval` under `[run]`). The same setting may also come from a command's
flag and from an environment variable; the value used is the first present of
flag, environment, file, default. The clustering settings are the fields of
`AssignConfig`, `ClusterConfig` and `FeatureConfig`, listed from those classes so
the file can never name a knob the code does not have.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsbeam.config.kinds import (
    Brokers,
    Choice,
    ElasticsearchUrl,
    FeedSource,
    Folder,
    HostIntervals,
    KafkaTopic,
    Kind,
    Number,
    Since,
    Switch,
    Text,
    Texts,
    Url,
)

RUNNERS = ("prism", "flink", "direct", "spark", "dataflow")
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    kind: Kind
    help: str
    #: The value when nothing sets it; a callable is asked each time (it may read the home folder).
    default: Any = None
    env: str | None = None
    #: Flags that set it, as the commands spell them (documentation and `config show`).
    flag: str | None = None
    #: A credential: the file names the environment variable that holds it (`KEY_env = "VAR"`),
    #: never the value, and `config show` masks it.
    secret: bool = False
    #: Older names of `env`, still read, with a warning.
    deprecated_env: tuple[str, ...] = ()
    #: A clustering setting's place in `AssignConfig`: "" (its own field), "cluster" or "features".
    owner: str = ""

    @property
    def section(self) -> str:
        return self.name.rpartition(".")[0]

    @property
    def file_key(self) -> str:
        """The key in the file's table: a secret's key names its environment variable."""
        key = self.name.rpartition(".")[2]
        return f"{key}_env" if self.secret else key

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default


def default_data_dir() -> Path:
    """The per-user data folder: `$XDG_DATA_HOME/newsbeam`, else ~/.local/share/newsbeam."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "newsbeam"


def _fetch_default(name: str) -> Callable[[], Any]:
    """The default of a `FetchSettings` field, which owns the fetch defaults."""

    def default() -> Any:
        from newsbeam.connectors.http.settings import FetchSettings

        return getattr(FetchSettings(), name)

    return default


def default_cache_dir() -> Path:
    """The per-user cache folder: `$XDG_CACHE_HOME/newsbeam`, else ~/.cache/newsbeam."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsbeam"


_OPERATIONAL_LIST = [
    Setting("sources.feeds", Texts(FeedSource()), "Feeds to read: feed or site URLs, or feed list files.",
            default=(), flag="--feeds"),
    Setting("sources.sitemaps", Texts(Url()), "Sitemap or sitemap index URLs (`ingest`).", default=(),
            flag="--sitemap"),
    Setting("sources.since", Since(), "Skip sitemap entries published before this (`ingest`).", flag="--since"),
    Setting("sources.cc_news_base", Url(), "Where CC-NEWS is served: a mirror of its crawl-data/CC-NEWS/ tree (`ingest --cc-news`).",
            default="https://data.commoncrawl.org/", flag="--cc-news-base"),
    Setting("sources.cc_news_hosts", Texts(), "Keep only CC-NEWS pages of these hosts and their subdomains (`ingest --cc-news`).",
            default=(), flag="--cc-news-host"),
    Setting("sources.cc_news_languages", Texts(), "Keep only CC-NEWS pages in these languages, two-letter codes (`ingest --cc-news`).",
            default=(), flag="--cc-news-language"),
    Setting("kafka.brokers", Brokers(),
            "Kafka bootstrap servers (host:port) whose topic `run` reads, beside or instead of feeds.",
            default=(), env="NEWSBEAM_KAFKA_BROKERS", flag="--kafka"),
    Setting("kafka.topic", KafkaTopic(), "The Kafka topic `run` reads (with kafka.brokers).",
            env="NEWSBEAM_KAFKA_TOPIC", flag="--topic"),
    Setting("kafka.group", Text(), "The Kafka consumer group whose committed offsets say what is indexed (`run`).",
            default="newsbeam", env="NEWSBEAM_KAFKA_GROUP", flag="--kafka-group"),
    Setting("fetch.user_agent", Text(), "User-Agent of every web request; name a contact URL.",
            default=_fetch_default("user_agent"), env="NEWSBEAM_USER_AGENT", flag="--user-agent"),
    Setting("fetch.min_interval", Number(minimum=0), "Seconds between two requests to one host.", default=_fetch_default("min_interval"),
            env="NEWSBEAM_FETCH_MIN_INTERVAL"),
    Setting("fetch.hosts", HostIntervals(),
            "Seconds between two requests per host, overriding min_interval (a host's subdomains too).",
            default=()),
    Setting("index.data_dir", Folder(), "Folder of the embedded index.", default=default_data_dir,
            env="NEWSBEAM_DATA_DIR", flag="--data-dir"),
    Setting("elasticsearch.url", ElasticsearchUrl(), "Use Elasticsearch at this URL instead of the embedded index.",
            env="NEWSBEAM_ES_URL", flag="--es-url"),
    Setting("elasticsearch.index_prefix", Text(), "Prefix of the index aliases (PREFIX-articles, PREFIX-events).",
            default="newsbeam", env="NEWSBEAM_ES_INDEX_PREFIX"),
    Setting("elasticsearch.api_key", Text(), "API key.", env="NEWSBEAM_ES_API_KEY", secret=True),
    Setting("elasticsearch.username", Text(), "User for basic authentication.", env="NEWSBEAM_ES_USERNAME"),
    Setting("elasticsearch.password", Text(), "Password for basic authentication.", env="NEWSBEAM_ES_PASSWORD",
            secret=True),
    Setting("elasticsearch.ca_file", Folder(), "CA certificate file of a private CA.", env="NEWSBEAM_ES_CA_FILE"),
    Setting("elasticsearch.retry_seconds", Number(minimum=0), "How long node outages are ridden out.",
            default=120.0, env="NEWSBEAM_ES_RETRY_SECONDS"),
    Setting("run.poll_interval", Number(minimum=0.5), "Seconds between two polls of every feed (`run`).",
            default=60.0, env="NEWSBEAM_POLL_INTERVAL", flag="--poll-interval"),
    Setting("run.concurrent_feeds", Number(minimum=1, integer=True), "Feeds a worker reads at once (`run`).",
            default=8, env="NEWSBEAM_CONCURRENT_FEEDS", flag="--concurrent-feeds"),
    Setting("run.warm_start", Switch(),
            "Load every language's saved clustering state as the job starts (`run`); turn off on runners "
            "with many worker processes, each of which would load all of it.",
            default=True, env="NEWSBEAM_WARM_START", flag="--warm-start/--no-warm-start"),
    Setting("run.metrics_interval", Number(minimum=1), "Seconds between two metrics lines in the log (`run`).",
            default=30.0, env="NEWSBEAM_METRICS_INTERVAL", flag="--metrics-interval"),
    Setting("run.metrics_port", Number(minimum=1, integer=True),
            "Serve Prometheus metrics of the job on this port at /metrics (`run`; unset: no endpoint).",
            env="NEWSBEAM_METRICS_PORT", flag="--metrics-port"),
    Setting("run.metrics_host", Text(), "The address the metrics endpoint listens on (`run`).",
            default="127.0.0.1", env="NEWSBEAM_METRICS_HOST", flag="--metrics-host"),
    Setting("log.format", Choice(LOG_FORMATS), "Log lines as text, or as one JSON object each (for a log shipper).",
            default="text", env="NEWSBEAM_LOG_FORMAT", flag="--log-format"),
    Setting("runner.name", Choice(RUNNERS), "Beam runner of `run`.", default="prism", env="NEWSBEAM_RUNNER",
            flag="--runner"),
    Setting("runner.flink_master", Text(), "Flink: [local] for an embedded Flink, or a cluster's host:port.",
            default="[local]", env="NEWSBEAM_FLINK_MASTER"),
    Setting("runner.spark_master", Text(), "Spark: the master URL given to Beam's Spark job server.",
            default="local[2]", env="NEWSBEAM_SPARK_MASTER"),
    Setting("runner.options", Texts(), "Beam pipeline options passed verbatim (e.g. Dataflow's --project).",
            default=(), flag="-- OPTIONS"),
    Setting("runner.cache_dir", Folder(), "Where runner engines (Prism, Flink's job server) are kept.",
            default=default_cache_dir, env="NEWSBEAM_CACHE_DIR", deprecated_env=("NEWSBEAM_CACHE",)),
    Setting("runner.prism_release_url", Url(),
            "The zip of Prism's released binary, fetched on first use (default: Beam's GitHub release for "
            "this operating system and processor); when it cannot be fetched, Prism is built with Go.",
            env="NEWSBEAM_PRISM_RELEASE_URL"),
]


def _field_kind(kind: type) -> Kind:
    if kind is int:
        return Number(minimum=0, integer=True)
    if kind is float:
        return Number(minimum=0)
    return Text()


def _fields_of(cls: type, section: str, what: str, owner: str, skip: tuple[str, ...] = ()) -> list[Setting]:
    hints = typing.get_type_hints(cls)
    defaults = cls()
    return [
        Setting(f"{section}.{field.name}", _field_kind(hints[field.name]), f"{what} `{field.name}`.",
                default=getattr(defaults, field.name), owner=owner)
        for field in dataclasses.fields(cls) if field.name not in skip
    ]


OPERATIONAL: dict[str, Setting] = {setting.name: setting for setting in _OPERATIONAL_LIST}
CLUSTERING_SECTION = "clustering"


@functools.cache
def clustering_settings() -> dict[str, Setting]:
    """The clustering settings, read from the config classes on first use (they import numpy)."""
    from newsbeam.pipelines.assign import AssignConfig
    from newsbeam.pipelines.cluster.clusterer import ClusterConfig
    from newsbeam.pipelines.features import FeatureConfig

    found = [
        *_fields_of(AssignConfig, CLUSTERING_SECTION, "AssignConfig", "", skip=("features", "cluster")),
        *_fields_of(ClusterConfig, CLUSTERING_SECTION, "ClusterConfig", "cluster"),
        *_fields_of(FeatureConfig, f"{CLUSTERING_SECTION}.features", "FeatureConfig", "features"),
    ]
    return {setting.name: setting for setting in found}


def is_clustering(name: str) -> bool:
    return name == CLUSTERING_SECTION or name.startswith(CLUSTERING_SECTION + ".")


def setting(name: str) -> Setting:
    """The setting called `name`; KeyError for a name newsbeam does not have."""
    return clustering_settings()[name] if is_clustering(name) else OPERATIONAL[name]


def all_settings() -> list[Setting]:
    return [*OPERATIONAL.values(), *clustering_settings().values()]


def table(section: str) -> dict[str, Setting] | None:
    """Keys the file's table `section` may hold, by file key; None when there is no such table."""
    pool = clustering_settings().values() if is_clustering(section) else OPERATIONAL.values()
    keys = {s.file_key: s for s in pool if s.section == section}
    return keys or None
