"""Run the app under uvicorn: one process, or several sharing one listening socket."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from uvicorn.supervisors import Multiprocess

from newsbeam.config import CONFIG_ENV
from newsbeam.connectors.sinks.select import BackendSettings
from newsbeam.search.app import app_for_settings
from newsbeam.search.metrics import MULTIPROCESS_DIR_ENV


def run(settings: BackendSettings, *, host: str, port: int, workers: int = 1, cors_origins: Sequence[str] = (),
        config_path: Path | None = None) -> None:
    """Serve until interrupted; with `workers` > 1, in that many processes.

    Python runs one thread at a time per process, so one process answers on about one
    CPU however many threads it has; more processes use more cores. They keep their
    metrics in a folder created for this run and removed when it ends, so `/metrics`
    in any worker sums every worker's requests and none of an earlier run's.
    """
    options = {"host": host, "port": port, "log_level": "warning", "server_header": False}
    if workers == 1:
        uvicorn.run(app_for_settings(settings, cors_origins=cors_origins), **options)
        return
    # Worker processes import the app by name and read their settings as every command does:
    # the decided data folder and cluster as environment variables (which beat the file),
    # the rest (index prefix, credentials by reference) from the same configuration file.
    if config_path is not None:
        os.environ[CONFIG_ENV] = str(config_path)
    os.environ["NEWSBEAM_DATA_DIR"] = str(settings.data_dir)
    if settings.es_url:
        os.environ["NEWSBEAM_ES_URL"] = settings.es_url
    os.environ["NEWSBEAM_CORS_ORIGINS"] = " ".join(cors_origins)
    config = SharedSocketConfig("newsbeam.search.app:app_from_env", factory=True, workers=workers, **options)
    with tempfile.TemporaryDirectory(prefix="newsbeam-metrics-") as metrics_dir:
        # Workers are spawned, so each imports prometheus-client afresh and sees the folder.
        os.environ[MULTIPROCESS_DIR_ENV] = metrics_dir
        Multiprocess(config, sockets=[config.bind_socket()]).run()


class SharedSocketConfig(uvicorn.Config):
    """uvicorn's settings, with TCP_NODELAY on the socket its worker processes share.

    uvicorn binds that socket without naming the TCP protocol, so asyncio does not turn
    Nagle's algorithm off on the connections it accepts, and an answer sent in two writes
    (headers, then body) waits for the client's delayed ACK: 40 ms on every request.
    Accepted connections inherit the option from the listening socket.
    """

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
