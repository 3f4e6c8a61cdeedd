"""`newsbeam status`: what the index holds and how fresh it is."""

from __future__ import annotations

import json
from pathlib import Path

import click

from newsbeam.cli.options import backend_options, backend_settings, configuration


@click.command("status")
@backend_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def command(data_dir: Path | None, es_url: str | None, as_json: bool) -> None:
    """Summarise the index: documents, newest article, dead letters, runner engines.

    Works while `newsbeam run` is writing (the embedded index allows readers
    alongside its one writer).
    """
    from newsbeam.pipelines.streaming_status import collect

    summary = collect(backend_settings(data_dir, es_url, existing=True), cache=configuration().value("runner.cache_dir"))
    if as_json:
        click.echo(json.dumps(summary, indent=2, default=str))
        return
    for key, value in summary.items():
        click.echo(f"{key.replace('_', ' '):<22}{value}")
