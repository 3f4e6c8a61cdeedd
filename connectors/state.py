"""What connectors remember between runs: validators for conditional GET, and seen items.

SQLite in the data directory: one file, safe for several threads and processes
(WAL mode, busy timeout), no server to run. Keys of seen items are kept for
`retention_days` so the table stays small on a feed list that runs for years.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

STATE_FILE = "connectors.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS validators (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    checked_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS seen (
    key TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_by_age ON seen (seen_at);
CREATE TABLE IF NOT EXISTS failures (
    key TEXT PRIMARY KEY,
    attempts INTEGER NOT NULL,
    failed_at REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Validators:
    """An HTTP response's ETag and Last-Modified, sent back as If-None-Match / If-Modified-Since."""

    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def of(cls, headers: dict[str, str]) -> Validators | None:
        found = cls(headers.get("etag"), headers.get("last-modified"))
        return found if found.etag or found.last_modified else None


class ConnectorState:
    """The persistent state store. Thread-safe; pickles as its path, for Beam workers."""

    def __init__(self, path: str | Path = ":memory:", *, retention_days: float = 180.0) -> None:
        self.path = str(path)
        self.retention_days = retention_days
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._prune()

    @classmethod
    def in_data_dir(cls, data_dir: str | Path) -> ConnectorState:
        return cls(Path(data_dir) / STATE_FILE)

    def __reduce__(self):
        # A worker reopens the same file; an in-memory store starts empty there.
        return (_reopen, (self.path, self.retention_days))

    def close(self) -> None:
        self._db.close()

    def _prune(self) -> None:
        with self._lock:
            cutoff = time.time() - self.retention_days * 86400
            self._db.execute("DELETE FROM seen WHERE seen_at < ?", (cutoff,))
            self._db.execute("DELETE FROM failures WHERE failed_at < ?", (cutoff,))

    def validators(self, url: str) -> Validators:
        with self._lock:
            row = self._db.execute("SELECT etag, last_modified FROM validators WHERE url = ?", (url,)).fetchone()
        return Validators(*row) if row else Validators()

    def unseen(self, keys: Iterable[str]) -> list[str]:
        """`keys` minus those already seen, in their order."""
        keys = list(keys)
        with self._lock:
            seen = {row[0] for chunk in _chunks(keys, 500) for row in self._db.execute(
                f"SELECT key FROM seen WHERE key IN ({','.join('?' * len(chunk))})", chunk)}
        return [key for key in keys if key not in seen]

    def attempts(self, keys: Iterable[str]) -> dict[str, int]:
        """How many earlier runs failed on each of `keys` in a way worth retrying."""
        keys = list(keys)
        with self._lock:
            return {row[0]: row[1] for chunk in _chunks(keys, 500) for row in self._db.execute(
                f"SELECT key, attempts FROM failures WHERE key IN ({','.join('?' * len(chunk))})", chunk)}

    def commit(self, url: str, validators: Validators | None, seen: Iterable[str], failed: Iterable[str] = ()) -> None:
        """Record one listing's outcome at once: items now seen, items that failed
        and will be retried, and the validators to send next time (None keeps the
        old ones, so the listing is read in full again — used when some items must
        be retried)."""
        now = time.time()
        seen = list(seen)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR IGNORE INTO seen (key, seen_at) VALUES (?, ?)",
                                     [(key, now) for key in seen])
                self._db.executemany("DELETE FROM failures WHERE key = ?", [(key,) for key in seen])
                self._db.executemany(
                    "INSERT INTO failures (key, attempts, failed_at) VALUES (?, 1, ?) "
                    "ON CONFLICT (key) DO UPDATE SET attempts = attempts + 1, failed_at = excluded.failed_at",
                    [(key, now) for key in failed])
                if validators is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO validators (url, etag, last_modified, checked_at) VALUES (?, ?, ?, ?)",
                        (url, validators.etag, validators.last_modified, now))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise


def _reopen(path: str, retention_days: float) -> ConnectorState:
    return ConnectorState(path, retention_days=retention_days)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
