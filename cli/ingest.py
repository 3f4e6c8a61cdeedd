"""`newsbeam ingest`: index articles from files, deduplicated and grouped into events."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsbeam.cli.options import WebOptions, backend_options, backend_settings, configuration, web_options
from newsbeam.cli.output import echo_run_summary

if TYPE_CHECKING:  # the CLI starts without importing Beam
    from newsbeam.connectors.sinks import BackendSettings
    from newsbeam.pipelines.assign import AssignConfig


def dead_letter_file(data_dir: Path, run: str) -> Path:
    """A new dead-letter file per run, named by its UTC start time."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return data_dir / "dead-letters" / f"{run}-{stamp}.jsonl"


def run_ingest(sources: list[str], settings: BackendSettings, *, strict: bool, what: str,
               config: AssignConfig, web: WebOptions | None = None) -> None:
    """Run the batch pipeline and report; shared by `ingest` and `demo`, with the configuration's clustering."""
    from newsbeam.connectors.files import read_path
    from newsbeam.connectors.sinks import BackendUnavailable, open_backend
    from newsbeam.pipelines.batch import ingest
    from newsbeam.pipelines.transforms import RejectedRecord

    dead_path = dead_letter_file(settings.data_dir, "ingest")
    reader = read_path
    if web is not None and web.specs:
        sources = [*sources, *web.specs]
        reader = web.reader(settings.data_dir)
    click.echo(f"Ingesting {len(sources)} source(s) into the {settings.description} …", err=True)
    try:
        summary = ingest(sources, reader, settings, dead_path, config=config, strict=strict,
                         progress=sys.stderr.isatty())
    except Exception as error:  # Beam wraps the DoFn's exception; find ours in the chain.
        if rejected := _find(error, RejectedRecord):
            raise click.ClickException(f"rejected record (--strict): {rejected}") from None
        if unavailable := _find(error, BackendUnavailable):
            raise click.ClickException(
                f"the index is unavailable: {unavailable}. Re-run the same command to finish: "
                "articles already indexed are skipped and writes are idempotent."
            ) from None
        raise
    if summary["rejected"] == 0:
        dead_path.unlink(missing_ok=True)
    echo_run_summary(summary, what=what)
    backend = open_backend(settings)
    try:
        counts = backend.counts()
    finally:
        backend.close()
    click.echo(f"Index: {settings.description} now holds {counts['articles']} articles in {counts['events']} events")


def _find(error: BaseException | None, kind: type[BaseException]) -> BaseException | None:
    while error is not None:
        if isinstance(error, kind):
            return error
        error = error.__cause__ or error.__context__
    return None


@click.command("ingest")
@click.argument("sources", nargs=-1, type=click.Path(exists=True))
@backend_options
@web_options
@click.option("--strict", is_flag=True, help="Stop at the first bad record instead of dead-lettering it.")
def command(sources: tuple[str, ...], data_dir: Path | None, es_url: str | None, strict: bool, **web) -> None:
    """Ingest SOURCES into the index: normalize, deduplicate, cluster into events.

    \b
    A SOURCE is one of:
      FILE.jsonl   one article per line: {"id", "url", "title", "text",
                   "published" (ISO-8601), "source", "language"}; only "text"
                   is required, and "id" or "url"; or one ninjs item per line
      FILE.xml     NewsML-G2 newsItems (a newsMessage, or one item)
      FILE.json    a ninjs item, or a list of them (ninjs 1.x, 2.x, 3.x)
      FOLDER/      .txt articles (first line is the headline when it looks like
                   one), .html pages (main text extracted by trafilatura), and
                   .xml / .json wire items
      FILE.warc.gz a WARC file (e.g. Common Crawl news): its HTML responses

    A wire item keeps its guid/uri as its id: a newer version replaces the
    older one in the index, and a canceled or withheld one removes it.

    With --feeds and --sitemap, articles come from the web: each new item's
    page is fetched politely (robots.txt, one request per second per host)
    and its main text extracted; a second run fetches only what changed.
    Without any SOURCE, --feeds or --sitemap, the sources are the
    configuration file's ([sources] in newsbeam.toml).

    Re-running the same input changes nothing: articles already in the index are
    skipped. Records that cannot be read (malformed JSON, no text, bad encoding,
    unknown date format, too large) go to a dead-letter file in
    DATA_DIR/dead-letters/ with the reason; the run goes on unless --strict.
    """
    from newsbeam.config.build import assign_config

    options = WebOptions.from_cli(**web, named_sources=bool(sources))
    if not sources and not options.specs:
        raise click.UsageError("give at least one SOURCE, --feeds, or --sitemap (or sources in the configuration file)")
    run_ingest(list(sources), backend_settings(data_dir, es_url), strict=strict, web=options,
               config=assign_config(configuration()), what=f"Ingested {len(sources) + len(options.specs)} source(s)")
