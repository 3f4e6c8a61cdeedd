"""How records become Elasticsearch documents, and the dead letters of refused ones."""

from __future__ import annotations

from typing import Any

from newsbeam.connectors.sinks.analysis import article_terms
from newsbeam.connectors.sinks.elasticsearch.bulk import ItemFailure
from newsbeam.schemas import DeadLetter

STAGE = "index"
#: Fields of an article document that only the index uses: the search terms of its title, text and other headlines.
TERMS_FIELDS = ("title_terms", "text_terms", "headline_terms")

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


def dead_letter(failure: ItemFailure, origin: str) -> DeadLetter:
    """A document the cluster refused for good, in the pipeline's dead-letter shape."""
    reason = "mapping_rejected" if failure.reason in MAPPING_ERRORS else "index_rejected"
    detail = f"HTTP {failure.status} {failure.reason}: {failure.detail}"
    return DeadLetter.of(STAGE, reason, detail, origin, failure.action.body or {"_id": failure.action.id})


def with_terms(doc: dict[str, Any]) -> dict[str, Any]:
    """An article document with the search terms of its title, text and other headlines (see `analysis`), made anew.

    The terms are made here, not by the cluster, so any node (a minimal one included)
    matches as the embedded index does; an index copied for a new mapping gets them
    made again by this function, so they follow the analysis of the version that copies.
    """
    doc["title_terms"], doc["text_terms"], doc["headline_terms"] = article_terms(
        doc.get("title"), doc.get("text"), doc.get("language"), doc.get("headlines"))
    return doc
