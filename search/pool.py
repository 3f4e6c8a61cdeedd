"""One index backend per worker thread.

FastAPI runs plain `def` endpoints on a thread pool. The protocol promises nothing
about thread safety (an SQLite connection, for one, belongs to the thread that
opened it), so each worker thread opens its own backend on first use and every
one of them is closed when the app shuts down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from newsbeam.connectors.sinks.base import IndexBackend

log = logging.getLogger(__name__)

BackendFactory = Callable[[], IndexBackend]


class BackendPool:
    def __init__(self, open_backend: BackendFactory) -> None:
        self._open = open_backend
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[IndexBackend] = []

    def get(self) -> IndexBackend:
        """This thread's backend, opened on first use."""
        backend = getattr(self._local, "backend", None)
        if backend is None:
            backend = self._open()
            self._local.backend = backend
            with self._lock:
                self._opened.append(backend)
        return backend

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for backend in opened:
            try:
                backend.close()
            except Exception:  # closing is best effort: the process is going away
                log.exception("closing an index backend failed")
        self._local = threading.local()
