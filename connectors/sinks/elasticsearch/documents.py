"""How records become Elasticsearch documents and back, and how two views of an event merge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from newsbeam.connectors.sinks.elasticsearch.bulk import ItemFailure
from newsbeam.schemas import DeadLetter, Event

STAGE = "index"

#: Error types by which the mapping refuses a document: the document is at fault.
MAPPING_ERRORS = frozenset(
    {
        "document_parsing_exception",
        "mapper_parsing_exception",
        "strict_dynamic_mapping_exception",
        "illegal_argument_exception",
        "id_too_long",
    }
)


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
    )


def merge_event(incoming: Event, stored: Event | None, absorbed: Iterable[Event] = ()) -> Event:
    """The event to store when `incoming` meets what the index already holds.

    Membership only grows: article ids, sources and aliases are unions, so a writer
    with an older view never drops an article that another writer added in between.
    Descriptive fields (title, keywords, representative) come from the incoming view,
    which the clusterer computed last. `absorbed` are the stored events named in
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
    )


def dead_letter(failure: ItemFailure, origin: str) -> DeadLetter:
    """A document the cluster refused for good, in the pipeline's dead-letter shape."""
    reason = "mapping_rejected" if failure.reason in MAPPING_ERRORS else "index_rejected"
    detail = f"HTTP {failure.status} {failure.reason}: {failure.detail}"
    return DeadLetter.of(STAGE, reason, detail, origin, failure.action.body or {"_id": failure.action.id})
