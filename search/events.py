"""Turn an event and its stored articles into the event page: outlets and a timeline."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from newsbeam.schemas import Event
from newsbeam.search.models import (
    ArticleSummary,
    EventDetail,
    EventInfo,
    OutletArticles,
    OutletCount,
    Timeline,
    TimelineBucket,
)

EXCERPT_CHARS = 280
#: Bucket widths a timeline may use, narrowest first; the first that fits the span in
#: MAX_BUCKETS wins, so a one-hour story shows minutes and a week-long one shows days.
#: The bucket start is aligned to a multiple of the width, so buckets fall on round times.
BUCKET_SECONDS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400, 30 * 86400)
MAX_BUCKETS = 24
_SPACE = re.compile(r"\s+")


def outlet_of(article: dict[str, Any]) -> str:
    """The outlet's name; an article without a `source` is credited to its web host."""
    if source := (article.get("source") or "").strip():
        return source
    host = urlsplit(article.get("url") or "").hostname or ""
    return host.removeprefix("www.") or "unknown outlet"


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of `text` on one line, cut at a word boundary."""
    flat = _SPACE.sub(" ", text).strip()
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.-–— ") + "…"


def parse_time(value: str | None) -> datetime | None:
    """An ISO-8601 string as an aware UTC datetime; a bad or missing value is None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def summarize(article: dict[str, Any]) -> ArticleSummary:
    return ArticleSummary(
        id=str(article.get("id", "")),
        url=article.get("url") or "",
        title=article.get("title") or "",
        source=outlet_of(article),
        language=article.get("language") or "",
        published=iso(parse_time(article.get("published"))),
        excerpt=excerpt(article.get("text") or ""),
        duplicate_of=article.get("duplicate_of"),
    )


def group_by_outlet(articles: list[ArticleSummary]) -> list[OutletArticles]:
    """Outlets in the order they first covered the event; each one's articles oldest first."""
    by_outlet: dict[str, list[ArticleSummary]] = defaultdict(list)
    for article in sorted(articles, key=_time_order):
        by_outlet[article.source].append(article)
    return [OutletArticles(outlet=name, articles=items) for name, items in by_outlet.items()]


def timeline(times: list[datetime | None]) -> Timeline:
    """Arrival counts in evenly sized buckets between the first and last dated article."""
    dated = sorted(t for t in times if t is not None)
    undated = len(times) - len(dated)
    if not dated:
        return Timeline(start=None, end=None, bucket_seconds=BUCKET_SECONDS[0], buckets=[], undated=undated)
    first, last = dated[0].timestamp(), dated[-1].timestamp()
    width = next((w for w in BUCKET_SECONDS if (last // w - first // w) < MAX_BUCKETS), None)
    if width is None:  # longer than the widest bucket covers: whole days, as many as it takes
        width = math.ceil((last - first) / (MAX_BUCKETS - 1) / 86400) * 86400
    origin = int(first // width) * width
    counts = [0] * (int((last - origin) // width) + 1)
    for moment in dated:
        counts[int((moment.timestamp() - origin) // width)] += 1
    buckets = [
        TimelineBucket(start=datetime.fromtimestamp(origin + i * width, UTC).isoformat(), count=n)
        for i, n in enumerate(counts)
    ]
    return Timeline(start=iso(dated[0]), end=iso(dated[-1]), bucket_seconds=width, buckets=buckets, undated=undated)


def event_detail(event: Event, articles: list[dict[str, Any]]) -> EventDetail:
    summaries = [summarize(a) for a in articles]
    info = EventInfo(
        event_id=event.event_id,
        title=event.title,
        representative_id=event.representative_id,
        article_count=event.article_count,
        article_ids=list(event.article_ids),
        sources=list(event.sources),
        first_seen=iso(event.first_seen),
        last_seen=iso(event.last_seen),
        keywords=list(event.keywords),
        aliases=list(event.aliases),
        summary=event.summary,
        names=list(event.names),
        outlets=[OutletCount(source=source, count=count) for source, count in event.outlets],
        languages=list(event.languages),
    )
    return EventDetail(
        event=info,
        outlets=group_by_outlet(summaries),
        timeline=timeline([parse_time(s.published) for s in summaries]),
    )


def _time_order(article: ArticleSummary) -> tuple[int, str, str]:
    # Undated articles go last, then ties break on id so the order is stable.
    return (0 if article.published else 1, article.published or "", article.id)
