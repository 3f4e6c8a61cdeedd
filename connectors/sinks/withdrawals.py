"""Wire versions and kills as both backends store them.

A wire item's id is the same for all its versions, so a correction is an upsert
of the id, and a kill (`pubstatus` canceled or withheld) a removal. Both backends
apply a batch the same way:

- of several writes of one id in a batch, the last decided wins (the assignment
  core decides versions in increasing order), and a write older than what the
  index holds under the id changes nothing;
- a withdrawn article leaves a tombstone (`tombstone_doc`): its id, version and
  status, no text and no event, which search never matches and counts leave out,
  so a late older version is still recognised as old; it keeps its place in the
  decision log and what the kill took out of the state (`Withdrawal`), so a
  catch-up repeats the kill (`logged_item`);
- its event loses it (`without_articles`): membership, outlets, the
  representative headline, dates; an event left with no article is deleted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from newsbeam.connectors.sinks.base import IndexBackend, IndexedArticle, LogPosition, StoredVersion, Withdrawal
from newsbeam.schemas import WITHDRAWN_STATUSES, Article, Event


def stored_version(doc: Mapping[str, Any], event_id: str | None = None) -> StoredVersion:
    """The `StoredVersion` of a stored article document (or tombstone)."""
    return StoredVersion(int(doc.get("version") or 0), doc.get("pubstatus") in WITHDRAWN_STATUSES,
                         doc.get("event_id") or "" if event_id is None else event_id, doc.get("duplicate_of"),
                         doc.get("source") or "")


def latest_writes(articles: Sequence[IndexedArticle], stored: Mapping[str, StoredVersion]) -> list[IndexedArticle]:
    """The writes of a batch that change the index: the last one per id, unless the index holds a newer version."""
    last: dict[str, IndexedArticle] = {}
    for item in articles:
        last.pop(item.article.id, None)  # the id moves to its last place in the batch
        last[item.article.id] = item
    return [item for item in last.values()
            if item.article.version is None or item.article.id not in stored
            or stored[item.article.id].version <= item.article.version]


class HeldVersions:
    """What the index holds of some articles, read once: each id it holds, with the wire version stored
    under it (None for an article without one). One lookup answers both questions a reader asks of a poll
    (`indexed`, `nothing_to_add`), so a poll asks the index once however many of them it asks."""

    def __init__(self, versions: Mapping[str, int | None]) -> None:
        self._versions = versions

    def indexed(self, articles: Iterable[tuple[str, int | None]]) -> set[tuple[str, int | None]]:
        """Which of `articles` (id, wire version or None) the index holds: an article by its id, a wire
        item at its version or a newer one. What a reader asks to learn that an item it sent was written."""
        return self._held(articles, newer_only=False)

    def nothing_to_add(self, articles: Iterable[tuple[str, int | None]]) -> set[tuple[str, int | None]]:
        """Which of `articles` reading again adds nothing to: an article the index holds by its id, a wire
        item the index holds a newer version of. What a reader asks before sending items to the assignment.

        A wire item at exactly the version the index holds goes on: the core replays it
        (`AssignmentCore._replay`), which re-applies its effect on the hot state (its
        event, its headline; out of its event for a kill). That changes nothing on a
        state that has it, as one caught up from the decision log (`load_assigner`)
        after a crash between the index write and the state save does.
        """
        return self._held(articles, newer_only=True)

    def _held(self, articles: Iterable[tuple[str, int | None]], *, newer_only: bool) -> set[tuple[str, int | None]]:
        def holds(article_id: str, version: int | None) -> bool:
            if article_id not in self._versions:
                return False
            held = self._versions[article_id]
            if version is None or held is None:
                return True
            return held > version or (held == version and not newer_only)

        return {(article_id, version) for article_id, version in articles if holds(article_id, version)}


def held_versions(backend: IndexBackend, articles: Iterable[tuple[str, int | None]]) -> HeldVersions:
    """What the index holds of `articles` (id, wire version or None): two lookups, the second only
    for the wire items it holds."""
    articles = list(articles)
    known = backend.known_article_ids(article_id for article_id, _ in articles)
    wire = list(dict.fromkeys(article_id for article_id, version in articles
                              if version is not None and article_id in known))
    stored = backend.stored_versions(wire) if wire else {}
    return HeldVersions({article_id: stored[article_id].version if article_id in stored else None
                         for article_id in known})


def indexed(backend: IndexBackend, articles: Sequence[tuple[str, int | None]]) -> set[tuple[str, int | None]]:
    """`HeldVersions.indexed` of `articles`, looked up for them alone."""
    return held_versions(backend, articles).indexed(articles)


def nothing_to_add(backend: IndexBackend, articles: Sequence[tuple[str, int | None]]) -> set[tuple[str, int | None]]:
    """`HeldVersions.nothing_to_add` of `articles`, looked up for them alone."""
    return held_versions(backend, articles).nothing_to_add(articles)


#: The key of a tombstone's `Withdrawal` (not a field of an article: searched by no query).
WITHDRAWN_FROM = "withdrawn_from"


def tombstone_doc(item: IndexedArticle) -> dict[str, Any]:
    """What stays of a withdrawn article: enough to refuse its older versions, nothing to show, and
    what its kill took out of the state (`Withdrawal`), which a catch-up takes out again."""
    article = item.article
    doc: dict[str, Any] = {"id": article.id, "version": article.version, "pubstatus": article.pubstatus,
                           "event_id": ""}
    if (left := item.withdrawal) is not None:
        doc[WITHDRAWN_FROM] = {"event_id": left.event_id, "source": left.source, "language": left.language}
    return doc


def logged_item(doc: Mapping[str, Any], event_id: str, duplicate_of: str | None, position: LogPosition) -> IndexedArticle:
    """The decision a row of the log holds: its article, or a kill's tombstone with its `Withdrawal`.

    A tombstone written before kills kept their place in the log has none, and
    no place in the log either, so it is never read here.
    """
    if doc.get("pubstatus") not in WITHDRAWN_STATUSES:
        return IndexedArticle(Article.from_json(dict(doc)), event_id, duplicate_of, position)
    left = doc.get(WITHDRAWN_FROM)
    article = Article(str(doc["id"]), "", "", "", version=doc.get("version"), pubstatus=str(doc["pubstatus"]))
    withdrawal = Withdrawal(left["event_id"], left.get("source") or "", left.get("language") or "") if left else None
    return IndexedArticle(article, "", None, position, withdrawal)


def without_articles(event: Event, withdrawn: Iterable[str], remaining: Mapping[str, Mapping[str, Any]]) -> Event | None:
    """`event` once the `withdrawn` articles left it, or None when none is left.

    `remaining` are the stored documents of its other articles (by id): the
    outlets, dates and, when the representative left, the headline come from
    them, so nothing of a killed story stays on the event.
    """
    gone = set(withdrawn)
    ids = [a for a in event.article_ids if a not in gone]
    if not ids:
        return None
    docs = [remaining[a] for a in ids if a in remaining]
    representative, title = event.representative_id, event.title
    if representative in gone or not representative:
        first = min(docs, key=lambda d: (not d.get("title"), d.get("published") or "", d["id"]), default=None)
        representative = first["id"] if first else ids[0]
        title = (first.get("title") or "") if first else ""
    published = [datetime.fromisoformat(d["published"]) for d in docs if d.get("published")]
    outlets = Counter(d["source"] for d in docs if d.get("source"))
    languages = Counter(d["language"] for d in docs if d.get("language"))
    return replace(
        event,
        title=title,
        representative_id=representative,
        article_ids=ids,
        sources=list(outlets) or event.sources,
        first_seen=min(published, default=event.first_seen),
        last_seen=max(published, default=event.last_seen),
        summary=event.summary if representative == event.representative_id else "",
        outlets=outlets.most_common() or event.outlets,
        languages=[language for language, _ in languages.most_common()] or event.languages,
    )
