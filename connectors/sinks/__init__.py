"""Index backends: where articles and events are written and searched.

Every backend implements `IndexBackend`; `open_backend` picks one from settings so
the CLI, the pipelines and the HTTP API never name a concrete store.
"""

from newsbeam.connectors.sinks.base import (
    BackendUnavailable,
    IndexBackend,
    IndexedArticle,
    IndexLayoutMismatch,
    LogPosition,
    SearchHit,
    SearchPage,
    SearchQuery,
    StateChanges,
    StoredVersion,
    Withdrawal,
)
from newsbeam.connectors.sinks.select import BackendSettings, MissingExtra, open_backend, require_backend

__all__ = [
    "BackendSettings",
    "BackendUnavailable",
    "IndexBackend",
    "IndexedArticle",
    "IndexLayoutMismatch",
    "LogPosition",
    "MissingExtra",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "StateChanges",
    "StoredVersion",
    "Withdrawal",
    "open_backend",
    "require_backend",
]
