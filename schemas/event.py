"""The Event record: one real-world happening, covered by one or more articles."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    #: The first sentence of the representative (most central) article.
    summary: str = ""
    #: The names its articles are most about, most named first.
    names: list[str] = field(default_factory=list)
    #: (outlet, articles and copies from it), most first.
    outlets: list[tuple[str, int]] = field(default_factory=list)
    #: Languages of its articles, most first.
    languages: list[str] = field(default_factory=list)

    @property
    def article_count(self) -> int:
        return len(self.article_ids)

    def to_json(self) -> dict[str, Any]:
        """The event as JSON-ready data (dates as ISO-8601 strings), keys in field order.

        Spelled out rather than `dataclasses.asdict`, which deep-copies every value.
        """
        return {
            "event_id": self.event_id,
            "title": self.title,
            "representative_id": self.representative_id,
            "article_ids": list(self.article_ids),
            "sources": list(self.sources),
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "keywords": list(self.keywords),
            "aliases": list(self.aliases),
            "summary": self.summary,
            "names": list(self.names),
            "outlets": [{"source": source, "count": count} for source, count in self.outlets],
            "languages": list(self.languages),
            "article_count": self.article_count,
        }
