"""The Event record: one real-world happening, covered by one or more articles."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class Event:
    """An event cluster as the index stores it.

    `event_id` never changes once created; when two events merge the older id wins
    and the other is kept in `aliases`, so links to either still resolve.
    """

    event_id: str
    title: str
    representative_id: str
    article_ids: list[str]
    sources: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    keywords: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)

    @property
    def article_count(self) -> int:
        return len(self.article_ids)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("first_seen", "last_seen"):
            value = data[key]
            data[key] = value.isoformat() if value else None
        data["article_count"] = self.article_count
        return data
