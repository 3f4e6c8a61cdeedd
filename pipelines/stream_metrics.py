"""Prometheus metrics of a streaming job, taken from the runner's own metrics of the job.

The DoFns count with Beam's metrics (counters, and gauges for what has a current
value): the runner gathers them from every worker, wherever the workers run, and
the launching process asks the runner for them. `JobMetrics` is a Prometheus
collector that asks at each scrape and translates, so `/metrics` on `newsbeam run`
shows the job's totals whether the SDK workers run in this process (Prism and Flink
in LOOPBACK mode), in other processes, or on Dataflow's machines. A registry of the
DoFns' own would see only the workers of this process.

Beam has no histogram a runner reports, so the publish-to-index latency is counted
into one counter per bucket (`observe_publish_latency`) and assembled into a
Prometheus histogram here.

Every name the exposition can hold is in `METRIC_NAMES` (docs/runners.md lists them).
"""

from __future__ import annotations

import logging
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from wsgiref.simple_server import WSGIServer

from apache_beam.metrics import Metrics
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from newsbeam.pipelines.feed_health import FeedHealth
from newsbeam.pipelines.transforms import NAMESPACE, counter

log = logging.getLogger(__name__)

#: Upper bounds (seconds) of the publish-to-index latency buckets: seconds for a live feed,
#: up to a day for a site that dates its items long before it lists them.
LATENCY_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 3 * 3600.0, 6 * 3600.0,
                   12 * 3600.0, 86400.0, math.inf)
_LATENCY = "publish_to_index"
#: Beam gauge names of per-feed and per-key values: PREFIX + "/" + the feed URL or key.
FEED_ERROR_STREAK = "feed_error_streak"
FEED_LAST_SUCCESS = "feed_last_success"
FEED_LAST_FETCH = "feed_last_fetch"
HOT_ARTICLES = "hot_articles"
#: Counters shown under a name of their own (the rest only in `newsbeam_job_counter_total`).
_NAMED_COUNTERS = {
    "fetched": ("newsbeam_records_read", "Records read from the sources (items whose pages were fetched)."),
    "articles_indexed": ("newsbeam_articles_indexed", "Articles written to the index."),
    "events_indexed": ("newsbeam_events_written", "Event documents written to the index (new and updated)."),
    "index_write_errors": ("newsbeam_index_write_errors",
                           "Articles or events the index refused (each also a dead letter)."),
}
_DUPLICATE_KINDS = {"duplicates_url": "url", "duplicates_exact": "exact", "duplicates_near": "near"}
_REJECTED = "rejected_"

#: Every metric name `/metrics` on `newsbeam run` can show (histogram and counter suffixes aside).
METRIC_NAMES = (
    *(name for name, _ in _NAMED_COUNTERS.values()),
    "newsbeam_duplicates", "newsbeam_dead_letters", "newsbeam_publish_to_index_seconds",
    "newsbeam_feed_error_streak", "newsbeam_feed_last_success_timestamp_seconds",
    "newsbeam_feed_last_fetch_timestamp_seconds", "newsbeam_hot_state_articles", "newsbeam_job_counter",
    "newsbeam_job_up", "newsbeam_index_articles", "newsbeam_index_events",
)


# --- counted in the DoFns ----------------------------------------------------------------

def report_feed_health(url: str, health: FeedHealth) -> None:
    """Publish one source's health as gauges (call from a DoFn method; a pool thread has no step)."""
    Metrics.gauge(NAMESPACE, f"{FEED_ERROR_STREAK}/{url}").set(health.consecutive_errors)
    if health.last_success is not None:
        Metrics.gauge(NAMESPACE, f"{FEED_LAST_SUCCESS}/{url}").set(int(health.last_success))
    if health.last_fetch is not None:
        Metrics.gauge(NAMESPACE, f"{FEED_LAST_FETCH}/{url}").set(int(health.last_fetch))


def report_hot_state(key: str, articles: int) -> None:
    Metrics.gauge(NAMESPACE, f"{HOT_ARTICLES}/{key}").set(articles)


def observe_publish_latency(seconds: Iterable[float]) -> None:
    """Count each article's seconds from publication to index into its bucket."""
    buckets: dict[int, int] = defaultdict(int)
    total_ms = count = 0
    for value in seconds:
        value = max(value, 0.0)
        buckets[next(i for i, bound in enumerate(LATENCY_BUCKETS) if value <= bound)] += 1
        total_ms += round(value * 1000)
        count += 1
    for index, n in buckets.items():
        counter(f"{_LATENCY}_bucket_{index}").inc(n)
    if count:
        counter(f"{_LATENCY}_count").inc(count)
        counter(f"{_LATENCY}_ms_sum").inc(total_ms)


# --- shown by the launching process ------------------------------------------------------

