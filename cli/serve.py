"""`newsbeam serve`: the search API and web page over HTTP."""

from __future__ import annotations

from pathlib import Path

import click

from newsbeam.cli.options import backend_options, backend_settings


@click.command("serve")
@backend_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    envvar="NEWSBEAM_CORS_ORIGINS",
    help="Let pages from ORIGIN (e.g. https://dash.example.org) call the API from a browser; repeatable. "
    "Off by default [env NEWSBEAM_CORS_ORIGINS, space-separated].",
)
def command(data_dir: Path | None, es_url: str | None, host: str, port: int, cors_origins: tuple[str, ...]) -> None:
    """Serve the search API and the web page for exploring events.

    \b
    Open http://HOST:PORT/ for the page; the API's OpenAPI document is at
    /openapi.json. Endpoints: /search?q=…, /events/ID, /articles/ID, /health.

    \b
    Examples:
      newsbeam serve                                  http://127.0.0.1:8080/
      newsbeam serve --es-url http://localhost:9200 --port 9000
    """
    import uvicorn

    from newsbeam.search.app import app_for_settings

    settings = backend_settings(data_dir, es_url)
    app = app_for_settings(settings, cors_origins=cors_origins)
    click.echo(f"Serving the {settings.description} at http://{host}:{port}/ (Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
