"""`newsbeam serve` as a user runs it: a process answering on the port it was given."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from support import REFERENCE_QUERY

from newsbeam.connectors.sinks.select import BackendSettings

pytestmark = pytest.mark.slow
START_SECONDS = 30


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_on_the_given_port(embedded_reference_settings: BackendSettings, unused_port: int, workers: int) -> None:
    port = unused_port
    env = dict(os.environ, NEWSBEAM_CORS_ORIGINS="https://dash.example")
    command = [sys.executable, "-m", "newsbeam", "serve", "--data-dir", str(embedded_reference_settings.data_dir),
               "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert server.poll() is None, f"serve exited early:\n{server.stdout.read()}"
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", headers={"Origin": "https://dash.example"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not answer in time"
                time.sleep(0.2)
        assert health.json() == {"status": "ok", "backend": "embedded", "articles": 3, "events": 1}
        assert health.headers["access-control-allow-origin"] == "https://dash.example"
        assert "server" not in health.headers
        assert httpx.get(f"http://127.0.0.1:{port}/search", params={"q": REFERENCE_QUERY}).json()["total"] == 1
    finally:
        server.terminate()
        server.wait(timeout=START_SECONDS)