class JobMetrics(Collector):
    """The running job's Beam metrics as Prometheus metrics, asked of the runner at each scrape.

    `query` returns Beam's `MetricResults.query()` answer, or None before the job
    starts; a runner that does not answer leaves the job's metrics out of the scrape
    (`newsbeam_job_up` 0) rather than failing it.
    """

    def __init__(self, query: Callable[[], Mapping[str, list] | None]) -> None:
        self._query = query

    def collect(self) -> Iterator[Metric]:
        try:
            answer = self._query()
        except Exception:
            log.exception("metrics: the runner did not answer with the job's metrics")
            answer = None
        yield GaugeMetricFamily("newsbeam_job_up", "1 while the runner answers with the job's metrics.",
                                value=0 if answer is None else 1)
        if answer is None:
            return
        yield from _counter_families(job_counters(answer))
        yield from _gauge_families(_ours(answer.get("gauges", ()), lambda result: result.value))


def job_counters(answer: Mapping[str, list]) -> dict[str, int]:
    """Name → total of the job's own counters (namespace `newsbeam`) in a `MetricResults.query()` answer."""
    return _ours(answer.get("counters", ()), lambda value: value)


def _ours(items: Iterable, value: Callable) -> dict[str, Any]:
    """Name → value of the job's own metrics, summed over the steps that report one.

    `committed` where the runner reports it (Prism does, as each bundle finishes), else `attempted`:
    Prism's `attempted` is the value of the last progress report that carried a metric, not a total.
    Prism's committed totals can miss the first counts of a counter (docs/runners.md), a floor.
    """
    totals: dict[str, Any] = defaultdict(int)
    for item in items:
        if item.key.metric.namespace == NAMESPACE:
            result = item.committed if item.committed is not None else item.attempted
            if result is not None:
                totals[item.key.metric.name] += value(result) or 0
    return dict(totals)


def _counter_families(counts: Mapping[str, float]) -> Iterator[Metric]:
    for beam_name, (name, help_text) in _NAMED_COUNTERS.items():
        yield CounterMetricFamily(name, help_text, value=counts.get(beam_name, 0))
    duplicates = CounterMetricFamily("newsbeam_duplicates", "Articles dropped as duplicates, by how they were found.",
                                     labels=["kind"])
    for beam_name, kind in _DUPLICATE_KINDS.items():
        duplicates.add_metric([kind], counts.get(beam_name, 0))
    yield duplicates
    dead = CounterMetricFamily("newsbeam_dead_letters", "Records sent to the dead letters, by reason.",
                               labels=["reason"])
    for name, value in sorted(counts.items()):
        if name.startswith(_REJECTED):
            dead.add_metric([name.removeprefix(_REJECTED)], value)
    yield dead
    cumulative, buckets = 0.0, []
    for index, bound in enumerate(LATENCY_BUCKETS):
        cumulative += counts.get(f"{_LATENCY}_bucket_{index}", 0)
        buckets.append((floatToGoString(bound), cumulative))
    yield HistogramMetricFamily("newsbeam_publish_to_index_seconds",
                                "Seconds from an article's publication date to its write to the index.",
                                buckets=buckets, sum_value=counts.get(f"{_LATENCY}_ms_sum", 0) / 1000)
    every = CounterMetricFamily("newsbeam_job_counter", "Every counter of the job, by its Beam name.",
                                labels=["name"])
    for name, value in sorted(counts.items()):
        if not name.startswith(_LATENCY):
            every.add_metric([name], value)
    yield every


def _gauge_families(gauges: Mapping[str, float]) -> Iterator[Metric]:
    families = {
        FEED_ERROR_STREAK: GaugeMetricFamily("newsbeam_feed_error_streak",
                                             "Polls of the feed that failed in a row (0: its last poll read it).",
                                             labels=["feed"]),
        FEED_LAST_SUCCESS: GaugeMetricFamily("newsbeam_feed_last_success_timestamp_seconds",
                                             "When a poll last read the feed (Unix time).", labels=["feed"]),
        FEED_LAST_FETCH: GaugeMetricFamily("newsbeam_feed_last_fetch_timestamp_seconds",
                                           "When the feed was last polled (Unix time).", labels=["feed"]),
        HOT_ARTICLES: GaugeMetricFamily("newsbeam_hot_state_articles",
                                        "Articles in the hot window of an assignment key, in the worker that "
                                        "decided under it last.", labels=["key"]),
    }
    for name, value in sorted(gauges.items()):
        prefix, _, label = name.partition("/")
        if prefix in families and label:
            families[prefix].add_metric([label], value)
    yield from families.values()


class MetricsEndpointError(RuntimeError):
    """The metrics endpoint could not listen where it was asked to (a port in use, an unknown address)."""


def serve_metrics(port: int, host: str, collectors: Iterable[Collector]) -> tuple[WSGIServer, threading.Thread]:
    """Serve `/metrics` for `collectors` on host:port from a daemon thread; shut the server down to stop.

    Started before the job, so a port in use stops the command before any engine starts.
    """
    registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)
    try:
        return start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        raise MetricsEndpointError(f"cannot serve metrics on {host}:{port}: {error.strerror or error}") from None
