"""Prometheus metrics of the search server: the requests it answers and the size of its index.

Requests are counted and timed by `RequestMetrics`, an ASGI middleware, under the
template of the route that answered (`/events/{event_id}`), so every id shares one series.
The index's size is never recorded: `IndexCounts` (shared with `newsbeam run`) asks the
backend when Prometheus scrapes, so the gauges are the index's own counts.

Several worker processes (`newsbeam serve --workers N`) share one port, and a scrape
reaches whichever of them accepts it. In prometheus-client's multiprocess mode, chosen
when the `PROMETHEUS_MULTIPROC_DIR` environment variable names a folder as the process
starts, every process writes its samples to files there and a scrape sums them, so any
worker answers for all of them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsbeam.pipelines.index_counts import IndexCounts

log = logging.getLogger("newsbeam.search")

#: The folder prometheus-client's multiprocess mode keeps its samples in (its own variable).
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: The `route` label of a request no route matched: raw paths would make a series per typo.
UNMATCHED_ROUTE = "unmatched"


class ServerMetrics:
    """The search server's metrics and their exposition.

    `counts` returns the index's `{"articles": N, "events": M}` and is called on the
    thread that serves the scrape.
    """

    def __init__(self, counts: Callable[[], Mapping[str, int]]) -> None:
        multiprocess_dir = os.environ.get(MULTIPROCESS_DIR_ENV)
        self.registry = CollectorRegistry()
        if multiprocess_dir:
            # Each process's samples live in the shared folder, not in a registry of its own.
            MultiProcessCollector(self.registry, path=multiprocess_dir)
        own = None if multiprocess_dir else self.registry
        self.requests = Counter(
            "newsbeam_http_requests", "HTTP requests answered, by route template and status.",
            ["route", "status"], registry=own,
        )
        self.latency = Histogram(
            "newsbeam_http_request_seconds", "Time from receiving a request to sending the last of its answer.",
            ["route"], registry=own,
        )
        self.registry.register(IndexCounts(counts))

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route=route, status=str(status)).inc()
        self.latency.labels(route=route).observe(seconds)

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """Every metric, and its content type, in the format the `Accept` header asks for.

        Prometheus's text format unless the scraper prefers OpenMetrics.
        """
        encode, content_type = choose_encoder(accept or "")
        return encode(self.registry), content_type


class RequestMetrics:
    """Count and time every HTTP request under the template of the route that answers it.

    Plain ASGI, for the reason `ContainFailures` is. Placed outside it, so a failure
    is counted with the 500 the client receives. The route is found as the router finds
    it, before the request reaches the router: FastAPI records its choice in the request
    only for its own API routes, and a mount rewrites the path it matched against.
    """

    def __init__(self, app: ASGIApp, metrics: ServerMetrics, router: Router) -> None:
        self.app = app
        self.metrics = metrics
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        route = route_template(self.router.routes, scope)
        status = 500  # what the server answers a request that failed before it started answering

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            self.metrics.observe(route, status, time.perf_counter() - started)


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The path template of the route the router hands this request to, or `UNMATCHED_ROUTE`.

    The first full match wins; failing that, the first partial one (a path whose route
    takes other methods: the router answers 405 from it).
    """
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route.path_format
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial.path_format if partial is not None else UNMATCHED_ROUTE
