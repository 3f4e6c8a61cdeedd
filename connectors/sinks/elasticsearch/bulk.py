"""Bulk writes: batches bounded by count and bytes, item-level retries, rejections as dead letters.

A bulk response can succeed as a whole while single items fail. Those items fall in two
kinds: ones the cluster could not take *now* (429, 5xx: sent again with the next round)
and ones it will never take (a 400 from the mapping: reported back as rejected, so the
caller turns them into dead letters and the run goes on).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch

from newsbeam.connectors.sinks.elasticsearch.retry import ClusterUnavailable, RetryPolicy, is_retryable_status

_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)

#: Elasticsearch refuses ids longer than this (in UTF-8 bytes) for the whole bulk request.
MAX_ID_BYTES = 512


@dataclass(frozen=True, slots=True)
class BulkAction:
    """One bulk item: the action line and, except for deletes, its document."""

    op: str  # "index", "create", "update" or "delete"
    index: str
    id: str
    body: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. if_seq_no / if_primary_term

    def encode(self) -> bytes:
        header = {self.op: {"_index": self.index, "_id": self.id, **self.meta}}
        lines = [_JSON.encode(header)]
        if self.body is not None:
            lines.append(_JSON.encode(self.body))
        return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """An item the cluster will not take as sent: its action, HTTP status and error."""

    action: BulkAction
    status: int
    error: dict[str, Any]

    @property
    def reason(self) -> str:
        return str(self.error.get("type", "unknown"))

    @property
    def detail(self) -> str:
        caused = self.error.get("caused_by") or {}
        text = str(self.error.get("reason", ""))
        return f"{text} (caused by {caused.get('type')}: {caused.get('reason')})" if caused else text


@dataclass(frozen=True, slots=True)
class BulkLimits:
    """How big one bulk request may get, and how many may be in flight at once."""

    max_actions: int = 500
    max_bytes: int = 8 * 1024 * 1024
    concurrency: int = 4


def chunk(encoded: Iterable[tuple[BulkAction, bytes]], limits: BulkLimits) -> Iterator[list[tuple[BulkAction, bytes]]]:
    """Group encoded actions into requests under both limits (an oversized single item goes alone)."""
    batch: list[tuple[BulkAction, bytes]] = []
    size = 0
    for item in encoded:
        if batch and (len(batch) >= limits.max_actions or size + len(item[1]) > limits.max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += len(item[1])
    if batch:
        yield batch


class BulkWriter:
    """Sends bulk actions and returns the items the cluster rejected for good.

    Retryable failures (whole request or single item) are retried under one
    `RetryPolicy` per batch; if the budget runs out, `ClusterUnavailable` is raised and
    nothing is reported as rejected, since the documents were not at fault.
    """

    def __init__(self, client: Elasticsearch, limits: BulkLimits, retry: RetryPolicy) -> None:
        self._client = client
        self._limits = limits
        self._retry = retry

    def write(self, actions: Iterable[BulkAction], refresh: bool = False) -> list[ItemFailure]:
        """Send `actions`; returns the items rejected for good.

        Actions are encoded lazily while earlier batches are on the wire, so encoding
        (Python) and indexing (the cluster) overlap instead of taking turns.
        """
        rejected: list[ItemFailure] = []
        indices: set[str] = set()

        def encoded() -> Iterator[tuple[BulkAction, bytes]]:
            for action in actions:
                if len(action.id.encode("utf-8")) > MAX_ID_BYTES:
                    error = {"type": "id_too_long", "reason": f"id longer than {MAX_ID_BYTES} bytes"}
                    rejected.append(ItemFailure(action, 400, error))
                    continue
                indices.add(action.index)
                yield action, action.encode()

        workers = max(1, self._limits.concurrency)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # At most two batches per worker wait encoded: memory stays bounded and the
            # encoder does not starve the workers of the interpreter lock.
            in_flight: deque[Future[list[ItemFailure]]] = deque()
            for batch in chunk(encoded(), self._limits):
                if len(in_flight) >= 2 * workers:
                    rejected.extend(in_flight.popleft().result())
                in_flight.append(pool.submit(self._send, batch))
            for future in in_flight:
                rejected.extend(future.result())
        if refresh and indices:
            self._retry.call("refresh", lambda: self._client.indices.refresh(index=",".join(sorted(indices))))
        return rejected

    def _send(self, batch: list[tuple[BulkAction, bytes]]) -> list[ItemFailure]:
        """Send one batch until every item is stored or rejected for good."""
        pending = batch
        rejected: list[ItemFailure] = []
        next_pause = self._retry.pauses()
        while pending:
            body = b"".join(data for _, data in pending)
            response = self._retry.call("bulk request", lambda: self._client.bulk(operations=body))
            if not response.get("errors"):
                return rejected
            retry_later: list[tuple[BulkAction, bytes]] = []
            for (action, data), item in zip(pending, response["items"], strict=True):
                result = next(iter(item.values()))
                status = int(result.get("status", 200))
                if status < 300 or (action.op == "delete" and status == 404):
                    continue
                if is_retryable_status(status):
                    retry_later.append((action, data))
                else:
                    rejected.append(ItemFailure(action, status, result.get("error") or {}))
            if retry_later:
                pause = next_pause()
                if pause is None:
                    raise ClusterUnavailable(f"{len(retry_later)} bulk items still refused after the retry budget")
                time.sleep(pause)
            pending = retry_later
        return rejected
