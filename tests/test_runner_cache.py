"""Prism comes from Beam's release zip when that can be fetched, from a Go build otherwise, and says which."""

from __future__ import annotations

import functools
import hashlib
import os
import socket
import subprocess
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsbeam.config import Configuration
from newsbeam.config.build import runner_settings
from newsbeam.pipelines import runner_cache

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def cached_prism() -> Path:
    """The Prism binary of the shared cache (built once by the streaming tests' fixture)."""
    return runner_cache.prism_binary()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def release_server(tmp_path, cached_prism):
    """A local HTTP server holding a zip shaped like Beam's Prism release, built from the cached binary."""
    name = Path(runner_cache.prism_release_url()).name  # apache_beam-v2.77.0-prism-linux-amd64.zip
    folder = tmp_path / "releases"
    folder.mkdir()
    with zipfile.ZipFile(folder / name, "w", compression=zipfile.ZIP_STORED) as release:
        release.write(cached_prism, arcname=name.removesuffix(".zip"))
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            requests.append(self.requestline)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{name}", requests
    server.shutdown()
    server.server_close()


def test_the_released_binary_is_used_when_its_url_answers(tmp_path, release_server, cached_prism, capfd):
    url, requests = release_server
    # The URL comes from the configuration, as `newsbeam run` reads it.
    settings = runner_settings(Configuration(environ={"NEWSBEAM_PRISM_RELEASE_URL": url}))
    assert settings.prism_release_url == url

    binary = runner_cache.prism_binary(cache=tmp_path / "cache", release_url=settings.prism_release_url)

    assert binary == tmp_path / "cache" / "bin" / f"prism-{runner_cache.BEAM_VERSION}"
    assert os.access(binary, os.X_OK) and _digest(binary) == _digest(cached_prism)
    assert any(line.startswith("GET ") for line in requests), requests
    assert f"Beam's released binary from {url}" in capfd.readouterr().err
    # It runs: Prism answers --help.
    assert subprocess.run([binary, "--help"], capture_output=True, timeout=60).returncode in (0, 2)
    # A second call finds it in the cache and fetches nothing.
    fetched = len(requests)
    assert runner_cache.prism_binary(cache=tmp_path / "cache", release_url=url) == binary
    assert len(requests) == fetched


def test_an_unreachable_release_falls_back_to_the_go_build_and_says_why(tmp_path, capfd):
    """The Go build here finds its modules and compiled packages in Go's caches (the streaming
    tests' Prism was built with them), so it links in seconds rather than building for minutes."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # nothing listens once the socket is closed
    url = f"http://127.0.0.1:{closed}/apache_beam-v{runner_cache.BEAM_VERSION}-prism-linux-amd64.zip"

    binary = runner_cache.prism_binary(cache=tmp_path / "cache", release_url=url)

    err = capfd.readouterr().err
    assert f"the released binary could not be fetched from {url} (" in err
    assert "building it with Go instead" in err and "go install prism" in err
    assert os.access(binary, os.X_OK)
