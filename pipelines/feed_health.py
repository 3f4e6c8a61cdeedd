"""How each polled source has fared: last fetch, last success, last new item, error streak.

The streaming job keeps one `FeedHealth` per polled URL in the worker's memory,
updates it after every poll (`after_poll`) and saves it in the index as the state
part `health` of the source's poll key, beside the feed validators, so `newsbeam
status` reads it whether the job is up or not, and a restarted job continues the
streak instead of starting at zero.

A save per poll per feed would turn a thousand quiet feeds into a thousand writes a
minute that say only "fetched again". `worth_saving` therefore saves what an
operator acts on at once (a failure, a recovery, a new item) and refreshes the
fetch times of an unchanged, healthy feed at most every `REFRESH_SECONDS`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

#: The state part of a poll key that holds the source's health.
HEALTH_PART = "health"
#: The state keys of the streaming job's sources begin with this (`streaming.poll_state_key`).
POLL_PREFIX = "poll:"
#: Longest gap between two saves of a healthy feed's unchanged health.
REFRESH_SECONDS = 300.0
#: Characters kept of the last error: enough for a reason and its detail.
MAX_ERROR_CHARS = 300


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """One source's record; times in seconds since the epoch (UTC), None until it happened."""

    last_fetch: float | None = None
    last_success: float | None = None
    last_new_item: float | None = None
    consecutive_errors: int = 0
    last_error: str | None = None

    @property
    def failing(self) -> bool:
        return self.consecutive_errors > 0


def after_poll(health: FeedHealth, now: float, error: str | None, new_items: int) -> FeedHealth:
    """The health after a poll at `now` that failed with `error`, or read the source and found `new_items`."""
    if error is not None:
        return replace(health, last_fetch=now, consecutive_errors=health.consecutive_errors + 1,
                       last_error=error[:MAX_ERROR_CHARS])
    return replace(health, last_fetch=now, last_success=now, consecutive_errors=0,
                   last_new_item=now if new_items else health.last_new_item)


def worth_saving(saved: FeedHealth, current: FeedHealth) -> bool:
    """Whether `current` says something `saved` does not, or `saved` has grown stale."""
    if current.consecutive_errors != saved.consecutive_errors or current.last_new_item != saved.last_new_item:
        return True
    if saved.last_fetch is None or current.last_fetch is None:
        return current.last_fetch != saved.last_fetch
    return current.last_fetch - saved.last_fetch >= REFRESH_SECONDS


def encode_health(health: FeedHealth) -> bytes:
    return json.dumps(asdict(health)).encode()


def decode_health(data: bytes | None) -> FeedHealth:
    """The saved health, or a blank one for a source never polled (or saved by an older release)."""
    if not data:
        return FeedHealth()
    fields = json.loads(data)
    return FeedHealth(**{name: fields.get(name) for name in FeedHealth.__slots__ if name in fields})
