"""Articles and events written straight into an index backend, and the search
answers every backend owes on them: shared by the Elasticsearch and embedded
backend tests, so both are held to one corpus and one meaning of a query."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from newsbeam.connectors.sinks import IndexBackend, IndexedArticle, SearchQuery
from newsbeam.schemas import Article, Event

T0 = datetime(2025, 6, 4, 12, 0, tzinfo=timezone.utc)


def article(aid: str, title: str, text: str, *, source: str = "example.org", language: str = "en", at: datetime = T0,
            event: str = "") -> IndexedArticle:
    return IndexedArticle(
        Article(id=aid, url=f"https://{source}/{aid}", title=title, text=text, published=at, source=source,
                language=language, content_hash=f"h-{aid}"),
        event_id=event or f"ev-{aid}",
    )


def event_of(event_id: str, members: list[IndexedArticle], *, title: str = "", aliases: list[str] | None = None) -> Event:
    times = [m.article.published for m in members]
    return Event(
        event_id=event_id,
        title=title or members[0].article.title,
        representative_id=members[0].article.id,
        article_ids=[m.article.id for m in members],
        sources=sorted({m.article.source for m in members}),
        first_seen=min(times),
        last_seen=max(times),
        keywords=[],
        aliases=aliases or [],
    )


def store(backend: IndexBackend, event_id: str, members: list[IndexedArticle], **kwargs) -> Event:
    """Write the members under `event_id` and their event; the backend must refuse nothing."""
    for m in members:
        m.event_id = event_id
    assert backend.write_articles(members) == []
    event = event_of(event_id, members, **kwargs)
    assert backend.write_events([event]) == []
    return event


def store_news(backend: IndexBackend) -> None:
    """A phone-call event, a related drone story, a German story 40 days old and 12 tennis finals."""
    store(backend, "ev-call", [
        article("p1", "Trump and Putin hold phone call", "Trump said the phone call with Putin was constructive", source="a.example", at=T0),
        article("p2", "Putin vows response in call with Trump", "The Kremlin confirmed the call", source="b.example", at=T0 + timedelta(hours=3)),
    ])
    store(backend, "ev-drone", [article("d1", "Drone strikes hit air bases", "Ukraine drones destroyed bombers; Putin was told by phone", source="c.example", at=T0 - timedelta(days=3))])
    store(backend, "ev-rain", [article("r1", "Heavy rain floods valley", "Rivers burst their banks", source="a.example", language="de", at=T0 - timedelta(days=40))])
    for i in range(12):
        store(backend, f"ev-tennis-{i:02d}", [article(f"t{i}", f"Tennis final {i}", "A tennis final was played", source="d.example", at=T0 - timedelta(days=i))])


def check_member_text_matches(news: IndexBackend) -> None:
    """Words only in a member article's text find its event, highlighted."""
    page = news.search(SearchQuery("Kremlin confirmed"))
    assert [h.event_id for h in page.hits] == ["ev-call"]
    assert "<mark>Kremlin</mark>" in page.hits[0].snippet


def check_filters(news: IndexBackend) -> None:
    """Outlet, language and date filters over `store_news`."""
    assert [h.event_id for h in news.search(SearchQuery("Putin", source="c.example")).hits] == ["ev-drone"]
    assert [h.event_id for h in news.search(SearchQuery("rain", language="de")).hits] == ["ev-rain"]
    assert news.search(SearchQuery("rain", language="en")).total == 0
    recent = news.search(SearchQuery("Putin", date_from=T0 - timedelta(days=1)))
    assert [h.event_id for h in recent.hits] == ["ev-call"]
    older = news.search(SearchQuery("Putin", date_to=T0 - timedelta(days=1)))
    assert [h.event_id for h in older.hits] == ["ev-drone"]


def check_paging(news: IndexBackend) -> None:
    """The twelve tennis events over pages of five: every event once, none twice."""
    pages = [news.search(SearchQuery("tennis final", page=p, size=5)) for p in (1, 2, 3)]
    assert all(p.total == 12 for p in pages)
    ids = [h.event_id for p in pages for h in p.hits]
    assert [len(p.hits) for p in pages] == [5, 5, 2]
    assert sorted(ids) == sorted(f"ev-tennis-{i:02d}" for i in range(12))
