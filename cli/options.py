"""Options several commands share, so they are spelled and documented once.

A flag left out is None here; the configuration (`newsbeam.config`) then takes the
value from the environment, the configuration file or the default, so every
command resolves every setting the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from newsbeam.config import Configuration
from newsbeam.config.kinds import ElasticsearchUrl, FeedSource, Kind, Url, parse_since
from newsbeam.connectors.sinks.select import BackendSettings, require_backend

#: Set to 1 only for tests against a local server: lets fetches reach 127.0.0.1.
ALLOW_LOOPBACK_ENV = "NEWSBEAM_ALLOW_LOOPBACK"
#: Where the `newsbeam` group leaves the --config path for its commands.
CONFIG_PATH_KEY = "newsbeam.config_path"
_CONFIGURATION_KEY = "newsbeam.configuration"


def configuration() -> Configuration:
    """The configuration of this invocation (--config, else ./newsbeam.toml, else none), read once.

    A `ConfigError` from here or from resolving a setting ends the command with its
    message (the `newsbeam` group turns it into a usage error).
    """
    meta = click.get_current_context().meta
    if _CONFIGURATION_KEY not in meta:
        meta[_CONFIGURATION_KEY] = Configuration.load(meta.get(CONFIG_PATH_KEY))
    return meta[_CONFIGURATION_KEY]


class KindParam(click.ParamType):
    """A flag read and checked by its setting's kind, so the flag, the environment and the file
    accept the same values and refuse the others in the same words."""

    def __init__(self, kind: Kind, metavar: str) -> None:
        self.kind = kind
        self.name = metavar

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self.kind.from_text(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the embedded index [env NEWSBEAM_DATA_DIR; file index.data_dir; "
    "default $XDG_DATA_HOME/newsbeam or ~/.local/share/newsbeam].",
)
es_url_option = click.option(
    "--es-url",
    type=KindParam(ElasticsearchUrl(), "URL"),
    help="Use Elasticsearch at URL instead of the embedded index [env NEWSBEAM_ES_URL; file elasticsearch.url]. "
    "Credentials: NEWSBEAM_ES_API_KEY or NEWSBEAM_ES_USERNAME/NEWSBEAM_ES_PASSWORD, or the file's "
    "api_key_env/password_env; NEWSBEAM_ES_CA_FILE for a private CA.",
)


def backend_options(command):
    """--data-dir and --es-url, the two ways to say where the index is."""
    return data_dir_option(es_url_option(command))


def backend_settings(data_dir: Path | None, es_url: str | None, *, existing: bool = False) -> BackendSettings:
    """Where the index is. `existing`: refuse an embedded data folder that holds no index, or an
    Elasticsearch node without this prefix's aliases (reading commands, so a mistyped folder,
    URL or prefix is not answered from a new, empty index)."""
    from newsbeam.config.build import backend_settings as build

    settings = build(configuration(), data_dir, es_url)
    require_backend(settings)
    if existing and not settings.es_url:
        from newsbeam.connectors.sinks.sqlite import INDEX_FILE

        if not (settings.data_dir / INDEX_FILE).is_file():
            raise click.ClickException(
                f"no index in {settings.data_dir} (looked for {INDEX_FILE} there); give the folder "
                "`newsbeam ingest` or `newsbeam run` wrote to with --data-dir, or NEWSBEAM_DATA_DIR"
            )
    if existing and settings.es_url and (missing := _missing_es_aliases(settings)):
        raise click.ClickException(
            f"no newsbeam index at {settings.es_url} with prefix {settings.es_index_prefix!r} (no alias "
            f"{', '.join(missing)} there); make one with `newsbeam ingest FILE --es-url {settings.es_url}` or "
            "`newsbeam run`, or check the prefix (NEWSBEAM_ES_INDEX_PREFIX, elasticsearch.index_prefix)"
        )
    return settings


def _missing_es_aliases(settings: BackendSettings) -> list[str]:
    """The aliases the Elasticsearch index of `settings` lacks, asked without creating anything."""
    from newsbeam.connectors.sinks.elasticsearch.client import connect
    from newsbeam.connectors.sinks.elasticsearch.indices import IndexNames, missing_aliases
    from newsbeam.connectors.sinks.elasticsearch.retry import RetryPolicy

    client = connect(settings)
    try:
        return missing_aliases(client, IndexNames(settings.es_index_prefix),
                               RetryPolicy(budget_seconds=settings.es_retry_seconds))
    finally:
        client.close()


feeds_option = click.option(
    "--feeds", "feeds", multiple=True, type=KindParam(FeedSource(), "URL|FILE"),
    help="A feed or site home page URL, or a feed list: one URL a line (# comments) or an OPML export. "
    "Repeatable [file sources.feeds].",
)
user_agent_option = click.option(
    "--user-agent", metavar="UA",
    help="User-Agent for web requests; name a contact URL [env NEWSBEAM_USER_AGENT; file fetch.user_agent].",
)


def feed_urls(sources: tuple[str, ...]) -> list[str]:
    """The feed URLs `sources` name (URLs, and the URLs of list files), each once."""
    from newsbeam.connectors.feeds import load_feed_list

    urls = [url for source in sources for url in ([source] if "://" in source else load_feed_list(source))]
    return list(dict.fromkeys(urls))


@dataclass(frozen=True, slots=True)
class WebOptions:
    specs: tuple[str, ...] = ()
    since: datetime | None = None
    user_agent: str | None = None

    @classmethod
    def from_cli(cls, feeds: tuple[str, ...] = (), sitemaps: tuple[str, ...] = (), since: str | None = None,
                 user_agent: str | None = None, *, named_sources: bool = False) -> WebOptions:
        """The web sources of a command. Sources on the command line (`named_sources`: files
        or folders given beside these options) replace the configuration file's, all of them."""
        config = configuration()
        if named_sources or feeds or sitemaps:
            feed_list, sitemap_urls = feeds, sitemaps
        else:
            feed_list, sitemap_urls = config.value("sources.feeds"), config.value("sources.sitemaps")
        since = config.value("sources.since", since)
        specs: list[str] = []
        if feed_list or sitemap_urls:  # the web connectors take a few tenths of a second to import
            from newsbeam.connectors.web import FEED, SITEMAP

            specs = [FEED + url for url in feed_urls(feed_list)]
            specs += [SITEMAP + url for url in dict.fromkeys(sitemap_urls)]
        try:
            when = parse_since(since) if since else None
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--since") from None
        return cls(tuple(specs), when, user_agent)

    def reader(self, data_dir: Path):
        """The pipeline's reader for these specs (and for plain paths beside them)."""
        from newsbeam.connectors.state import STATE_FILE
        from newsbeam.connectors.web import WebSourceReader, WebSourceSettings

        fetch = fetch_settings(self.user_agent)
        return WebSourceReader(WebSourceSettings(state_path=str(data_dir / STATE_FILE), fetch=fetch, since=self.since))


def fetch_settings(user_agent: str | None):
    """How web requests are made: the configured politeness and User-Agent."""
    from newsbeam.config.build import fetch_settings as build

    return build(configuration(), user_agent, allow_loopback=os.environ.get(ALLOW_LOOPBACK_ENV) == "1")


def web_options(command):
    """--feeds, --sitemap, --since and --user-agent."""
    options = [
        feeds_option,
        click.option("--sitemap", "sitemaps", multiple=True, type=KindParam(Url(), "URL"),
                     help="A sitemap or sitemap index URL (plain, gzipped, Google News). Repeatable "
                     "[file sources.sitemaps]."),
        click.option("--since", metavar="WHEN",
                     help="Skip sitemap entries published before WHEN: ISO-8601, or a span like 7d, 12h "
                     "[file sources.since]."),
        user_agent_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command
