"""The assigner's hot state as versioned, data-only parts, saved a little at a time.

State read back from the index is decoded as data (JSON; MinHash signatures as
base64 of their little-endian bytes), never executed, so whoever can write the
state store cannot run code on the pipeline's workers.

The parts under one state key:

- ``meta``: the header (format name, format version, the `AssignConfig` the state
  was taken under, the state's decision log and position: see `LogPosition`) and
  what is not keyed: watermarks, counters, the merge pass's pending events, events
  changed but not yet drained.
- ``seg:<sequence>``: segments of a log of *entries*. An entry is one key of one
  table: an exact-dedup key, a near-duplicate original and its signature, an
  original's event, a hot event, a term's document frequency and readable form,
  a merged-away event id. A segment holds the entries that changed since the
  previous save; null marks an entry that left the state. Loading applies the
  segments in sequence order, so a later entry replaces an earlier one.

Each save writes a new segment with what changed, plus a bounded compaction: it
re-writes still-current entries of the oldest segments (about as many bytes as
its changed entries take) and deletes a segment once nothing in it is current. A
save therefore costs about twice what changed, whatever the size of the state,
and the stored log stays within a small multiple of the live state, which the hot
window bounds. What can be derived is not stored: the LSH band tables (rebuilt
from the signatures), the inverted index and the centroids' norms (rebuilt from
the events), the expiry queues (rebuilt from each key's last-touched time).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from newsbeam.connectors.sinks.base import StateChanges
from newsbeam.pipelines.cluster.clusterer import EventState, StateKeys
from newsbeam.pipelines.hot_window import ExpiringMap

if TYPE_CHECKING:
    from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner

FORMAT = "newsbeam.assign-state"
#: Raised whenever the meaning of a part changes, including how terms or signatures
#: are computed; a state of a version outside `READABLE_VERSIONS` is refused.
FORMAT_VERSION = 2
#: Version 1 lacks the events' descriptions (centrality, summary, name, outlet and
#: language counts); its events are read with empty ones, which fill in from the
#: articles that join them afterwards.
READABLE_VERSIONS = (1, 2)
HEADER = "meta"
SEGMENT_PREFIX = "seg:"
#: Bytes of entries per segment: bounds one part, and so one Elasticsearch document.
SEGMENT_BYTES = 1 << 20
#: Bytes of entries a save may re-write from the oldest segments, at least (as many
#: as its changed entries take when that is more).
MIN_COMPACTION_BYTES = 16 << 10


class StateFormatError(ValueError):
    """Saved state in a format this newsbeam cannot read; it is refused rather than misread."""

    def __init__(self, found: object, expected: object = f"{FORMAT} version {FORMAT_VERSION}") -> None:
        self.found, self.expected = found, expected
        super().__init__(
            f"saved assignment state is {found}, this newsbeam reads {expected}: run a newsbeam release that "
            "reads it, or delete the saved state under this key (the next run then starts with an empty hot window)"
        )


def config_data(config: AssignConfig) -> Any:
    """The configuration as JSON data, as the header stores it."""
    return json.loads(json.dumps(asdict(config)))


#: Settings added to the configuration after states were saved without them, by
#: section. They steer decisions still to come and change the meaning of no saved
#: entry, so a header that lacks one was taken under the same configuration as far
#: as its entries go: it is compared as if it held the setting's current value.
ADDED_SETTINGS: dict[str, tuple[str, ...]] = {"cluster": ("small_event_members", "lone_event_bar",
                                                          "lone_event_margin", "merge_discounts_topic_words")}


def _same_configuration(saved: Any, current: Any) -> bool:
    """Whether a header's configuration is `current`, settings added since it was saved aside."""
    saved = {section: dict(values) if isinstance(values, dict) else values for section, values in saved.items()}
    for section, names in ADDED_SETTINGS.items():
        if isinstance(saved.get(section), dict):
            for name in names:
                saved[section].setdefault(name, current[section][name])
    return saved == current


# -- entries: one key of one table -------------------------------------------------------------


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _signature(data: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(data), dtype="<u4").astype(np.uint32)


