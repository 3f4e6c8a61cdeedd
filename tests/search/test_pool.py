"""One backend per server thread, all closed at shutdown."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from newsbeam.connectors.sinks.select import BackendSettings, open_backend
from newsbeam.search.pool import BackendPool


def test_each_thread_gets_its_own_backend_and_close_closes_all(tmp_path: Path) -> None:
    pool = BackendPool(lambda: open_backend(BackendSettings(data_dir=tmp_path)))
    mine = pool.get()
    assert pool.get() is mine
    theirs = []
    worker = threading.Thread(target=lambda: theirs.append(pool.get()))
    worker.start()
    worker.join(timeout=30)
    assert len(theirs) == 1 and theirs[0] is not mine
    assert mine.counts() == theirs[0].counts() == {"articles": 0, "events": 0}

    pool.close()
    for backend in (mine, theirs[0]):
        with pytest.raises(sqlite3.ProgrammingError):
            backend.counts()
    assert pool.get() is not mine, "after close, a thread opens a fresh backend"
    pool.close()
