"""`newsbeam ingest`: index articles from files, deduplicated and grouped into events."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsbeam.cli.options import (
    KindParam,
    WebOptions,
    backend_options,
    backend_settings,
    configuration,
    web_options,
)
from newsbeam.cli.output import echo_run_summary
from newsbeam.config.kinds import Url


@dataclass(frozen=True, slots=True)
class CCNewsOptions:
    """`--cc-news RANGE` and its filters, with the configuration file's values filled in."""

    dates: str
    base: str
    hosts: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    user_agent: str | None = None

    @classmethod
    def from_cli(cls, dates: str | None, base: str | None, hosts: tuple[str, ...], languages: tuple[str, ...],
                 user_agent: str | None) -> CCNewsOptions | None:
        if not dates:
            return None
        config = configuration()
        return cls(dates, config.value("sources.cc_news_base", base),
                   tuple(host.lower() for host in config.value("sources.cc_news_hosts", hosts or None) or ()),
                   tuple(lang.lower() for lang in config.value("sources.cc_news_languages", languages or None) or ()),
                   user_agent)

    def reader(self, data_dir: Path, fallback):
        """The pipeline's reader (CC-NEWS specs here, others to `fallback`) and the specs of the files to read."""
        from newsbeam.cli.options import fetch_settings
        from newsbeam.connectors.ccnews import CCNewsSettings, DateRange, plan_backfill
        from newsbeam.connectors.http import FetchError
        from newsbeam.connectors.state import STATE_FILE

        try:
            dates = DateRange.parse(self.dates)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--cc-news") from None
        settings = CCNewsSettings(str(data_dir / STATE_FILE), dates, self.base, fetch_settings(self.user_agent),
                                  self.hosts, self.languages, progress=sys.stderr.isatty())
        try:
            reader, specs, finished = plan_backfill(settings, fallback)
        except FetchError as error:
            raise click.ClickException(f"cannot list CC-NEWS files: {error.detail}") from None
        click.echo(f"CC-NEWS {self.dates}: {len(specs) + finished} file(s), {finished} finished by earlier runs",
                   err=True)
        return reader, specs

if TYPE_CHECKING:  # the CLI starts without importing Beam
    from newsbeam.connectors.sinks import BackendSettings
    from newsbeam.pipelines.assign import AssignConfig


def dead_letter_file(data_dir: Path, run: str) -> Path:
    """A new dead-letter file per run, named by its UTC start time."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return data_dir / "dead-letters" / f"{run}-{stamp}.jsonl"


def run_ingest(sources: list[str], settings: BackendSettings, *, strict: bool, what: str,
               config: AssignConfig, web: WebOptions | None = None, cc_news: CCNewsOptions | None = None) -> None:
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
    if cc_news is not None:
        reader, files = cc_news.reader(settings.data_dir, reader)
        sources = [*sources, *files]
    click.echo(f"Ingesting {len(sources)} source(s) into the {settings.description} …", err=True)
    try:
        summary = ingest(sources, reader, settings, dead_path, config=config, strict=strict,
                         progress=sys.stderr.isatty())
    except Exception as error:  # Beam wraps the DoFn's exception; find ours in the chain.
        if rejected := _find(error, RejectedRecord):
            raise click.ClickException(f"rejected record (--strict): {rejected}") from None
        if unavailable := _find(error, BackendUnavailable):
            reach = f"Once Elasticsearch answers at {settings.es_url}, re-run" if settings.es_url else "Re-run"
            raise click.ClickException(
                f"the index is unavailable: {unavailable}. {reach} the same command to finish: "
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
@click.option("--cc-news", "cc_news", metavar="FIRST..LAST",
              help="Backfill from Common Crawl's CC-NEWS: the WARC files of these UTC days "
              "(2025-06-01..2025-06-07, or one day).")
@click.option("--cc-news-base", type=KindParam(Url(), "URL"),
              help="Where CC-NEWS is served (a mirror of its tree) [file sources.cc_news_base; "
              "default https://data.commoncrawl.org/].")
@click.option("--cc-news-host", "cc_news_hosts", multiple=True, metavar="HOST",
              help="Keep only CC-NEWS pages of HOST and its subdomains. Repeatable [file sources.cc_news_hosts].")
@click.option("--cc-news-language", "cc_news_languages", multiple=True, metavar="CODE",
              help="Keep only CC-NEWS pages in this language (two-letter code). Repeatable "
              "[file sources.cc_news_languages].")
@click.option("--strict", is_flag=True, help="Stop at the first bad record instead of dead-lettering it.")
def command(sources: tuple[str, ...], data_dir: Path | None, es_url: str | None, strict: bool,
            cc_news: str | None, cc_news_base: str | None, cc_news_hosts: tuple[str, ...],
            cc_news_languages: tuple[str, ...], **web) -> None:
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

    With --cc-news FIRST..LAST, the WARC files of those days are picked from
    each month's crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz by the time in their
    names (with the file before, which runs into the first day) and streamed
    from --cc-news-base. Records outside the days, or not
    of a --cc-news-host, or declaring another --cc-news-language, are passed
    over before their pages are extracted. A file read to its end is marked
    finished once its articles are indexed, so re-running the command skips
    it and reads only what is left. Progress (files, records, articles/s)
    shows on a terminal.

    Re-running the same input changes nothing: articles already in the index are
    skipped. Records that cannot be read (malformed JSON, no text, bad encoding,
    unknown date format, too large) go to a dead-letter file in
    DATA_DIR/dead-letters/ with the reason; the run goes on unless --strict.
    """
    from newsbeam.config.build import assign_config

    backfill = CCNewsOptions.from_cli(cc_news, cc_news_base, cc_news_hosts, cc_news_languages, web.get("user_agent"))
    options = WebOptions.from_cli(**web, named_sources=bool(sources) or backfill is not None)
    if not sources and not options.specs and backfill is None:
        raise click.UsageError("give at least one SOURCE, --feeds, --sitemap or --cc-news "
                               "(or sources in the configuration file)")
    what = f"Ingested {len(sources) + len(options.specs)} source(s)" + (f" and CC-NEWS {cc_news}" if backfill else "")
    run_ingest(list(sources), backend_settings(data_dir, es_url), strict=strict, web=options, cc_news=backfill,
               config=assign_config(configuration()), what=what)
