"""What connectors remember between runs: validators for conditional GET, and seen items.

SQLite in the data directory: one file, safe for several threads and processes
(WAL mode, busy timeout), no server to run. Keys of seen items are kept for
`retention_days` so the table stays small on a feed list that runs for years.

Reading and remembering are two steps. A reader takes the unseen items of a
listing (`RunMemory.take`) and yields, after them, a `ListingCheckpoint` saying
what it would mark; the pipeline commits the checkpoints (`ConnectorState.commit`)
only once everything those items became is stored. A run that fails before then
marks nothing, so the next run reads the same items again. Within one run,
items a reader takes are claimed in the store under the run's id, so a listing
read twice (a feed listed beside the home page that announces it, a page in two
sitemaps) yields each item once.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsbeam.connectors.pages.harvest import ItemHint

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
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    run TEXT NOT NULL,
    reader TEXT NOT NULL,
    claimed_at REAL NOT NULL
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


@dataclass(frozen=True, slots=True)
class ListingCheckpoint:
    """What reading one listing (a feed, a sitemap) leaves to remember, once its records are stored.

    `seen` items are not read again; `failed` ones are retried and their attempts
    counted; `validators` are sent with the next request, and None keeps the old
    ones so the listing is read in full again (items to retry, or more new items
    than one run takes). `unchanged` says the listing answered 304: nothing to
    remember, but a poller wants to know.
    """

    url: str
    validators: Validators | None = None
    seen: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    unchanged: bool = False


def merge_checkpoints(checkpoints: Iterable[ListingCheckpoint]) -> list[ListingCheckpoint]:
    """One checkpoint per listing URL, for a run that read some listing more than once.

    The validators are kept only if no read of that URL needed the listing read in
    full again; an item seen by one read is not also failed.
    """
    by_url: dict[str, list[ListingCheckpoint]] = {}
    for checkpoint in checkpoints:
        if not checkpoint.unchanged:
            by_url.setdefault(checkpoint.url, []).append(checkpoint)
    merged = []
    for url, reads in by_url.items():
        keep = None if any(read.validators is None for read in reads) else reads[0].validators
        seen = dict.fromkeys(key for read in reads for key in read.seen)
        failed = dict.fromkeys(key for read in reads for key in read.failed if key not in seen)
        merged.append(ListingCheckpoint(url, keep, tuple(seen), tuple(failed)))
    return merged


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
            # Claims of runs that failed before committing mean nothing to later runs.
            self._db.execute("DELETE FROM claims WHERE claimed_at < ?", (cutoff,))

    def validators(self, url: str) -> Validators:
        with self._lock:
            row = self._db.execute("SELECT etag, last_modified FROM validators WHERE url = ?", (url,)).fetchone()
        return Validators(*row) if row else Validators()

    def unseen(self, keys: Iterable[str]) -> list[str]:
        """`keys` minus those already seen, in their order."""
        keys = list(keys)
        with self._lock:
            seen = self._present("seen", keys)
        return [key for key in keys if key not in seen]

    def attempts(self, keys: Iterable[str]) -> dict[str, int]:
        """How many earlier runs failed on each of `keys` in a way worth retrying."""
        keys = list(keys)
        with self._lock:
            return {row[0]: row[1] for chunk in _chunks(keys, 500) for row in self._db.execute(
                f"SELECT key, attempts FROM failures WHERE key IN ({_marks(chunk)})", chunk)}

    def claim(self, keys: Iterable[str], limit: int, *, run: str, reader: str) -> tuple[list[str], bool]:
        """Up to `limit` of `keys` that are unseen and not claimed by another reader of `run`, now claimed by `reader`.

        Also says whether unseen, unclaimed keys were left over. A reader may claim
        again what it claimed before in the same run: that is a runner retrying it.
        Claims of other runs are ignored (that run failed, or committed them).
        """
        keys = list(dict.fromkeys(keys))
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seen = self._present("seen", keys)
                held = {row[0] for chunk in _chunks(keys, 500) for row in self._db.execute(
                    f"SELECT key FROM claims WHERE key IN ({_marks(chunk)}) AND run = ? AND reader != ?",
                    (*chunk, run, reader))}
                free = [key for key in keys if key not in seen and key not in held]
                taken = free[: max(limit, 0)]
                self._db.executemany("INSERT OR REPLACE INTO claims (key, run, reader, claimed_at) VALUES (?, ?, ?, ?)",
                                     [(key, run, reader, now) for key in taken])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return taken, len(free) > len(taken)

    def commit(self, checkpoints: Iterable[ListingCheckpoint]) -> None:
        """Remember what the checkpoints say, in one transaction (see `ListingCheckpoint`).

        Several checkpoints of one URL are merged first (`merge_checkpoints`).
        """
        now = time.time()
        merged = merge_checkpoints(checkpoints)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for checkpoint in merged:
                    self._commit_one(checkpoint, now)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _commit_one(self, checkpoint: ListingCheckpoint, now: float) -> None:
        seen, failed = checkpoint.seen, checkpoint.failed
        self._db.executemany("INSERT OR IGNORE INTO seen (key, seen_at) VALUES (?, ?)", [(key, now) for key in seen])
        self._db.executemany("DELETE FROM failures WHERE key = ?", [(key,) for key in seen])
        self._db.executemany(
            "INSERT INTO failures (key, attempts, failed_at) VALUES (?, 1, ?) "
            "ON CONFLICT (key) DO UPDATE SET attempts = attempts + 1, failed_at = excluded.failed_at",
            [(key, now) for key in failed])
        self._db.executemany("DELETE FROM claims WHERE key = ?", [(key,) for key in (*seen, *failed)])
        if checkpoint.validators is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO validators (url, etag, last_modified, checked_at) VALUES (?, ?, ?, ?)",
                (checkpoint.url, checkpoint.validators.etag, checkpoint.validators.last_modified, now))

    def _present(self, table: str, keys: list[str]) -> set[str]:
        return {row[0] for chunk in _chunks(keys, 500) for row in self._db.execute(
            f"SELECT key FROM {table} WHERE key IN ({_marks(chunk)})", chunk)}


class RunMemory:
    """A `ConnectorState` as one reader of one run uses it: the batch `ListingMemory`.

    Items are claimed under the run's id and the reader's name (its source spec),
    so another reader of the same run does not take them again; within this
    reader, an item listed twice (a page in two child sitemaps) is taken once.
    Nothing is marked seen here: the checkpoints the reader yields are committed
    by whoever knows the records were stored.
    """

    def __init__(self, state: ConnectorState, run: str, reader: str) -> None:
        self._state = state
        self._run = run
        self._reader = reader
        self._taken: set[str] = set()

    def validators(self, url: str) -> Validators:
        return self._state.validators(url)

    def attempts(self, keys: Iterable[str]) -> dict[str, int]:
        return self._state.attempts(keys)

    def take(self, items: Sequence[ItemHint], limit: int) -> tuple[list[ItemHint], bool]:
        by_key: dict[str, ItemHint] = {}
        for item in items:
            if item.key not in self._taken:
                by_key.setdefault(item.key, item)
        keys, left_over = self._state.claim(by_key, limit, run=self._run, reader=self._reader)
        self._taken.update(keys)
        return [by_key[key] for key in keys], left_over


def _reopen(path: str, retention_days: float) -> ConnectorState:
    return ConnectorState(path, retention_days=retention_days)


def _marks(chunk: list[str]) -> str:
    return ",".join("?" * len(chunk))


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
