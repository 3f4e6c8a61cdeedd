"""Events as the index stores them: read back from a document, and merged with what is stored.

Both backends store an event the same way: the view the pipeline wrote, merged
with the stored one, so membership only grows and a replay or a second writer
never repeats or drops an article.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from newsbeam.schemas import Event


def _union(*lists: Iterable[str]) -> list[str]:
    """Items of all lists, first occurrence order, no blanks."""
    return list(dict.fromkeys(item for items in lists for item in items if item))


def _date(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _min_date(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _max_date(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def event_from_doc(doc: Mapping[str, Any]) -> Event:
    return Event(
        event_id=doc["event_id"],
        title=doc.get("title", ""),
        representative_id=doc.get("representative_id", ""),
        article_ids=list(doc.get("article_ids", [])),
        sources=list(doc.get("sources", [])),
        first_seen=_date(doc.get("first_seen")),
        last_seen=_date(doc.get("last_seen")),
        keywords=list(doc.get("keywords", [])),
        aliases=list(doc.get("aliases", [])),
        summary=doc.get("summary", ""),
        names=list(doc.get("names", [])),
        outlets=[(outlet["source"], outlet["count"]) for outlet in doc.get("outlets", [])],
        languages=list(doc.get("languages", [])),
    )


def merge_event(incoming: Event, stored: Event | None, absorbed: Iterable[Event] = ()) -> Event:
    """The event to store when `incoming` meets what the index already holds.

    Membership only grows: article ids, sources and aliases are unions, so a writer
    with an older view never drops an article that another writer added in between.
    Descriptive fields (title, keywords, representative, summary, names, outlets,
    languages) come from the incoming view, which the clusterer computed last. `absorbed` are the stored events named in
    `incoming.aliases`: their articles move into the survivor.
    """
    absorbed = list(absorbed)
    views = [e for e in (stored, *absorbed) if e is not None]
    aliases = _union(*(e.aliases for e in views), incoming.aliases, (e.event_id for e in absorbed))
    return Event(
        event_id=incoming.event_id,
        title=incoming.title or (stored.title if stored else ""),
        representative_id=incoming.representative_id or (stored.representative_id if stored else ""),
        article_ids=_union(*(e.article_ids for e in views), incoming.article_ids),
        sources=_union(*(e.sources for e in views), incoming.sources),
        first_seen=_min_date(incoming.first_seen, *(e.first_seen for e in views)),
        last_seen=_max_date(incoming.last_seen, *(e.last_seen for e in views)),
        keywords=incoming.keywords or (stored.keywords if stored else []),
        aliases=[a for a in aliases if a != incoming.event_id],
        summary=incoming.summary or (stored.summary if stored else ""),
        names=incoming.names or (stored.names if stored else []),
        outlets=incoming.outlets or (stored.outlets if stored else []),
        languages=incoming.languages or (stored.languages if stored else []),
    )
