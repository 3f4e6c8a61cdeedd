"""What `newsbeam status` reports: the index's size and freshness, dead letters, engines.

Everything here is read from the data directory or the cluster, never from a
running job, so it answers the same whether `newsbeam run` is up, stopped or
never started.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newsbeam.connectors.sinks import BackendSettings, open_backend
from newsbeam.pipelines import runner_cache


def _dead_letters(data_dir: Path) -> tuple[int, int]:
    """(files, records) under DATA_DIR/dead-letters."""
    folder = data_dir / "dead-letters"
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    records = 0
    for path in files:
        with path.open("rb") as handle:
            records += sum(1 for _ in handle)
    return len(files), records


def _engine(find, cache: Path | None) -> str:
    try:
        return str(find(install=False, cache=cache))
    except runner_cache.RunnerSetupError:
        return "not installed"


def collect(settings: BackendSettings, cache: Path | None = None) -> dict[str, Any]:
    """A flat summary, in the order a person reads it."""
    backend = open_backend(settings)
    try:
        counts = backend.counts()
        index_file = getattr(backend, "path", None)
    finally:
        backend.close()
    summary: dict[str, Any] = {"index": settings.description, **counts}
    if index_file is not None and Path(index_file).exists():
        # WAL mode writes the -wal file first; the newer of the two is the last write.
        stamps = [p.stat().st_mtime for p in (Path(index_file), Path(f"{index_file}-wal")) if p.exists()]
        summary["last_write"] = datetime.fromtimestamp(max(stamps), tz=timezone.utc).isoformat(timespec="seconds")
    files, records = _dead_letters(settings.data_dir)
    summary["dead_letter_files"] = files
    summary["dead_letters"] = records
    summary["prism"] = _engine(runner_cache.prism_binary, cache)
    summary["flink_job_server"] = _engine(runner_cache.flink_job_server_classpath, cache)
    return summary
