"""Options several commands share, so they are spelled and documented once."""

from __future__ import annotations

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
