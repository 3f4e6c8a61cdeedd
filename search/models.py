"""The API's response shapes; FastAPI turns them into the OpenAPI document."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class EventHit(BaseModel):
    """One event in a result list, best first."""

    event_id: str
    title: str
    score: float
    article_count: int
    article_ids: list[str]
    sources: list[str]
    first_seen: str | None
    last_seen: str | None
    keywords: list[str] = []
    snippet: str = Field("", description="Matching text, HTML-escaped, query terms wrapped in <mark>.")


class SearchEcho(BaseModel):
    """The query as the server understood it (after defaults and normalisation)."""

    q: str
    date_from: datetime | None = Field(None, alias="from")
    date_to: datetime | None = Field(None, alias="to")
    source: str | None = None
    language: str | None = None
    subject: str | None = None

    model_config = {"populate_by_name": True, "serialize_by_alias": True}


class SearchResponse(BaseModel):
    query: SearchEcho
    total: int
    page: int
    size: int
    pages: int
    hits: list[EventHit]


class ArticleSummary(BaseModel):
    """An article as an event page lists it."""

    id: str
    url: str
    title: str
    source: str
    language: str
    published: str | None
    excerpt: str = Field(description="The start of the text, plain (not HTML).")
    duplicate_of: str | None = None


class OutletArticles(BaseModel):
    """The articles one outlet published about an event, oldest first."""

    outlet: str
    articles: list[ArticleSummary]


class TimelineBucket(BaseModel):
    start: str
    count: int


class Timeline(BaseModel):
    """How many articles arrived in each time bucket, from first to last."""

    start: str | None
    end: str | None
    bucket_seconds: int
    buckets: list[TimelineBucket]
    undated: int = Field(description="Articles without a publication time, left out of the buckets.")


class OutletCount(BaseModel):
    source: str
    count: int


class EventInfo(BaseModel):
    event_id: str
    title: str
    representative_id: str
    article_count: int
    article_ids: list[str]
    sources: list[str]
    first_seen: str | None
    last_seen: str | None
    keywords: list[str]
    aliases: list[str]
    summary: str = Field("", description="First sentence of the most central article.")
    names: list[str] = Field([], description="Names its articles are most about, most named first.")
    outlets: list[OutletCount] = Field([], description="Articles and copies per outlet, most first.")
    languages: list[str] = Field([], description="Languages of its articles, most first.")


class EventDetail(BaseModel):
    event: EventInfo
    outlets: list[OutletArticles]
    timeline: Timeline


class Article(BaseModel):
    """A stored article with what the pipeline decided about it."""

    id: str
    url: str
    title: str
    text: str
    published: str | None = None
    source: str = ""
    language: str = ""
    canonical_url: str = ""
    authors: list[str] = []
    fetched_at: str | None = None
    content_hash: str = ""
    headlines: list[str] = Field(default=[], description="Other headlines the page states beside `title`, searched as it is.")
    event_id: str | None = None
    duplicate_of: str | None = None


class Health(BaseModel):
    status: str
    backend: str
    articles: int | None = None
    events: int | None = None


class ErrorItem(BaseModel):
    param: str
    message: str


class ErrorBody(BaseModel):
    """Every error the API returns has this shape; it never carries a trace or a path."""

    error: str = Field(description="A stable, machine-readable code.")
    message: str
    details: list[ErrorItem] = []
