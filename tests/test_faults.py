"""`newsbeam ingest` on the embedded index, crashed at each commit step, or stopped by an index it
cannot write, and run again."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
from crash_scenarios import index_view, ingest_history, inputs, run_cli

from newsbeam.connectors.sinks import BackendSettings, BackendUnavailable, IndexedArticle, open_backend
from newsbeam.connectors.sinks.base import StateChanges
from newsbeam.connectors.sinks.sqlite import INDEX_FILE, SqliteBackend
from newsbeam.schemas import Article


@pytest.mark.parametrize("crash_at", ["index_written", "state_saved"])
def test_a_rerun_after_a_crash_leaves_what_an_uninterrupted_history_does(tmp_path, crash_at):
    first, second, ids = inputs(tmp_path / "input")
    views = {}
    for name, crash in (("whole", None), ("crashed", crash_at)):
        data_dir = tmp_path / name
        ingest_history(lambda *args, **kw: run_cli(*args, "--data-dir", str(data_dir), **kw), first, second, crash)
        views[name] = index_view(lambda: open_backend(BackendSettings(data_dir=data_dir)), ids)
    assert views["crashed"] == views["whole"]


def _ingest(source: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """The real command, in a process of its own: what a user sees on the terminal."""
    env = dict(os.environ, NEWSBEAM_SQLITE_BUSY_SECONDS="1")
    return subprocess.run([sys.executable, "-m", "newsbeam", "ingest", str(source), "--data-dir", str(data_dir)],
                          env=env, capture_output=True, text=True, timeout=300)


@contextmanager
def _write_lock(data_dir: Path) -> Iterator[None]:
    """Another connection holding the index's write lock, as a second writer would."""
    with closing(sqlite3.connect(data_dir / INDEX_FILE, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")


def test_an_index_that_cannot_be_written_ends_the_run_with_what_to_do_and_the_rerun_finishes(tmp_path):
    first, second, ids = inputs(tmp_path / "input")
    whole = tmp_path / "whole"
    ingest_history(lambda *args, **kw: run_cli(*args, "--data-dir", str(whole), **kw), first, second, None)
    data_dir = tmp_path / "locked"
    assert _ingest(first, data_dir).returncode == 0
    with _write_lock(data_dir):
        failed = _ingest(second, data_dir)
    assert failed.returncode == 1
    assert "database is locked" in failed.stderr and "Re-run the same command to finish" in failed.stderr, failed.stderr
    assert "Traceback" not in failed.stderr, failed.stderr
    rerun = _ingest(second, data_dir)
    assert rerun.returncode == 0, rerun.stderr
    assert index_view(lambda: open_backend(BackendSettings(data_dir=data_dir)), ids) == \
        index_view(lambda: open_backend(BackendSettings(data_dir=whole)), ids)


def test_a_write_refused_by_the_file_is_rolled_back_and_reported_as_unavailable(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSBEAM_SQLITE_BUSY_SECONDS", "0.2")
    backend = SqliteBackend(tmp_path)
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    item = IndexedArticle(Article(id="a", url="https://x.example/a", title="A", text="text", published=at), "evt-a")
    try:
        with _write_lock(tmp_path):
            with pytest.raises(BackendUnavailable, match="database is locked"):
                backend.write_articles([item])
            with pytest.raises(BackendUnavailable, match="database is locked"):
                backend.save_state("assign:en", StateChanges({"meta": b"{}"}))
        # Nothing half-done is left open: the same connection writes once the lock is gone.
        assert backend.write_articles([item]) == []
        assert backend.counts()["articles"] == 1
    finally:
        backend.close()
