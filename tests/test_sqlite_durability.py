"""The embedded index syncs the state save to disk, and with it every write committed before it."""

from __future__ import annotations

from newsbeam.connectors.sinks import StateChanges
from newsbeam.connectors.sinks.sqlite import SqliteBackend


def test_the_state_save_alone_commits_with_a_sync(tmp_path) -> None:
    backend = SqliteBackend(tmp_path)
    statements: list[str] = []
    backend._db.set_trace_callback(statements.append)
    try:
        backend.write_articles([])
        backend.save_state("assign:en", StateChanges({"meta": b"{}"}, frozenset()))
        assert backend._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL again afterwards
    finally:
        backend.close()
    full, begin, commit = (statements.index(s) for s in ("PRAGMA synchronous=FULL", "BEGIN IMMEDIATE", "COMMIT"))
    assert statements.count("PRAGMA synchronous=FULL") == 1
    # The article write's own transaction commits before the sync is asked for, the state's after it.
    assert begin < commit < full
    state_commit = len(statements) - 1 - statements[::-1].index("COMMIT")
    assert full < state_commit < statements.index("PRAGMA synchronous=NORMAL", full)
