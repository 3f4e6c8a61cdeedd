"""What `newsbeam status` reports: the index, each polled feed's health, dead letters, the runner.

Everything here is read from the data directory or the cluster, never from a
running job, so it answers the same whether `newsbeam run` is up, stopped or
never started. Feed health is what the streaming job saved beside each feed's
validators (`pipelines/feed_health.py`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newsbeam.connectors.sinks import BackendSettings, IndexBackend, open_backend
from newsbeam.pipelines import runner_cache
from newsbeam.pipelines.feed_health import HEALTH_PART, POLL_PREFIX, decode_health

#: How far back "recent" dead letters go.
RECENT_SECONDS = 86400.0


def _stamp(seconds: float | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="seconds")


def feed_health(backend: IndexBackend) -> list[dict[str, Any]]:
    """Every polled source's saved health, failing ones first (longest streak first), then by URL."""
    feeds = []
    for key in backend.state_keys(POLL_PREFIX):
        saved = backend.load_state(key).get(HEALTH_PART)
        if saved is None:
            continue
        health = decode_health(saved)
        feeds.append({
            "feed": key.removeprefix(POLL_PREFIX),
            "consecutive_errors": health.consecutive_errors,
            "last_fetch": _stamp(health.last_fetch),
            "last_success": _stamp(health.last_success),
            "last_new_item": _stamp(health.last_new_item),
            "last_error": health.last_error if health.failing else None,
        })
    return sorted(feeds, key=lambda feed: (-feed["consecutive_errors"], feed["feed"]))


def recent_dead_letters(data_dir: Path, now: float | None = None) -> dict[str, int]:
    """Dead letters of the last day under DATA_DIR/dead-letters, by reason.

    A line `newsbeam run` appended carries its `time`; a batch run writes its file
    at once, so a line without one dates from its file's last change. A file that
    last changed before the day began holds nothing of it and is not read.
    """
    now = time.time() if now is None else now
    since = now - RECENT_SECONDS
    folder = data_dir / "dead-letters"
    reasons: Counter[str] = Counter()
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        changed = path.stat().st_mtime
        if changed < since:
            continue
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    letter = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                when = letter.get("time")
                written = datetime.fromisoformat(when).timestamp() if isinstance(when, str) else changed
                if written >= since:
                    reasons[letter.get("reason", "unknown")] += 1
    return dict(reasons.most_common())


def _engine(find, cache: Path | None) -> str:
    try:
        return str(find(install=False, cache=cache))
    except runner_cache.RunnerSetupError:
        return "not installed"


def collect(settings: BackendSettings, cache: Path | None = None, runner: str | None = None) -> dict[str, Any]:
    """The summary, in the order a person reads it (`feeds` and `dead_letters_last_day` are nested)."""
    backend = open_backend(settings, read_only=True)
    try:
        counts = backend.counts()
        feeds = feed_health(backend)
        index_file = getattr(backend, "path", None)
        analyzer = getattr(backend, "title_analyzer", None)
    finally:
        backend.close()
    summary: dict[str, Any] = {"index": settings.description, **counts}
    if analyzer is not None:
        summary["title_analyzer"] = analyzer
    if index_file is not None and Path(index_file).exists():
        # WAL mode writes the -wal file first; the newer of the two is the last write.
        stamps = [p.stat().st_mtime for p in (Path(index_file), Path(f"{index_file}-wal")) if p.exists()]
        summary["last_write"] = _stamp(max(stamps))
    summary["feeds_polled"] = len(feeds)
    summary["feeds_failing"] = [feed["feed"] for feed in feeds if feed["consecutive_errors"]]
    summary["feeds"] = feeds
    summary["dead_letters_last_day"] = recent_dead_letters(settings.data_dir)
    if runner is not None:
        summary["runner"] = runner
    summary["prism"] = _engine(runner_cache.prism_binary, cache)
    summary["flink_job_server"] = _engine(runner_cache.flink_job_server_classpath, cache)
    return summary
