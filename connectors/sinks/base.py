"""The contract every index backend keeps, and the shapes it answers in.

The embedded SQLite index and Elasticsearch implement the same methods and return
the same dataclasses, so `newsbeam search --json` and the HTTP API print one shape
whichever store is behind them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from newsbeam.schemas import Article, DeadLetter, Event


class BackendUnavailable(RuntimeError):
    """The index did not answer within its retry budget; a re-run finishes the job."""


class IndexLayoutMismatch(RuntimeError):
    """The index (on disk, or behind an Elasticsearch alias) was written by a newsbeam version
    with another layout; the message names the fix, and the commands end with it in one line."""


@dataclass(frozen=True, slots=True)
class LogPosition:
    """Where a decision stands among those a clustering state took, in order.

    Each lineage of a key's state (`log`, fresh when a state starts empty) numbers
    its decisions from 0. An article is indexed with its position, and a state is
    saved with the position it has reached, after the writes it covers. When a
    crash falls between the two, the restored state takes the decisions indexed
    after its position again, in order, and catches up with the index.
    """

    log: str
    seq: int


@dataclass(frozen=True, slots=True)
class StateChanges:
    """One save of pipeline state: parts to write and parts to remove, under one key.

    State is kept as named parts of opaque, data-only bytes, so a save writes only
    the parts that changed. A backend applies one `StateChanges` atomically: a load
    sees the parts from before it or from after it, never a mix.
    """

    upserts: dict[str, bytes] = field(default_factory=dict)
    deletes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if overlap := self.deletes & self.upserts.keys():
            raise ValueError(f"parts both written and deleted: {sorted(overlap)}")

    @property
    def empty(self) -> bool:
        return not self.upserts and not self.deletes

    def __bool__(self) -> bool:
        return not self.empty


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """What the index holds under an article id, as a wire item's next version needs it.

    `version` is 0 for an article that came without one; a withdrawn (killed) item
    is held as a tombstone with its version and no event, so an older version
    arriving later is recognised and dropped.
    """

    version: int
    withdrawn: bool = False
    event_id: str = ""
    duplicate_of: str | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """What a kill took out of a clustering state: the hot event it left, with its outlet and language.

    A kill's tombstone keeps it (`withdrawals.tombstone_doc`), so a state saved
    before the kill takes it out again when it catches up with its decision log
    (`pipelines/core.py`, `load_assigner`).
    """

    event_id: str
    source: str = ""
    language: str = ""


@dataclass(slots=True)
class IndexedArticle:
    """An article with what the pipeline decided about it."""

    article: Article
    event_id: str
    duplicate_of: str | None = None
    #: Its place in the decision log. None for a decision answered from the state: the
    #: write then keeps the place the article's row holds, which the state's save covers.
    position: LogPosition | None = None
    #: A kill's: what it took out of the state (None when the state held nothing of it).
    withdrawal: Withdrawal | None = None

    def to_json(self) -> dict[str, Any]:
        data = self.article.to_json()
        data["event_id"] = self.event_id
        data["duplicate_of"] = self.duplicate_of
        return data


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A full-text query over events, with optional filters and paging (1-based)."""

    text: str
    date_from: datetime | None = None
    date_to: datetime | None = None
    source: str | None = None
    language: str | None = None
    #: Only articles with this subject code (a wire item's, e.g. `medtop:04000000`).
    subject: str | None = None
    page: int = 1
    size: int = 10
    #: Weight of recency in the ranking: 0 is pure relevance.
    recency_boost: float = 0.0


@dataclass(slots=True)
class SearchHit:
    """One event in a result list, best first."""

    event_id: str
    title: str
    article_ids: list[str]
    score: float
    article_count: int
    sources: list[str]
    first_seen: str | None
    last_seen: str | None
    keywords: list[str] = field(default_factory=list)
    #: Matching text with the query terms wrapped in <mark>…</mark>; HTML-escaped.
    snippet: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class SearchPage:
    total: int
    hits: list[SearchHit]
    page: int
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "page": self.page, "size": self.size, "hits": [h.to_json() for h in self.hits]}


@runtime_checkable
class IndexBackend(Protocol):
    """Storage and search of articles and events.

    Writes are upserts keyed by deterministic ids, so a runner's retry or a re-run of
    the same input never doubles a document.
    """

    def known_article_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of `ids` are already indexed (lets a re-run skip them)."""
        ...

    def stored_versions(self, ids: Iterable[str]) -> dict[str, StoredVersion]:
        """What is stored under each of `ids` that the index holds (articles and withdrawal tombstones)."""
        ...

    def write_articles(self, articles: Sequence[IndexedArticle]) -> list[DeadLetter]:
        """Upsert articles by id; returns those the store refused (e.g. by its mapping).

        A withdrawn article (`article.withdrawn`) is removed: a tombstone keeps its
        id and version, and it leaves its event (`connectors/sinks/withdrawals.py`).
        A wire item older than the version stored under its id changes nothing.
        """
        ...

    def write_events(self, events: Sequence[Event]) -> list[DeadLetter]:
        """Upsert events; an event whose `aliases` name other events replaces them.

        Returns the events the store refused.
        """
        ...

    def search(self, query: SearchQuery) -> SearchPage: ...

    def get_event(self, event_id: str) -> Event | None:
        """The event with this id or alias."""
        ...

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        """The stored article document (`IndexedArticle.to_json()` shape)."""
        ...

    def articles_of_event(self, event_id: str) -> list[dict[str, Any]]: ...

    def logged_articles(self, log: str, start: int) -> list[IndexedArticle]:
        """The articles indexed under decision log `log` from position `start` on, in log order."""
        ...

    def load_state(self, key: str) -> dict[str, bytes]:
        """Every state part saved under `key` (part name → bytes); `{}` when none."""
        ...

    def save_state(self, key: str, changes: StateChanges) -> None:
        """Apply `changes` to the parts under `key`, atomically: a crash in the
        middle leaves the parts from before or from after it on the next load."""
        ...

    def state_keys(self, prefix: str) -> list[str]:
        """The keys that have state saved under them and start with `prefix`, sorted."""
        ...

    def counts(self) -> dict[str, int]:
        """Document counts: `articles`, `events`."""
        ...

    def close(self) -> None: ...
