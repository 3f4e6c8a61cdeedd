"""Bulk writes: concurrent requests bounded by count and bytes, item-level retries, rejections reported.

A bulk response can succeed as a whole while single items fail. Those items fall in two
kinds: ones the cluster could not take *now* (429, 5xx: sent again with the next round)
and ones it will never take (a 400 from the mapping: reported back as rejected, so the
caller turns them into dead letters and the run goes on).

A node indexes the items of one bulk request for one shard on one write thread. The
pipeline writes in calls of at most 500 documents into one-shard indices, so a call sent
as one request would keep one of the node's cores busy while the others wait: a call is
spread over `BulkLimits.concurrency` requests (`BulkRequests`).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sized
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

    def for_call(self, count: int) -> BulkLimits:
        """The limits for one call of `count` actions: small calls still fill `concurrency` requests."""
        per_request = -(-count // max(1, self.concurrency))
        return dataclasses.replace(self, max_actions=max(1, min(self.max_actions, per_request)))


class BulkRequests:
    """The bulk requests of one `BulkWriter.write` call in flight: `send` returns while they are on the wire.

    `send` encodes a call's actions lazily while earlier requests are on the wire, so
    building documents (Python) and indexing them (the cluster) overlap instead of
    taking turns, and returns once its last request is sent, with the refusals known by
    then; `flush` waits for every request and returns the remaining refusals. At most
    two requests per thread wait encoded, so memory stays bounded and the encoder does
    not starve the senders of the interpreter lock. When an action names a document
    that an earlier request still in flight also names, that request lands first, so
    the later version wins as it would within one request. On an error every request
    already sent ends before the error reaches the caller: nothing is written after
    `send` or `flush` has returned or raised. Not for use by several threads at once.
    """

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        send_request: Callable[[list[tuple[BulkAction, bytes]]], list[ItemFailure]],
        limits: BulkLimits,
    ) -> None:
        self._pool = pool
        self._send_request = send_request
        self._limits = limits
        self._in_flight: deque[Future[list[ItemFailure]]] = deque()
        self._named: set[tuple[str, str]] = set()

    def send(self, actions: Iterable[BulkAction], count: int | None = None) -> list[ItemFailure]:
        """Send `actions`; returns the items known by now to be rejected for good (of this call or earlier ones).

        `count` is the number of actions (by default `len(actions)` when `actions` has
        one). A call that finds no request in flight and is smaller than `concurrency`
        full requests is split into `concurrency` requests, so all of the node's write
        threads get work at once. Behind requests still in flight, or without a count,
        requests are filled to the limits: each request costs the node a translog sync
        and its own bookkeeping, so fewer, fuller requests leave more of it for indexing.
        """
        if count is None and isinstance(actions, Sized):
            count = len(actions)
        split = count is not None and not self._in_flight
        limits = self._limits.for_call(count) if split else self._limits
        room = 2 * max(1, limits.concurrency)
        rejected: list[ItemFailure] = []

        def encoded() -> Iterator[tuple[BulkAction, bytes]]:
            for action in actions:
                if len(action.id.encode("utf-8")) > MAX_ID_BYTES:
                    error = {"type": "id_too_long", "reason": f"id longer than {MAX_ID_BYTES} bytes"}
                    rejected.append(ItemFailure(action, 400, error))
                    continue
                yield action, action.encode()

        with self._ending_all_on_error():
            for batch in chunk(encoded(), limits):
                keys = {(action.index, action.id) for action, _ in batch}
                if not self._named.isdisjoint(keys):
                    rejected.extend(self._collect(len(self._in_flight)))
                rejected.extend(self._collect(len(self._in_flight) - room + 1))
                self._in_flight.append(self._pool.submit(self._send_request, batch))
                self._named |= keys
            rejected.extend(self._collect(sum(1 for _ in itertools.takewhile(Future.done, self._in_flight))))
        return rejected

    def flush(self) -> list[ItemFailure]:
        """Wait for every request sent; returns the items rejected for good not returned yet."""
        with self._ending_all_on_error():
            return self._collect(len(self._in_flight))

    def _collect(self, n: int) -> list[ItemFailure]:
        """Wait for the `n` oldest requests; their rejected items."""
        rejected: list[ItemFailure] = []
        for _ in range(max(0, n)):
            rejected.extend(self._in_flight.popleft().result())
        if not self._in_flight:
            self._named.clear()
        return rejected

    @contextlib.contextmanager
    def _ending_all_on_error(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            concurrent.futures.wait(self._in_flight)
            self._in_flight.clear()
            self._named.clear()
            raise


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

    Requests go out over a pool of `BulkLimits.concurrency` threads that lives as long
    as the writer, sharing the client's connection pool. Retryable failures (whole
    request or single item) are retried under one `RetryPolicy` per request; if the
    budget runs out, `ClusterUnavailable` is raised and nothing is reported as
    rejected, since the documents were not at fault.
    """

    def __init__(self, client: Elasticsearch, limits: BulkLimits, retry: RetryPolicy) -> None:
        self._client = client
        self._limits = limits
        self._retry = retry
        self._pool = ThreadPoolExecutor(max_workers=max(1, limits.concurrency), thread_name_prefix="newsbeam-es-bulk")

    def write(self, actions: Iterable[BulkAction], count: int | None = None) -> list[ItemFailure]:
        """Send `actions`; returns the items rejected for good, once every request has ended."""
        requests = self.requests()
        rejected = requests.send(actions, count)
        return rejected + requests.flush()

    def requests(self) -> BulkRequests:
        """A new set of requests in flight, which `flush` waits for."""
        return BulkRequests(self._pool, self._send, self._limits)

    def close(self) -> None:
        """Stop the request threads (after the requests they are sending)."""
        self._pool.shutdown(wait=True)

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
