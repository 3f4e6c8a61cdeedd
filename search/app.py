"""The HTTP API over any `IndexBackend`, and the web page that uses it.

The app never imports a concrete store: `newsbeam serve` hands it a factory built from
`open_backend(BackendSettings)`, tests hand it the same, so the embedded index and
Elasticsearch answer through one code path.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from fastapi import FastAPI, Path as PathParam, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsbeam.connectors.sinks.base import SearchQuery
from newsbeam.connectors.sinks.select import BackendSettings, open_backend
from newsbeam.search import params
from newsbeam.search.events import event_detail
from newsbeam.search.metrics import RequestMetrics, ServerMetrics
from newsbeam.search.models import (
    Article,
    ErrorBody,
    ErrorItem,
    EventDetail,
    EventHit,
    Health,
    SearchEcho,
    SearchResponse,
)
from newsbeam.search.pool import BackendFactory, BackendPool

log = logging.getLogger("newsbeam.search")

WEB_DIR = Path(__file__).parent / "web"
#: The page loads only its own files; Swagger UI is left out for the same reason (it
#: would pull scripts from a CDN), the OpenAPI document itself is at /openapi.json.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "A parameter is missing or invalid."},
    500: {"model": ErrorBody, "description": "The server failed; details are in its log, not here."},
}
#: Worker threads of one process over the embedded index. Its searches are CPU work in this
#: process, and Python runs one thread at a time: more threads only take turns on the same
#: CPU and evict each other's caches (at 50 clients on 2 CPUs the server spent 12.6 ms of
#: CPU per request with 40 threads, 8.8 ms with 4). Elasticsearch's searches wait on the
#: network instead, so that backend keeps anyio's 40. More CPUs: `newsbeam serve --workers`.
EMBEDDED_THREADS = 4
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "No such document."}}


class NotFound(Exception):
    def __init__(self, what: str) -> None:
        self.what = what


def create_app(
    open_backend_fn: BackendFactory,
    *,
    backend_kind: str = "embedded",
    cors_origins: Sequence[str] = (),
    threads: int | None = None,
) -> FastAPI:
    """The API and web page, opening backends with `open_backend_fn` (one per worker thread).

    `backend_kind` is what /health reports (never a path or URL: those stay server-side).
    CORS stays off unless `cors_origins` lists the origins allowed to call the API.
    `threads` caps the worker threads answering requests (default: anyio's 40).
    """
    pool = BackendPool(open_backend_fn)
    metrics = ServerMetrics(lambda: pool.get().counts())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if threads:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield
        pool.close()

    app = FastAPI(
        title="newsbeam search",
        version="1",
        summary="Search news events, see who covered them and when.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET"], max_age=600)
    _install_error_handlers(app)

    app.add_middleware(ContainFailures)
    app.add_middleware(RequestMetrics, metrics=metrics, router=app.router)

    @app.get("/search", response_model=SearchResponse, responses=ERRORS, tags=["search"])
    def search(
        q: Annotated[str, Query(description="Words to look for.", min_length=1, max_length=params.MAX_QUERY_CHARS)],
        date_from: Annotated[
            str | None, Query(alias="from", description="Earliest date or date-time (ISO-8601, UTC if no zone).")
        ] = None,
        date_to: Annotated[
            str | None, Query(alias="to", description="Latest date or date-time; a bare date includes the whole day.")
        ] = None,
        source: Annotated[
            str | None, Query(description="Only events covered by this outlet.", max_length=params.MAX_SOURCE_CHARS)
        ] = None,
        language: Annotated[
            str | None,
            Query(description="Only articles in this language (ISO 639-1, e.g. `en`).", pattern=r"^[A-Za-z]{2,3}$"),
        ] = None,
        subject: Annotated[
            str | None,
            Query(description="Only articles with this subject code, as wire items give them "
                  "(IPTC QCodes such as `medtop:04000000`, or a provider's own).", max_length=params.MAX_SOURCE_CHARS),
        ] = None,
        page: Annotated[int, Query(ge=1, le=params.MAX_RESULT_WINDOW, description="1-based page number.")] = 1,
        size: Annotated[int, Query(ge=1, le=params.MAX_PAGE_SIZE, description="Events per page.")] = params.DEFAULT_PAGE_SIZE,
    ) -> SearchResponse:
        """Events matching `q`, best first, with a highlighted snippet each."""
        text = params.clean_text("q", q, params.MAX_QUERY_CHARS)
        window = params.parse_window(date_from, date_to)
        outlet = params.clean_text("source", source, params.MAX_SOURCE_CHARS) if source and source.strip() else None
        code = params.clean_text("subject", subject, params.MAX_SOURCE_CHARS) if subject and subject.strip() else None
        params.check_paging(page, size)
        query = SearchQuery(
            text=text,
            date_from=window.date_from,
            date_to=window.date_to,
            source=outlet,
            language=language.lower() if language else None,
            subject=code,
            page=page,
            size=size,
        )
        result = pool.get().search(query)
        return SearchResponse(
            query=SearchEcho(q=text, date_from=window.date_from, date_to=window.date_to, source=outlet, language=query.language,
                             subject=code),
            total=result.total,
            page=page,
            size=size,
            pages=math.ceil(result.total / size),
            hits=[EventHit(**hit.to_json()) for hit in result.hits],
        )

    @app.get("/events/{event_id}", response_model=EventDetail, responses=ERRORS | NOT_FOUND, tags=["events"])
    def get_event(
        event_id: Annotated[str, PathParam(description="An event id, or an alias left by a merge.", max_length=params.MAX_ID_CHARS)],
    ) -> EventDetail:
        """The event, its articles grouped by outlet, and when they arrived."""
        event_id = params.clean_text("event_id", event_id, params.MAX_ID_CHARS)
        backend = pool.get()
        event = backend.get_event(event_id)
        if event is None:
            raise NotFound("event")
        return event_detail(event, backend.articles_of_event(event.event_id))

    @app.get("/articles/{article_id}", response_model=Article, responses=ERRORS | NOT_FOUND, tags=["articles"])
    def get_article(
        article_id: Annotated[str, PathParam(description="An article id.", max_length=params.MAX_ID_CHARS)],
    ) -> Article:
        """One stored article, with its event and what it duplicates (if anything)."""
        article_id = params.clean_text("article_id", article_id, params.MAX_ID_CHARS)
        document = pool.get().get_article(article_id)
        if document is None:
            raise NotFound("article")
        return Article(**document)

    @app.get("/health", response_model=Health, responses={503: {"model": Health}}, tags=["service"])
    def health() -> Any:
        """Whether the index answers, and how much it holds."""
        try:
            counts = pool.get().counts()
        except Exception:
            log.exception("health check: the index did not answer")
            return JSONResponse(Health(status="unavailable", backend=backend_kind).model_dump(), status_code=503)
        return Health(status="ok", backend=backend_kind, articles=counts.get("articles"), events=counts.get("events"))

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        """Request counts and latencies per route, and the index's counts, for Prometheus."""
        body, content_type = metrics.exposition(request.headers.get("accept"))
        return Response(body, headers={"Content-Type": content_type})

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    return app


class ContainFailures:
    """Log any failure once, here, and answer it with a bare 500; add the security headers.

    Plain ASGI rather than `@app.middleware("http")`: Starlette's `BaseHTTPMiddleware`
    runs every request through an extra task and a memory stream, which cost more CPU
    than the rest of a request's handling.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("%s %s failed", scope.get("method"), scope.get("path"))
            if started:  # the answer is on its way: nothing left to replace it with
                raise
            response = _error(500, "internal_error", "the server failed to answer; the error is in its log")
            await response(scope, receive, send_with_headers)


def app_for_settings(settings: BackendSettings, *, cors_origins: Sequence[str] = ()) -> FastAPI:
    """The app over the backend `settings` name, opened read-only: what `newsbeam serve` runs."""
    if settings.es_url:
        return create_app(lambda: open_backend(settings, read_only=True), backend_kind="elasticsearch",
                          cors_origins=cors_origins)
    return create_app(lambda: open_backend(settings, read_only=True), backend_kind="embedded", cors_origins=cors_origins,
                      threads=EMBEDDED_THREADS)


def app_from_env() -> FastAPI:
    """The app for `uvicorn --factory newsbeam.search.app:app_from_env`, e.g. with several workers.

    Settings come from the `NEWSBEAM_*` environment variables and the configuration file
    (`NEWSBEAM_CONFIG`, else ./newsbeam.toml), as for every command; `NEWSBEAM_CORS_ORIGINS`
    is a space-separated list of allowed origins, as for `serve`. Several workers share
    their metrics only if `PROMETHEUS_MULTIPROC_DIR` names an empty folder before they
    start (`newsbeam serve --workers` sees to it).
    """
    from newsbeam.config import Configuration
    from newsbeam.config.build import backend_settings

    settings = backend_settings(Configuration.load())
    return app_for_settings(settings, cors_origins=os.environ.get("NEWSBEAM_CORS_ORIGINS", "").split())


def _error(status: int, code: str, message: str, details: list[ErrorItem] | None = None) -> JSONResponse:
    body = ErrorBody(error=code, message=message, details=details or [])
    return JSONResponse(body.model_dump(), status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    """Client errors leave as an `ErrorBody` naming the parameter; none carries a trace."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            ErrorItem(param=str(e["loc"][-1]) if e.get("loc") else "request", message=str(e.get("msg", "invalid")))
            for e in exc.errors()
        ]
        return _error(422, "invalid_parameter", "; ".join(f"{d.param}: {d.message}" for d in details), details)

    @app.exception_handler(params.InvalidParameter)
    async def invalid_parameter(_: Request, exc: params.InvalidParameter) -> JSONResponse:
        return _error(422, "invalid_parameter", str(exc), [ErrorItem(param=exc.param, message=exc.message)])

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return _error(404, f"{exc.what}_not_found", f"no {exc.what} with this id")

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = _error(exc.status_code, code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response
