"""Fixtures for the search API: an index built by the real pipeline, the app, a live server."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from support import REFERENCE_EVENT, ingest

from newsbeam.connectors.sinks.select import BackendSettings
from newsbeam.search.app import app_for_settings

SERVER_START_SECONDS = 20


@pytest.fixture(scope="session")
def embedded_reference_settings(tmp_path_factory: pytest.TempPathFactory) -> BackendSettings:
    """The embedded index holding the reference event (read-only for tests: they share it)."""
    settings = BackendSettings(data_dir=tmp_path_factory.mktemp("reference-index"))
    ingest(REFERENCE_EVENT, settings)
    return settings


@pytest.fixture(scope="session")
def elasticsearch_reference_settings(es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendSettings]:
    """The reference event in the test node (tests/es_node.py), under an index prefix of its own, deleted
    afterwards."""
    from elasticsearch import Elasticsearch

    prefix = f"test-search-{uuid.uuid4().hex[:8]}"
    settings = BackendSettings(data_dir=tmp_path_factory.mktemp("es-run"), es_url=es_url, es_index_prefix=prefix)
    ingest(REFERENCE_EVENT, settings)
    yield settings
    with Elasticsearch(es_url, request_timeout=30) as client:
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)


@pytest.fixture(scope="session", params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.integration)])
def reference_settings(request: pytest.FixtureRequest) -> BackendSettings:
    """The reference event in each backend: the API must answer the same over both."""
    return request.getfixturevalue(f"{request.param}_reference_settings")


@pytest.fixture()
def fresh_reference_settings(tmp_path: Path) -> BackendSettings:
    """An embedded index of the reference event that this one test may change."""
    settings = BackendSettings(data_dir=tmp_path / "index")
    ingest(REFERENCE_EVENT, settings)
    return settings


@pytest.fixture(scope="session")
def reference_app(reference_settings: BackendSettings) -> FastAPI:
    return app_for_settings(reference_settings)


@pytest.fixture()
def client(reference_app: FastAPI) -> Iterator[TestClient]:
    # Server errors must come back as responses (that is what a client sees), not raise here.
    with TestClient(reference_app, raise_server_exceptions=False) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def unused_port() -> int:
    """A loopback port nothing listens on right now."""
    return free_port()


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
def live_server(embedded_reference_settings: BackendSettings) -> Iterator[LiveServer]:
    """The embedded reference index served on loopback, for the browser."""
    with LiveServer(app_for_settings(embedded_reference_settings)) as server:
        yield server


@pytest.fixture()
def serving() -> Callable[[BackendSettings], LiveServer]:
    """Serve an index on loopback as `newsbeam serve` would: `with serving(settings) as server: ...`."""
    return lambda settings: LiveServer(app_for_settings(settings))
