"""Pipeline state in Elasticsearch: one document per part, saved through a redo log.

A bulk request is not atomic: a crash half-way would leave some parts new and some
old. So a save first writes the whole change (its *delta*) into one manifest
document, whose write is the commit point; a delta too large for one request goes
into pending chunk documents first, and the manifest names them. Then the parts
are written and deleted, and the manifest is removed. A load that finds
a manifest first applies its delta again (every step is idempotent), so a load
always sees the parts of the last committed save. Chunks without a manifest
belong to a save that never committed and are ignored.

Part data is stored as `binary` (base64, neither indexed nor searchable) and the
delta under an object mapped `enabled: false`: the node keeps them as source only.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from elasticsearch import Elasticsearch, helpers

from newsbeam.connectors.sinks.base import StateChanges
from newsbeam.connectors.sinks.elasticsearch.bulk import BulkAction, BulkWriter
from newsbeam.connectors.sinks.elasticsearch.retry import RetryPolicy

#: Bytes of part data per pending document (the bulk writer's request bound).
PENDING_CHUNK_BYTES = 8 * 1024 * 1024


class StateNotSaved(RuntimeError):
    """The cluster refused state documents (or lost a pending one): the save did not complete."""


def _hash(*names: str) -> str:
    return hashlib.blake2b("\x00".join(names).encode("utf-8"), digest_size=16).hexdigest()


def part_id(key: str, part: str) -> str:
    return f"part-{_hash(key, part)}"


def manifest_id(key: str) -> str:
    return f"pending-{_hash(key)}"


def chunk_id(key: str, number: int) -> str:
    return f"pending-{_hash(key)}-{number}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _chunks(changes: StateChanges) -> Iterator[list[list[str]]]:
    """The upserts as [part, base64 data] pairs, in groups of about `PENDING_CHUNK_BYTES`."""
    group: list[list[str]] = []
    size = 0
    for part, data in changes.upserts.items():
        if group and size + len(data) > PENDING_CHUNK_BYTES:
            yield group
            group, size = [], 0
        group.append([part, base64.b64encode(data).decode("ascii")])
        size += len(data)
    if group:
        yield group


class StateStore:
    """`load_state` and `save_state` of the Elasticsearch backend (see the module docstring)."""

    def __init__(self, client: Elasticsearch, index: str, bulk: BulkWriter, retry: RetryPolicy) -> None:
        self.client = client
        self.index = index
        self.bulk = bulk
        self.retry = retry
        #: Keys known to have no committed delta left to apply.
        self._settled: set[str] = set()

    def load(self, key: str) -> dict[str, bytes]:
        self._settle(key)
        self.retry.call("refresh state", lambda: self.client.indices.refresh(index=self.index))
        query = {"bool": {"filter": [{"term": {"key": key}}, {"term": {"kind": "part"}}]}}
        hits = self.retry.call(
            "load state",
            lambda: list(helpers.scan(self.client, index=self.index, query={"query": query},
                                      _source=["part", "data"], size=100)),
        )
        return {hit["_source"]["part"]: base64.b64decode(hit["_source"]["data"]) for hit in hits}

    def keys(self, prefix: str) -> list[str]:
        """Keys with saved parts or a committed save to apply, starting with `prefix`."""
        self.retry.call("refresh state", lambda: self.client.indices.refresh(index=self.index))
        query = {"bool": {"filter": [{"prefix": {"key": prefix}}, {"terms": {"kind": ["part", "pending"]}}]}}
        found: list[str] = []
        after: dict[str, Any] | None = None
        while True:
            composite: dict[str, Any] = {"size": 500, "sources": [{"key": {"terms": {"field": "key"}}}]}
            if after is not None:
                composite["after"] = after
            response = self.retry.call("list state keys", lambda: self.client.search(
                index=self.index, size=0, query=query, aggs={"keys": {"composite": composite}}))
            buckets = response["aggregations"]["keys"]["buckets"]
            found += [bucket["key"]["key"] for bucket in buckets]
            after = response["aggregations"]["keys"].get("after_key")
            if not buckets or after is None:
                return found

    def save(self, key: str, changes: StateChanges) -> None:
        if not changes:
            return
        self._settle(key)
        self._settled.discard(key)
        self.apply_pending(key, self.write_pending(key, changes))

    # -- the steps of a save, each idempotent -------------------------------------------

    def write_pending(self, key: str, changes: StateChanges) -> dict[str, Any]:
        """Commit the delta: a small one inside the manifest, a large one in chunks
        the manifest names (written first). Returns the manifest's delta."""
        chunks = list(_chunks(changes))
        delta: dict[str, Any] = {"deletes": sorted(changes.deletes)}
        if len(chunks) <= 1:
            delta["upserts"] = chunks[0] if chunks else []
        else:
            self._write([BulkAction("index", self.index, chunk_id(key, n),
                                    {"key": key, "kind": "pending-chunk", "delta": {"upserts": group}})
                         for n, group in enumerate(chunks)], "write pending state")
            delta["chunks"] = len(chunks)
        manifest = {"key": key, "kind": "pending", "updated_at": _now(), "delta": delta}
        self.retry.call("commit state", lambda: self.client.index(index=self.index, id=manifest_id(key), document=manifest))
        return delta

    def apply_pending(self, key: str, delta: dict[str, Any] | None = None) -> None:
        """Apply the committed delta (read from the index unless given) to the part documents, then drop it."""
        if delta is None:
            manifest = self._get(manifest_id(key))
            if manifest is None:
                self._settled.add(key)
                return
            delta = manifest["delta"]
        chunks = [chunk_id(key, n) for n in range(delta.get("chunks", 0))]
        upserts = list(delta.get("upserts", []))
        for number, chunk in enumerate(chunks):
            document = self._get(chunk)
            if document is None:
                raise StateNotSaved(f"pending state {chunk} of {key!r} is missing (chunk {number} of {len(chunks)})")
            upserts += document["delta"]["upserts"]
        now = _now()
        actions = [BulkAction("delete", self.index, part_id(key, part)) for part in delta["deletes"]]
        actions += [BulkAction("index", self.index, part_id(key, part),
                               {"key": key, "kind": "part", "part": part, "data": data, "updated_at": now})
                    for part, data in upserts]
        self._write(actions, "apply pending state")
        self.retry.call("settle state",
                        lambda: self.client.options(ignore_status=404).delete(index=self.index, id=manifest_id(key)))
        if chunks:
            self._write([BulkAction("delete", self.index, chunk) for chunk in chunks], "drop pending state")
        self._settled.add(key)

    def _settle(self, key: str) -> None:
        if key not in self._settled:
            self.apply_pending(key)

    def _get(self, document_id: str) -> dict[str, Any] | None:
        response = self.retry.call(
            "get state", lambda: self.client.options(ignore_status=404).get(index=self.index, id=document_id)
        )
        return response["_source"] if response.get("found") else None

    def _write(self, actions: list[BulkAction], what: str) -> None:
        if failures := self.bulk.write(actions):
            first = failures[0]
            raise StateNotSaved(f"{what}: {len(failures)} documents refused, e.g. {first.action.id}: {first.detail}")
