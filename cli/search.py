"""`newsbeam search`: full-text search over events."""

from __future__ import annotations

import json
from pathlib import Path

import click

from newsbeam.cli.options import backend_options, backend_settings
from newsbeam.cli.output import echo_hit


@click.command("search")
@click.argument("query")
@backend_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of events (event_id, title, article_ids, score, …).")
@click.option("--size", default=10, show_default=True, type=click.IntRange(1, 100), help="Events per page.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, 1000), help="Result page, from 1.")
@click.option("--source", help="Only articles from this outlet.")
@click.option("--language", help="Only articles in this language (ISO 639-1, e.g. en).")
@click.option("--subject", help="Only articles with this subject code, as wire items give it (e.g. medtop:04000000).")
@click.option("--from", "date_from", metavar="WHEN",
              help="Only articles published on or after WHEN: a date (2025-06-04, from its first moment) or an "
              "ISO-8601 date-time (2025-06-04T12:00:00Z), as the API's `from`.")
@click.option("--to", "date_to", metavar="WHEN",
              help="Only articles published on or before WHEN: a date (to its last moment) or a date-time.")
def command(query: str, data_dir: Path | None, es_url: str | None, as_json: bool, size: int, page: int,
            source: str | None, language: str | None, subject: str | None, date_from: str | None,
            date_to: str | None) -> None:
    """Find events matching QUERY, best first.

    Events are ranked by how well their articles' titles and texts match; each
    result lists the event's articles, outlets and first/last time seen.

    \b
    Examples:
      newsbeam search "Putin phone call"
      newsbeam search "interest rates" --source Reuters --from 2025-06-01 --json
      newsbeam search "ferry" --subject medtop:20000106
    """
    from newsbeam.connectors.sinks import SearchQuery, open_backend
    from newsbeam.search.params import InvalidParameter, parse_window

    try:
        window = parse_window(date_from, date_to)
    except InvalidParameter as error:
        raise click.BadParameter(error.message, param_hint=f"--{error.param}") from None
    settings = backend_settings(data_dir, es_url, existing=True)
    backend = open_backend(settings, read_only=True)
    try:
        result = backend.search(SearchQuery(
            text=query, date_from=window.date_from, date_to=window.date_to, source=source, language=language,
            subject=subject, page=page, size=size,
        ))
    finally:
        backend.close()
    if as_json:
        click.echo(json.dumps([hit.to_json() for hit in result.hits], ensure_ascii=False, indent=2))
        return
    if not result.hits:
        if result.total:
            last = -(-result.total // size)
            click.echo(f"{result.total} event(s) match {query!r}, on {last} page(s) of {size}: "
                       f"page {page} is past the last.")
        else:
            click.echo(f"No events match {query!r} in the {settings.description}.")
        return
    click.echo(f"{result.total} event(s) match {query!r}; page {page}:\n")
    for rank, hit in enumerate(result.hits, start=(page - 1) * size + 1):
        echo_hit(rank, hit)

