"""How records become Elasticsearch documents, and the dead letters of refused ones."""

from __future__ import annotations


from newsbeam.connectors.sinks.elasticsearch.bulk import ItemFailure
from newsbeam.schemas import DeadLetter

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


def dead_letter(failure: ItemFailure, origin: str) -> DeadLetter:
    """A document the cluster refused for good, in the pipeline's dead-letter shape."""
    reason = "mapping_rejected" if failure.reason in MAPPING_ERRORS else "index_rejected"
    detail = f"HTTP {failure.status} {failure.reason}: {failure.detail}"
    return DeadLetter.of(STAGE, reason, detail, origin, failure.action.body or {"_id": failure.action.id})
