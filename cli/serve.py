"""`newsbeam serve`: the search API and web page over HTTP."""

from __future__ import annotations

import socket
from pathlib import Path

import click

from newsbeam.cli.options import backend_options, backend_settings, configuration
from newsbeam.connectors.sinks.select import MissingExtra, open_backend

SERVE_EXTRA = "pip install 'newsbeam[serve]'"


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
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes. Each answers on its own CPU (Python runs one thread at a time per "
    "process); one per CPU core suits a busy server.",
)
def command(
    data_dir: Path | None, es_url: str | None, host: str, port: int, cors_origins: tuple[str, ...], workers: int
) -> None:
    """Serve the search API and the web page for exploring events.

    \b
    Open http://HOST:PORT/ for the page; the API's OpenAPI document is at
    /openapi.json. Endpoints: /search?q=…, /events/ID, /articles/ID, /health,
    and /metrics for Prometheus (summed over all workers).

    \b
    Examples:
      newsbeam serve                                  http://127.0.0.1:8080/
      newsbeam serve --es-url http://localhost:9200 --port 9000
      newsbeam serve --workers 4 --host 0.0.0.0
    """
    try:
        from newsbeam.search.server import run
    except ModuleNotFoundError as error:
        if (error.name or "").startswith("newsbeam"):
            raise
        raise MissingExtra(f"newsbeam serve needs FastAPI and uvicorn: {SERVE_EXTRA}") from None

    config_path = configuration().path
    settings = backend_settings(data_dir, es_url, existing=True)
    if settings.es_url:  # an index this newsbeam cannot read is refused now, in one line, not on each request
        open_backend(settings, read_only=True).close()
    _check_address(host, port)
    click.echo(f"Serving the {settings.description} at http://{host}:{port}/ with {workers} worker(s) (Ctrl-C stops)", err=True)
    run(settings, host=host, port=port, workers=workers, cors_origins=cors_origins, config_path=config_path)


def _check_address(host: str, port: int) -> None:
    """Refuse, in one line naming the options, an address the server could not listen on (a port
    in use, an address not of this host), before announcing it; uvicorn would say so only after."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port} ({error.strerror or error}): choose another "
                                   "--port or --host, or stop what listens there") from None