def _event_data(event: EventState, expires_from: datetime | None = None) -> dict[str, Any]:
    return {
        "centroid": list(event.centroid.items()),
        "first_seen": _time(event.first_seen),
        "last_seen": _time(event.last_seen),
        "article_ids": event.article_ids,
        "sources": event.sources,
        "title": event.title,
        "representative_id": event.representative_id,
        "titled": event.titled,
        "aliases": event.aliases,
        "members": event.members,
        "member_terms": event.member_terms,
        "centrality": event.centrality,
        "summary": event.summary,
        "name_counts": list(event.name_counts.items()),
        "source_counts": list(event.source_counts.items()),
        "language_counts": list(event.language_counts.items()),
        "expires_from": _time(expires_from),
    }


def _event_from(event_id: str, data: dict[str, Any]) -> tuple[EventState, datetime | None]:
    event = EventState(
        event_id=event_id,
        centroid=dict(data["centroid"]),
        first_seen=_parse_time(data["first_seen"]),
        last_seen=_parse_time(data["last_seen"]),
        article_ids=data["article_ids"],
        sources=data["sources"],
        title=data["title"],
        representative_id=data["representative_id"],
        titled=data["titled"],
        aliases=data["aliases"],
        members=data["members"],
        member_terms=data["member_terms"],
        # Absent from a version 1 state: the fields' own defaults then stand.
        **{name: data[name] for name in ("centrality", "summary") if name in data},
        **{name: dict(data[name]) for name in ("name_counts", "source_counts", "language_counts") if name in data},
    )
    return event, _parse_time(data["expires_from"])


@dataclass(frozen=True, slots=True)
class _Table:
    """How one kind of entry is listed, encoded and found changed."""

    name: str
    keys: Callable[[OnlineAssigner], Iterable[str]]
    #: The entry's current value as JSON data, None when the key is not held.
    encode: Callable[[OnlineAssigner, str], Any]
    #: The keys changed since the last call; the first call starts the tracking.
    take_changed: Callable[[OnlineAssigner], set[str]]


def _take(holder: Any) -> set[str]:
    changed = holder.unsaved or set()
    holder.unsaved = set()
    return changed


def _take_clusterer(kind: str) -> Callable[[OnlineAssigner], set[str]]:
    def take(assigner: OnlineAssigner) -> set[str]:
        clusterer = assigner.clusterer
        if clusterer.unsaved is None:
            clusterer.unsaved = StateKeys()
        changed = getattr(clusterer.unsaved, kind)
        setattr(clusterer.unsaved, kind, set())
        return changed

    return take


def _near(assigner: OnlineAssigner, key: str) -> Any:
    entry = assigner.near.originals.entry(key)
    if entry is None:
        return None
    (order, signature), when = entry
    return [order, _time(when), base64.b64encode(np.asarray(signature, dtype="<u4").tobytes()).decode("ascii")]


def _expiring(name: str, held: Callable[[OnlineAssigner], ExpiringMap[str, str]]) -> _Table:
    """A table of an `ExpiringMap` of ids: each entry is [value, last touched]."""

    def encode(assigner: OnlineAssigner, key: str) -> Any:
        entry = held(assigner).entry(key)
        return None if entry is None else [entry[0], _time(entry[1])]

    return _Table(name, lambda a: held(a).keys(), encode, lambda a: _take(held(a)))


def _restore_expiring(held: ExpiringMap[str, str], entries: dict[str, Any], watermark: str | None) -> None:
    held.restore(((key, value, _parse_time(when)) for key, (value, when) in entries.items()), _parse_time(watermark))


def _event(assigner: OnlineAssigner, key: str) -> Any:
    event = assigner.clusterer.events.get(key)
    return None if event is None else _event_data(event, assigner.clusterer.expires_from(key))


def _term(assigner: OnlineAssigner, key: str) -> Any:
    entry = assigner.clusterer.term_entry(key)
    return None if entry is None else list(entry)


def _alias(assigner: OnlineAssigner, key: str) -> Any:
    return assigner.clusterer.aliases().get(key)


TABLES = {
    table.name: table
    for table in (
        _expiring("exact", lambda a: a.exact.first),
        _Table("near", lambda a: a.near.originals.keys(), _near, lambda a: _take(a.near.originals)),
        _expiring("link", lambda a: a.event_of),
        _Table("event", lambda a: a.clusterer.events.keys(), _event, _take_clusterer("events")),
        _Table("term", lambda a: a.clusterer.terms(), _term, _take_clusterer("terms")),
        _Table("alias", lambda a: a.clusterer.aliases().keys(), _alias, _take_clusterer("aliases")),
    )
}


