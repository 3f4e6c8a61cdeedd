"""One retry policy for every call to the cluster: what is worth retrying, and for how long.

A 429 (the node's queues are full), a 5xx or a dropped connection says nothing about the
document, so the same request is sent again after a growing pause. Anything else (a 400,
a 404) is an answer, not a fault, and goes back to the caller at once. When the budget is
spent the caller gets `ClusterUnavailable`, which a run reports and stops on: a re-run
then finishes the job, since every write is an idempotent upsert.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError

from newsbeam.connectors.sinks.base import BackendUnavailable

log = logging.getLogger(__name__)

#: Statuses that mean "try again later" rather than "this request is wrong".
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

T = TypeVar("T")


class ClusterUnavailable(BackendUnavailable):
    """Elasticsearch kept failing with retryable errors for the whole retry budget."""


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, (TransportConnectionError, ConnectionTimeout)):
        return True
    return isinstance(exc, ApiError) and is_retryable_status(exc.meta.status)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded by total time rather than by count.

    A budget in seconds says what a user cares about ("ride out a node restart of up to
    two minutes") whatever the pause lengths are.
    """

    budget_seconds: float = 120.0
    first_pause: float = 0.5
    max_pause: float = 15.0

    def pauses(self) -> Callable[[], float | None]:
        """A fresh countdown: each call returns the next pause, or None once the budget is spent."""
        deadline = time.monotonic() + self.budget_seconds
        pause = self.first_pause

        def next_pause() -> float | None:
            nonlocal pause
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            current = min(pause * random.uniform(0.8, 1.2), self.max_pause, left)
            pause = min(pause * 2, self.max_pause)
            return current

        return next_pause

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """`fn()`, retried on retryable errors until it succeeds or the budget is spent."""
        next_pause = self.pauses()
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except Exception as exc:  # noqa: BLE001 - filtered just below
                if not is_retryable(exc):
                    raise
                pause = next_pause()
                if pause is None:
                    raise ClusterUnavailable(f"{what}: still failing after {attempt} attempts: {exc}") from exc
                log.warning("%s failed (%s); retry %d in %.1fs", what, exc, attempt, pause)
                time.sleep(pause)
