"""`GET /metrics`: the index's counts and the server's requests, scraped from a running server."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from support import REFERENCE_QUERY

from newsbeam.connectors.sinks.select import BackendSettings, open_backend

DEMO_ARTICLES = Path(__file__).parents[2] / "samples" / "demo.jsonl"
START_SECONDS = 30

Serving = Callable[[BackendSettings], Any]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(base_url: str) -> Samples:
    """Every sample `/metrics` answers, by name and labels."""
    response = httpx.get(f"{base_url}/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sample(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def index_gauges(samples: Samples) -> dict[str, int]:
    return {kind: int(sample(samples, f"newsbeam_index_{kind}")) for kind in ("articles", "events")}


def index_counts(settings: BackendSettings) -> dict[str, int]:
    backend = open_backend(settings)
    try:
        return backend.counts()
    finally:
        backend.close()


def test_index_gauges_equal_the_index_counts(reference_settings: BackendSettings, serving: Serving) -> None:
    with serving(reference_settings) as server:
        assert index_gauges(scrape(server.url)) == index_counts(reference_settings) == {"articles": 3, "events": 1}
        openmetrics = httpx.get(f"{server.url}/metrics", headers={"Accept": "application/openmetrics-text"})
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert "newsbeam_index_articles 3.0" in openmetrics.text and openmetrics.text.endswith("# EOF\n")


def test_index_gauges_are_read_when_scraped(fresh_reference_settings: BackendSettings, serving: Serving) -> None:
    with serving(fresh_reference_settings) as server:
        before = index_gauges(scrape(server.url))
        # Another process writes to the index while the server has it open.
        ingest = [sys.executable, "-m", "newsbeam", "ingest", str(DEMO_ARTICLES),
                  "--data-dir", str(fresh_reference_settings.data_dir)]
        subprocess.run(ingest, check=True, capture_output=True, timeout=300)
        after = index_gauges(scrape(server.url))
    assert after == index_counts(fresh_reference_settings)
    assert after["articles"] > before["articles"] and after["events"] > before["events"]


def test_requests_are_counted_and_timed_per_route_template(reference_settings: BackendSettings,
                                                           serving: Serving) -> None:
    with serving(reference_settings) as server:
        before = scrape(server.url)
        hit = httpx.get(f"{server.url}/search", params={"q": REFERENCE_QUERY}).json()["hits"][0]
        assert httpx.get(f"{server.url}/events/{hit['event_id']}").status_code == 200
        assert httpx.get(f"{server.url}/events/no-such-event").status_code == 404
        assert httpx.get(f"{server.url}/search").status_code == 422
        assert httpx.get(f"{server.url}/no/such/page").status_code == 404
        assert httpx.get(f"{server.url}/static/app.css").status_code == 200
        assert httpx.post(f"{server.url}/health").status_code == 405
        after = scrape(server.url)
        text = httpx.get(f"{server.url}/metrics").text

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    requests = "newsbeam_http_requests_total"
    assert delta(requests, route="/search", status="200") == 1
    assert delta(requests, route="/search", status="422") == 1
    assert delta(requests, route="/events/{event_id}", status="200") == 1
    assert delta(requests, route="/events/{event_id}", status="404") == 1
    assert delta(requests, route="unmatched", status="404") == 1
    assert delta(requests, route="/static/{path}", status="200") == 1
    assert delta(requests, route="/health", status="405") == 1
    assert delta(requests, route="/metrics", status="200") == 1  # the first scrape, counted once it was answered
    assert hit["event_id"] not in text and "no-such-event" not in text and "/no/such/page" not in text

    assert delta("newsbeam_http_request_seconds_count", route="/search") == 2
    assert delta("newsbeam_http_request_seconds_bucket", route="/search", le="+Inf") == 2
    assert delta("newsbeam_http_request_seconds_sum", route="/search") > 0
    assert delta("newsbeam_http_request_seconds_count", route="/events/{event_id}") == 2


def test_a_failing_index_is_counted_as_500s_and_leaves_the_request_metrics_scrapable(
    fresh_reference_settings: BackendSettings, serving: Serving
) -> None:
    from newsbeam.connectors.sinks.sqlite import INDEX_FILE

    with sqlite3.connect(fresh_reference_settings.data_dir / INDEX_FILE) as db:  # as a bad disk would leave it
        db.executescript("DROP TABLE articles; CREATE TABLE articles (junk);")
    with serving(fresh_reference_settings) as server:
        assert httpx.get(f"{server.url}/search", params={"q": REFERENCE_QUERY}).status_code == 500
        samples = scrape(server.url)
    assert sample(samples, "newsbeam_http_requests_total", route="/search", status="500") == 1
    assert sample(samples, "newsbeam_http_request_seconds_count", route="/search") == 1
    assert not any(name.startswith("newsbeam_index_") for name, _ in samples), "no counts from an index that failed"


@contextmanager
def serve(settings: BackendSettings, port: int, workers: int, temp_dir: Path) -> Iterator[str]:
    """`newsbeam serve` in its own process, with its temporary files in `temp_dir`; yields its URL."""
    env = dict(os.environ, TMPDIR=str(temp_dir))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-m", "newsbeam", "serve", "--data-dir", str(settings.data_dir),
               "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert server.poll() is None, f"serve exited early:\n{server.stdout.read()}"
            try:
                httpx.get(f"{url}/health")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not answer in time"
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=START_SECONDS)


@pytest.mark.slow
def test_every_worker_answers_for_all_of_them(embedded_reference_settings: BackendSettings, unused_port: int,
                                              tmp_path: Path) -> None:
    searches = 16
    with serve(embedded_reference_settings, unused_port, workers=2, temp_dir=tmp_path) as url:
        assert len(list(tmp_path.glob("newsbeam-metrics-*"))) == 1
        # Concurrent clients, each on its own connection, so both workers take some of the searches.
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(lambda _: httpx.get(f"{url}/search", params={"q": REFERENCE_QUERY}).status_code,
                                     range(searches)))
        assert statuses == [200] * searches
        for scrapes_before in range(6):  # a scrape reaches whichever worker accepts it
            samples = scrape(url)
            assert sample(samples, "newsbeam_http_requests_total", route="/search", status="200") == searches
            assert sample(samples, "newsbeam_http_request_seconds_count", route="/search") == searches
            assert sample(samples, "newsbeam_http_requests_total", route="/metrics", status="200") == scrapes_before
            assert index_gauges(samples) == index_counts(embedded_reference_settings)
    assert list(tmp_path.glob("newsbeam-metrics-*")) == [], "the metrics folder outlived the server"
