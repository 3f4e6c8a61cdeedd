"""The Article record: one story from one outlet, as it moves through the pipeline."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class RecordError(ValueError):
    """A record cannot go on; `reason` is a stable, machine-readable code.

    Every stage that rejects a record raises this, so the dead-letter output and its
    counters speak one vocabulary (`malformed_json`, `empty_text`, `too_large`, ...).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def article_id_for_url(canonical_url: str) -> str:
    """The id of an article that came without one: stable across runs and machines."""
    return hashlib.blake2b(canonical_url.encode("utf-8"), digest_size=10).hexdigest()



#: Statuses of a wire item that must not be shown: the wire has killed (canceled) or
#: withheld it. Anything else (IPTC's `usable`, or no status) is a story to index.
WITHDRAWN_STATUSES = ("canceled", "withheld")


@dataclass(slots=True)
class Article:
    """A validated, normalized article.

    `published` is always timezone-aware UTC once normalized; `content_hash` is the
    hash of the normalized text, so the same text under two URLs is caught exactly.
    """

    id: str
    url: str
    title: str
    text: str
    published: datetime | None = None
    source: str = ""
    language: str = ""
    canonical_url: str = ""
    authors: list[str] = field(default_factory=list)
    fetched_at: datetime | None = None
    content_hash: str = ""
    #: Wire items only (None/empty otherwise): the item's version, its publishing
    #: status, its subject codes and the rest of what the wire said about it.
    version: int | None = None
    pubstatus: str = ""
    subjects: list[str] = field(default_factory=list)
    wire: dict[str, Any] = field(default_factory=dict)
    #: Other headlines the article states beside its title (a page's `<h1>` when it shares
    #: another headline): searchable as the title is, never shown as it.
    headlines: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready data (dates as ISO-8601 strings), keys in field order.

        Spelled out rather than `dataclasses.asdict`, which deep-copies every
        value: the index converts each article it writes, and the copy cost
        more than the JSON encoding after it.
        """
        data = {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "text": self.text,
            "published": self.published.isoformat() if self.published else None,
            "source": self.source,
            "language": self.language,
            "canonical_url": self.canonical_url,
            "authors": list(self.authors),
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "content_hash": self.content_hash,
        }
        if self.version is not None:  # a wire item: its version, status and codes are kept with it
            data.update(version=self.version, pubstatus=self.pubstatus, subjects=list(self.subjects),
                        wire=dict(self.wire))
        if self.headlines:
            data["headlines"] = list(self.headlines)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Article:
        """The record `to_json` made (extra keys, such as an index's own, are ignored)."""
        fields = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        for key in ("published", "fetched_at"):
            if fields.get(key):
                fields[key] = datetime.fromisoformat(fields[key])
        fields["authors"] = list(fields.get("authors") or [])
        fields["subjects"] = list(fields.get("subjects") or [])
        fields["wire"] = dict(fields.get("wire") or {})
        fields["headlines"] = list(fields.get("headlines") or [])
        return cls(**fields)

    @property
    def withdrawn(self) -> bool:
        """The wire has killed (canceled) or withheld this item: it must leave the index."""
        return self.pubstatus in WITHDRAWN_STATUSES

    @property
    def sort_key(self) -> tuple[str, str, int]:
        """Publication order with the id, then a wire item's version, as tie-breakers: the order events are built in."""
        return (self.published.isoformat() if self.published else "", self.id, self.version or 0)
