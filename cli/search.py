"""`newsbeam search`: full-text search over events."""

from __future__ import annotations

import json
from datetime import datetime, timezone
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
@click.option("--from", "date_from", type=click.DateTime(), help="Only articles published on or after this date.")
@click.option("--to", "date_to", type=click.DateTime(), help="Only articles published on or before this date.")
def command(query: str, data_dir: Path | None, es_url: str | None, as_json: bool, size: int, page: int,
            source: str | None, language: str | None, date_from: datetime | None, date_to: datetime | None) -> None:
    """Find events matching QUERY, best first.

    Events are ranked by how well their articles' titles and texts match; each
    result lists the event's articles, outlets and first/last time seen.

    \b
    Examples:
      newsbeam search "Putin phone call"
      newsbeam search "interest rates" --source Reuters --from 2025-06-01 --json
    """
    from newsbeam.connectors.sinks import SearchQuery, open_backend

    settings = backend_settings(data_dir, es_url)
    backend = open_backend(settings)
    try:
        result = backend.search(SearchQuery(
            text=query, date_from=_utc(date_from), date_to=_utc(date_to), source=source, language=language,
            page=page, size=size,
        ))
    finally:
        backend.close()
    if as_json:
        click.echo(json.dumps([hit.to_json() for hit in result.hits], ensure_ascii=False, indent=2))
        return
    if not result.hits:
        click.echo(f"No events match {query!r} in the {settings.description}.")
        return
    click.echo(f"{result.total} event(s) match {query!r}; page {page}:\n")
    for rank, hit in enumerate(result.hits, start=(page - 1) * size + 1):
        echo_hit(rank, hit)


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value and value.tzinfo is None else value
