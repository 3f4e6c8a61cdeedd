"""Faults of the node itself: writes ride out a restart, or fail loudly once the budget is spent."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone

import pytest

from newsbeam.connectors.sinks import IndexedArticle
from newsbeam.connectors.sinks.elasticsearch import ClusterUnavailable, ElasticsearchBackend, RetryPolicy
from newsbeam.schemas import Article

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _articles(n: int) -> list[IndexedArticle]:
    at = datetime(2025, 6, 4, tzinfo=timezone.utc)
    return [IndexedArticle(Article(id=f"f{i}", url=f"https://x.example/{i}", title=f"T {i}", text=f"body {i}", published=at), "ev-f") for i in range(n)]


def test_writes_retry_through_a_node_restart(own_node, settings, caplog):
    patient = ElasticsearchBackend.from_settings(settings, retry=RetryPolicy(budget_seconds=300))
    hasty = ElasticsearchBackend.from_settings(settings, retry=RetryPolicy(budget_seconds=3))
    docs = _articles(300)
    own_node.stop()
    try:
        started = time.monotonic()
        with pytest.raises(ClusterUnavailable, match="still failing"):
            hasty.write_articles(docs[:10])
        assert time.monotonic() - started < 30

        outcome: dict[str, object] = {}

        def write() -> None:
            try:
                outcome["dead"] = patient.write_articles(docs)
            except BaseException as exc:  # surfaced by the asserts below
                outcome["error"] = exc

        caplog.set_level(logging.WARNING, logger="newsbeam.connectors.sinks.elasticsearch.retry")
        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(3)
        assert writer.is_alive(), "the write should be waiting for the node"
    finally:
        own_node.start()
    writer.join(timeout=300)
    assert not writer.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["dead"] == []
    assert any("retry" in r.getMessage() for r in caplog.records)
    assert patient.counts()["articles"] == 300
    patient.close()
    hasty.client.close()
