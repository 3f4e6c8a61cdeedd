"""Options several commands share, so they are spelled and documented once."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from newsbeam.connectors.sinks.select import BackendSettings

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="NEWSBEAM_DATA_DIR",
    help="Folder of the embedded index [env NEWSBEAM_DATA_DIR; default ~/.local/share/newsbeam].",
)
es_url_option = click.option(
    "--es-url",
    envvar="NEWSBEAM_ES_URL",
    metavar="URL",
    help="Use Elasticsearch at URL instead of the embedded index [env NEWSBEAM_ES_URL]. "
    "Credentials: NEWSBEAM_ES_API_KEY or NEWSBEAM_ES_USERNAME/NEWSBEAM_ES_PASSWORD; "
    "NEWSBEAM_ES_CA_FILE for a private CA.",
)


def backend_options(command):
    """--data-dir and --es-url, the two ways to say where the index is."""
    return data_dir_option(es_url_option(command))


def backend_settings(data_dir: Path | None, es_url: str | None) -> BackendSettings:
    return BackendSettings.from_env(data_dir=data_dir, es_url=es_url)

#: Set to 1 only for tests against a local server: lets fetches reach 127.0.0.1.
ALLOW_LOOPBACK_ENV = "NEWSBEAM_ALLOW_LOOPBACK"
_RELATIVE = re.compile(r"^(\d+)\s*([dhm])$")


def parse_since(value: str | None) -> datetime | None:
    """`2026-03-01`, `2026-03-01T06:00:00+01:00`, or a span back from now: `7d`, `12h`, `30m`."""
    if not value:
        return None
    if match := _RELATIVE.match(value.strip().lower()):
        unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
        return datetime.now(timezone.utc) - timedelta(**{unit: int(match.group(1))})
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r}: use an ISO-8601 date/time or a span like 7d, 12h") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class WebOptions:
    specs: tuple[str, ...] = ()
    since: datetime | None = None
    user_agent: str | None = None

    @classmethod
    def from_cli(cls, feeds: tuple[Path, ...] = (), sitemaps: tuple[str, ...] = (), since: str | None = None,
                 user_agent: str | None = None) -> WebOptions:
        specs: list[str] = []
        if feeds or sitemaps:  # the web connectors take a few tenths of a second to import
            from newsbeam.connectors.feeds import load_feed_list
            from newsbeam.connectors.web import FEED, SITEMAP

            urls = [url for path in feeds for url in load_feed_list(path)]
            specs = [FEED + url for url in dict.fromkeys(urls)] + [SITEMAP + url for url in dict.fromkeys(sitemaps)]
        return cls(tuple(specs), parse_since(since), user_agent)

    def reader(self, data_dir: Path):
        """The pipeline's reader for these specs (and for plain paths beside them)."""
        from newsbeam.connectors.http import FetchSettings
        from newsbeam.connectors.state import STATE_FILE
        from newsbeam.connectors.web import WebSourceReader, WebSourceSettings

        fetch = FetchSettings(allow_loopback=os.environ.get(ALLOW_LOOPBACK_ENV) == "1",
                              **({"user_agent": self.user_agent} if self.user_agent else {}))
        return WebSourceReader(WebSourceSettings(state_path=str(data_dir / STATE_FILE), fetch=fetch, since=self.since))


def web_options(command):
    """--feeds, --sitemap, --since and --user-agent."""
    options = [
        click.option("--feeds", "feeds", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="A feed list: one feed (or site home page) URL a line, or an OPML export. Repeatable."),
        click.option("--sitemap", "sitemaps", multiple=True, metavar="URL",
                     help="A sitemap or sitemap index URL (plain, gzipped, Google News). Repeatable."),
        click.option("--since", metavar="WHEN",
                     help="Skip sitemap entries published before WHEN: ISO-8601, or a span like 7d, 12h."),
        click.option("--user-agent", envvar="NEWSBEAM_USER_AGENT", metavar="UA",
                     help="User-Agent for web requests [env NEWSBEAM_USER_AGENT]; name a contact URL."),
    ]
    for option in reversed(options):
        command = option(command)
    return command
