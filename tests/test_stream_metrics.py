"""The job's Beam metrics, as the runner answers for them, become the documented Prometheus metrics."""

from __future__ import annotations

from pathlib import Path

from apache_beam.metrics.cells import GaugeData, GaugeResult
from apache_beam.metrics.execution import MetricKey, MetricResult
from apache_beam.metrics.metricbase import MetricName
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from newsbeam.pipelines.stream_metrics import LATENCY_BUCKETS, METRIC_NAMES, JobMetrics

DOCS = Path(__file__).parents[1] / "docs" / "runners.md"


def _counter(name: str, value: int, step: str = "Assign", namespace: str = "newsbeam") -> MetricResult:
    return MetricResult(MetricKey(step, MetricName(namespace, name)), value, None)


def _gauge(name: str, value: int) -> MetricResult:
    return MetricResult(MetricKey("Poll", MetricName("newsbeam", name)), GaugeResult(GaugeData(value, 0)), None)


def _scrape(answer) -> dict[tuple[str, tuple], float]:
    registry = CollectorRegistry()
    registry.register(JobMetrics(lambda: answer))
    text = generate_latest(registry).decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_counters_gauges_and_latency_buckets_become_prometheus_metrics():
    one_minute = LATENCY_BUCKETS.index(60.0)
    answer = {
        "counters": [
            _counter("fetched", 7, "Poll"), _counter("articles_indexed", 3), _counter("articles_indexed", 2, "Assign2"),
            _counter("duplicates_near", 2), _counter("rejected_http_404", 4, "Poll"),
            _counter("rejected_http_404", 1, "Normalize"), _counter("rejected_too_short", 1, "Normalize"),
            _counter("publish_to_index_bucket_0", 1), _counter(f"publish_to_index_bucket_{one_minute}", 4),
            _counter("publish_to_index_count", 5), _counter("publish_to_index_ms_sum", 150_500),
            _counter("element_count", 99, namespace="beam"),  # the runner's own: not ours
        ],
        "gauges": [_gauge("feed_error_streak/https://a.example/rss?x=1", 3), _gauge("feed_error_streak/https://b.example/", 0),
                   _gauge("hot_articles/en", 120)],
    }
    metrics = _scrape(answer)
    assert metrics[("newsbeam_job_up", ())] == 1
    assert metrics[("newsbeam_records_read_total", ())] == 7
    assert metrics[("newsbeam_articles_indexed_total", ())] == 5, "summed over the steps that count it"
    assert metrics[("newsbeam_duplicates_total", (("kind", "near"),))] == 2
    assert metrics[("newsbeam_duplicates_total", (("kind", "url"),))] == 0
    assert metrics[("newsbeam_dead_letters_total", (("reason", "http_404"),))] == 5
    assert metrics[("newsbeam_dead_letters_total", (("reason", "too_short"),))] == 1
    assert metrics[("newsbeam_feed_error_streak", (("feed", "https://a.example/rss?x=1"),))] == 3
    assert metrics[("newsbeam_hot_state_articles", (("key", "en"),))] == 120
    # Buckets are cumulative, as Prometheus expects.
    assert metrics[("newsbeam_publish_to_index_seconds_bucket", (("le", "1.0"),))] == 1
    assert metrics[("newsbeam_publish_to_index_seconds_bucket", (("le", "30.0"),))] == 1
    assert metrics[("newsbeam_publish_to_index_seconds_bucket", (("le", "60.0"),))] == 5
    assert metrics[("newsbeam_publish_to_index_seconds_bucket", (("le", "+Inf"),))] == 5
    assert metrics[("newsbeam_publish_to_index_seconds_count", ())] == 5
    assert metrics[("newsbeam_publish_to_index_seconds_sum", ())] == 150.5
    assert metrics[("newsbeam_job_counter_total", (("name", "fetched"),))] == 7
    assert not any(labels == (("name", "element_count"),) for _, labels in metrics)
    families = {name.removesuffix("_total").removesuffix("_bucket").removesuffix("_count").removesuffix("_sum")
                for name, _ in metrics}
    assert families <= set(METRIC_NAMES)


def test_a_job_not_started_or_not_answering_is_down_and_the_scrape_still_works():
    assert _scrape(None) == {("newsbeam_job_up", ()): 0}

    def failing():
        raise ConnectionError("job service gone")

    registry = CollectorRegistry()
    registry.register(JobMetrics(failing))
    assert b"newsbeam_job_up 0.0" in generate_latest(registry)


def test_the_docs_list_every_metric():
    docs = DOCS.read_text(encoding="utf-8")
    for name in METRIC_NAMES:
        assert f"`{name}" in docs, name
