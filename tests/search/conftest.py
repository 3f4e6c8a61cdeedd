"""Fixtures for the search API: an index built by the real pipeline, the app, a live server."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from newsbeam.cli.main import main as newsbeam_cli
from newsbeam.connectors.sinks.select import BackendSettings
from newsbeam.search.app import app_for_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_START_SECONDS = 20


def shared_dir() -> Path:
    """`$NEWSBEAM_SHARED_DIR`, else `../shared` next to the repository (where CI has it)."""
    return Path(os.environ.get("NEWSBEAM_SHARED_DIR") or REPO_ROOT.parent / "shared")


@pytest.fixture(scope="session")
def seed_corpus() -> Path:
    path = shared_dir() / "corpus" / "seed_call.jsonl"
    if not path.is_file():
        pytest.fail(f"seed corpus not found at {path}; set NEWSBEAM_SHARED_DIR to the shared folder")
    return path


def ingest(corpus: Path, data_dir: Path) -> None:
    """Build an index exactly as a user would: `newsbeam ingest CORPUS --data-dir DIR`."""
    result = CliRunner().invoke(newsbeam_cli, ["ingest", str(corpus), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, f"newsbeam ingest failed:\n{result.output}\n{result.exception!r}"


@pytest.fixture(scope="session")
def seed_settings(seed_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> BackendSettings:
    """The embedded index holding the seed corpus (read-only for tests: they share it)."""
    data_dir = tmp_path_factory.mktemp("seed-index")
    ingest(seed_corpus, data_dir)
    return BackendSettings(data_dir=data_dir)


@pytest.fixture()
def fresh_seed_settings(seed_corpus: Path, tmp_path: Path) -> BackendSettings:
    """An embedded index of the seed corpus that this one test may change."""
    ingest(seed_corpus, tmp_path / "index")
    return BackendSettings(data_dir=tmp_path / "index")


@pytest.fixture(scope="session")
def seed_app(seed_settings: BackendSettings) -> FastAPI:
    return app_for_settings(seed_settings)


@pytest.fixture()
def client(seed_app: FastAPI) -> Iterator[TestClient]:
    # Server errors must come back as responses (that is what a client sees), not raise here.
    with TestClient(seed_app, raise_server_exceptions=False) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """Uvicorn serving an app on 127.0.0.1 in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="uvicorn-test", daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=SERVER_START_SECONDS)


@pytest.fixture(scope="session")
def live_server(seed_app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(seed_app) as server:
        yield server
