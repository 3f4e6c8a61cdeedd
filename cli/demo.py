"""`newsbeam demo`: ingest the bundled sample corpus, show its events, search it."""

from __future__ import annotations

import importlib.util
import shlex
import shutil
from importlib import resources
from pathlib import Path

import click

from newsbeam.cli.ingest import run_ingest
from newsbeam.cli.output import echo_hit
from newsbeam.cli.options import configuration
from newsbeam.connectors.sinks.select import BackendSettings

SAMPLE = "demo.jsonl"
SAMPLE_QUERY = "ferry collision harbour"
#: The search the demo suggests trying next: another of the sample's events.
NEXT_QUERY = "wildfire evacuation"


def sample_path() -> Path:
    return Path(str(resources.files("newsbeam.samples") / SAMPLE))


@click.command("demo")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to keep the demo index [default: the data folder (index.data_dir) /demo].")
@click.option("--query", default=SAMPLE_QUERY, show_default=True, help="The sample search to run.")
def command(data_dir: Path | None, query: str) -> None:
    """Ingest the bundled sample corpus, list its events and run a sample search.

    The sample is a few dozen invented articles: several events each covered by
    several outlets, a wire story syndicated with small edits, an AMP copy of an
    article, and unrelated stories. Offline, no server; running it again changes
    nothing, since every article is already indexed.
    """
    from newsbeam.config.build import assign_config
    from newsbeam.connectors.sinks import SearchQuery, open_backend

    config = configuration()
    if data_dir is None:
        data_dir = config.value("index.data_dir") / "demo"
        _forget_older_demo(data_dir)
    run_ingest([str(sample_path())], BackendSettings(data_dir=data_dir), strict=False, config=assign_config(config),
               what="Ingested the sample corpus")
    backend = open_backend(BackendSettings(data_dir=data_dir))
    try:
        click.echo(f"\nSearch {query!r}:\n")
        for rank, hit in enumerate(backend.search(SearchQuery(text=query, size=3)).hits, start=1):
            echo_hit(rank, hit)
    finally:
        backend.close()
    click.echo("\n" + next_steps(data_dir))


def next_steps(data_dir: Path) -> str:
    """What to try after the demo, as commands to copy; `serve` names its extra when it is missing."""
    folder = shlex.quote(str(data_dir))
    serve = f"newsbeam serve --data-dir {folder}"
    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None:
        serve = f"pip install 'newsbeam[serve]' && {serve}"
    steps = [
        (f"newsbeam search \"{NEXT_QUERY}\" --data-dir {folder}", "search the sample yourself (--json for machines)"),
        (serve, "browse its events at http://127.0.0.1:8080/"),
        ("newsbeam ingest articles.jsonl", "index your own articles (`newsbeam ingest --help`: every source)"),
    ]
    return "Try next:\n" + "\n".join(f"  {command}\n      {what}" for command, what in steps)


def _forget_older_demo(data_dir: Path) -> None:
    """Start the default demo index afresh when an older newsbeam wrote it.

    It holds nothing but the bundled sample, so re-running the demo after an
    upgrade should just work; an index the user named with --data-dir is never
    removed.
    """
    from newsbeam.connectors.sinks import IndexLayoutMismatch, open_backend

    try:
        open_backend(BackendSettings(data_dir=data_dir)).close()
    except IndexLayoutMismatch:
        click.echo(f"The demo index in {data_dir} was written by another newsbeam version: starting it afresh.")
        shutil.rmtree(data_dir)