# -- the header ----------------------------------------------------------------------------------


def _header(assigner: OnlineAssigner, sequence: int) -> dict[str, Any]:
    counters = assigner.clusterer.counters()
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "config": config_data(assigner.config),
        "sequence": sequence,
        "log": {"id": assigner.log, "position": assigner.position},
        "exact": {"watermark": _time(assigner.exact.first.watermark)},
        "near": {"watermark": _time(assigner.near.originals.watermark), "added": assigner.near.added},
        "link": {"watermark": _time(assigner.event_of.watermark)},
        "cluster": {
            **counters,
            "df_decayed_at": _time(counters["df_decayed_at"]),
            "watermark": _time(counters["watermark"]),
            "retired": {event_id: _event_data(event) for event_id, event in counters["retired"].items()},
        },
    }


def _read_header(data: bytes | None) -> dict[str, Any]:
    if data is None:
        raise StateFormatError("a set of parts without a header")
    try:
        header = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise StateFormatError("not JSON (a state written before the versioned format?)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else type(header).__name__
        raise StateFormatError(f"of format {found!r}")
    if header.get("version") not in READABLE_VERSIONS:
        raise StateFormatError(f"{FORMAT} version {header.get('version')}")
    return header


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _dumps(data: Any) -> bytes:
    return _ENCODER.encode(data).encode("utf-8")


def _segment(entries: list[tuple[Entry, str]]) -> bytes:
    """A segment's JSON, {table: {key: value}}, from entries already encoded one by one."""
    tables: dict[str, list[str]] = {}
    for (table, key), value in entries:
        tables.setdefault(table, []).append(f"{_ENCODER.encode(key)}:{value}")
    return ("{" + ",".join(f'"{table}":{{{",".join(items)}}}' for table, items in tables.items()) + "}").encode("utf-8")


def _segment_name(sequence: int) -> str:
    return f"{SEGMENT_PREFIX}{sequence:012d}"


# -- the log of segments --------------------------------------------------------------------


Entry = tuple[str, str]  # (table, key)


class StateCodec:
    """One assigner's saved state: which segment holds each entry, and what the next save writes.

    `changes` assumes each `StateChanges` it returns is saved before the next is
    taken; a save that fails leaves the index at the state before it, and the
    assigner must then be restored from the index, not saved again.
    """

    def __init__(self, obsolete: Iterable[str] = ()) -> None:
        #: The segment holding each entry's latest record (a value or a removal).
        self._where: dict[Entry, int] = {}
        #: Entries recorded in each stored segment, oldest segment first.
        self._segments: dict[int, list[Entry]] = {}
        #: Entries of the oldest segment already compacted.
        self._cursor = 0
        self._next = 0
        self._tracking = False
        self._header: bytes | None = None
        #: Parts of a state that is being replaced (taken under another configuration).
        self._obsolete = set(obsolete)

    def changes(self, assigner: OnlineAssigner) -> StateChanges:
        """The parts to write and delete so the stored state equals the assigner's."""
        if self._tracking:
            changed = {name: table.take_changed(assigner) for name, table in TABLES.items()}
        else:
            for table in TABLES.values():
                table.take_changed(assigner)
            changed = {name: set(table.keys(assigner)) for name, table in TABLES.items()}
            self._tracking = True
        # Each entry's value as JSON text ("null": the entry left the state).
        records: dict[Entry, str] = {}
        for name, keys in changed.items():
            encode = TABLES[name].encode
            for key in sorted(keys):
                value = encode(assigner, key)
                if value is not None or (name, key) in self._where:
                    records[(name, key)] = _ENCODER.encode(value)
        # Compaction rides along with changes: a save of nothing stays a save of nothing.
        size = sum(map(len, records.values()))
        deletes = self._compact(assigner, records, max(size, MIN_COMPACTION_BYTES) if records else 0) | self._obsolete
        self._obsolete = set()
        upserts: dict[str, bytes] = {}
        segment: list[tuple[Entry, str]] = []
        size = 0
        for entry, value in records.items():
            segment.append((entry, value))
            size += len(value)
            if size >= SEGMENT_BYTES:
                upserts.update(self._write(segment))
                segment, size = [], 0
        if segment:
            upserts.update(self._write(segment))
        header = _dumps(_header(assigner, self._next))
        if header != self._header or upserts or deletes:
            upserts[HEADER] = self._header = header
        return StateChanges(upserts, frozenset(deletes - upserts.keys()))

    def _write(self, entries: list[tuple[Entry, str]]) -> dict[str, bytes]:
        sequence, self._next = self._next, self._next + 1
        self._segments[sequence] = [entry for entry, _ in entries]
        for entry, _ in entries:
            self._where[entry] = sequence
        return {_segment_name(sequence): _segment(entries)}

    def _compact(self, assigner: OnlineAssigner, records: dict[Entry, str], budget: int) -> set[str]:
        """Move about `budget` bytes of current entries of the oldest segments into
        `records`; return the names of the segments left with nothing current."""
        emptied: set[str] = set()
        for sequence in list(self._segments):
            entries = self._segments[sequence]
            while self._cursor < len(entries) and budget > 0:
                entry = entries[self._cursor]
                self._cursor += 1
                if self._where.get(entry) != sequence or entry in records:
                    continue
                value = TABLES[entry[0]].encode(assigner, entry[1])
                if value is None:  # a removal in the oldest segment: nothing older is left to hide
                    del self._where[entry]
                    continue
                records[entry] = _ENCODER.encode(value)
                budget -= len(records[entry])
            if self._cursor < len(entries):
                break
            del self._segments[sequence]
            self._cursor = 0
            emptied.add(_segment_name(sequence))
        return emptied

    # -- loading ----------------------------------------------------------------------

    @classmethod
    def restore(
        cls, parts: Mapping[str, bytes] | None, config: AssignConfig, fresh: Callable[[AssignConfig], OnlineAssigner]
    ) -> OnlineAssigner:
        """The assigner the parts describe; a fresh one when there are none or they
        were taken under another configuration (its first save then replaces them)."""
        if not parts:
            return fresh(config)
        header = _read_header(parts.get(HEADER))
        if not _same_configuration(header["config"], config_data(config)):
            assigner = fresh(config)
            assigner._codec = cls(obsolete=parts.keys())
            return assigner
        codec = cls()
        tables: dict[str, dict[str, Any]] = {name: {} for name in TABLES}
        for name in sorted(parts):
            if name == HEADER:
                continue
            if not name.startswith(SEGMENT_PREFIX) or not name[len(SEGMENT_PREFIX) :].isdigit():
                raise StateFormatError(f"a state with a part named {name!r}")
            sequence = int(name[len(SEGMENT_PREFIX) :])
            entries = codec._segments[sequence] = []
            for table, values in json.loads(parts[name]).items():
                if table not in tables:
                    raise StateFormatError(f"a state with entries of kind {table!r}")
                for key, value in values.items():
                    if value is None:
                        tables[table].pop(key, None)
                    else:
                        tables[table][key] = value
                    codec._where[(table, key)] = sequence
                    entries.append((table, key))
        codec._next = max(header["sequence"], max(codec._segments, default=-1) + 1)
        codec._tracking = True
        codec._header = parts[HEADER]
        assigner = fresh(config)
        _load(assigner, header, tables)
        assigner._codec = codec
        return assigner


def _load(assigner: OnlineAssigner, header: dict[str, Any], tables: dict[str, dict[str, Any]]) -> None:
    assigner.log, assigner.position = header["log"]["id"], header["log"]["position"]
    _restore_expiring(assigner.exact.first, tables["exact"], header["exact"]["watermark"])
    assigner.near.restore(
        ((key, (order, _signature(signature)), _parse_time(when)) for key, (order, when, signature) in tables["near"].items()),
        _parse_time(header["near"]["watermark"]),
        header["near"]["added"],
    )
    _restore_expiring(assigner.event_of, tables["link"], header["link"]["watermark"])
    counters = dict(header["cluster"])
    counters["df_decayed_at"] = _parse_time(counters["df_decayed_at"])
    counters["watermark"] = _parse_time(counters["watermark"])
    counters["retired"] = {event_id: _event_from(event_id, data)[0] for event_id, data in counters["retired"].items()}
    assigner.clusterer.restore(
        (_event_from(event_id, data) for event_id, data in tables["event"].items()),
        ((term, count, surface) for term, (count, surface) in tables["term"].items()),
        tables["alias"],
        counters,
    )
    for table in TABLES.values():
        table.take_changed(assigner)
