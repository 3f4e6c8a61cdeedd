"""A real HTTP server on 127.0.0.1 for connector tests, with routes each test declares."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsbeam.connectors.http import Fetcher, FetchSettings

FIXTURES = Path(__file__).parent / "fixtures"
_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml", ".opml": "text/x-opml"}


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall between header and body writes
    server: _Server

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        web = self.server.web
        with web.lock:
            web.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            web.in_flight += 1
            web.max_in_flight = max(web.max_in_flight, web.in_flight)
        try:
            self._answer(web)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up on purpose (size cap, timeout)
        finally:
            with web.lock:
                web.in_flight -= 1

    def _answer(self, web: WebServer) -> None:
        route = web.routes.get(self.path)
        if route is None:
            route = Route(b"<html><body>not here</body></html>", 404)
        if callable(route):
            route(self)
            return
        if (route.etag and self.headers.get("If-None-Match") == route.etag) or (
            route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified
        ):
            self.send_response(304)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(route.body)))
        if route.etag:
            self.send_header("ETag", route.etag)
        if route.last_modified:
            self.send_header("Last-Modified", route.last_modified)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(route.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    web: WebServer


class WebServer:
    """Routes by exact path; records every request so tests can check what was sent.

    `port` 0 takes a free one; passing a closed server's port brings that server back.
    """

    def __init__(self, port: int = 0) -> None:
        self.routes: dict[str, Route | Callable[[BaseHTTPRequestHandler], None]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        #: Set at teardown so handlers that stall on purpose let go.
        self.stop = threading.Event()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.web = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", **options) -> str:
        """Serve `body` at `path`; returns the full URL."""
        self.routes[path] = Route(body.encode() if isinstance(body, str) else body, **options)
        return self.url(path)

    def fixture(self, name: str) -> bytes:
        """A fixture file with `{base}` pointing at this server."""
        return (FIXTURES / name).read_bytes().replace(b"{base}", self.url("").encode())

    def serve_fixtures(self) -> None:
        """Serve every file under fixtures/ at its relative path, the way a news site would:
        the sitemap gzipped, and the bot challenge as Cloudflare's 403."""
        for path in sorted(FIXTURES.rglob("*")):
            if path.is_file():
                name = path.relative_to(FIXTURES).as_posix()
                self.add(f"/{name}", self.fixture(name), content_type=_TYPES.get(path.suffix, "text/plain"))
        self.add("/sitemaps/news.xml.gz", gzip.compress(self.fixture("sitemaps/news.xml")),
                 content_type="application/x-gzip")
        self.add("/pages/challenge.html", self.fixture("pages/challenge.html"), status=403,
                 headers={"Server": "cloudflare", "cf-mitigated": "challenge"})

    def paths_requested(self) -> list[str]:
        with self.lock:
            return [path for path, _ in self.requests]

    def close(self) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer()
    yield server
    server.close()


@pytest.fixture
def start_web() -> Iterator[Callable[..., WebServer]]:
    """Starts more servers, on a given port if asked (`WebServer(port)`); all closed at teardown."""
    started: list[WebServer] = []

    def start(port: int = 0) -> WebServer:
        server = WebServer(port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def local_settings(**overrides) -> FetchSettings:
    """Settings for the local server: loopback allowed, no waiting between requests."""
    values = dict(allow_loopback=True, min_interval=0.0, connect_timeout=2.0, read_timeout=2.0,
                  total_timeout=5.0, backoff=0.05, retries=2)
    values.update(overrides)
    return FetchSettings(**values)


@pytest.fixture
def make_fetcher() -> Iterator[Callable[..., Fetcher]]:
    made: list[Fetcher] = []

    def make(*, clock: Callable[[], float] = time.monotonic, **overrides) -> Fetcher:
        fetcher = Fetcher(local_settings(**overrides), clock=clock)
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


@pytest.fixture
def fetcher(make_fetcher) -> Fetcher:
    return make_fetcher()
