"""Helpers tests import by name (`from support import …`); fixtures live in conftest.py."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: The reference event (tests/fixtures/README.md): three outlets' articles on one invented
#: happening, as input records and as a folder of `.txt` files.
REFERENCE_EVENT = FIXTURES / "reference_event.jsonl"
REFERENCE_FOLDER = FIXTURES / "reference_event"
REFERENCE_IDS = {"ref-a", "ref-b", "ref-c"}
REFERENCE_FOLDER_IDS = {"reference_event/a", "reference_event/b", "reference_event/c"}
#: Words a reader would type to find the reference event.
REFERENCE_QUERY = "Skarvik tunnel rockslide"

#: The UCI News Aggregator development slice (CC BY 4.0, see tests/fixtures/README.md):
#: 2,768 headlines in 43 labelled stories.
UCI_DEV = FIXTURES / "uci_dev.jsonl"
UCI_DEV_LABELS = FIXTURES / "uci_dev.labels.jsonl"


def ingest(source: Path, settings) -> None:
    """Build an index exactly as a user would: `newsbeam ingest SOURCE --data-dir DIR [--es-url URL]`
    (`settings`: the `BackendSettings` of the index)."""
    from click.testing import CliRunner

    from newsbeam.cli.main import main as newsbeam_cli

    args = ["ingest", str(source), "--data-dir", str(settings.data_dir)]
    if settings.es_url:
        args += ["--es-url", settings.es_url]
    env = {"NEWSBEAM_ES_INDEX_PREFIX": settings.es_index_prefix}
    result = CliRunner().invoke(newsbeam_cli, args, env=env)
    assert result.exit_code == 0, f"newsbeam ingest failed:\n{result.output}\n{result.exception!r}"


@contextlib.contextmanager
def ingested(source: Path, data_dir: Path, es_url: str | None = None) -> Iterator:
    """The backend `newsbeam ingest SOURCE` built, on the embedded index in `data_dir` or, with
    `es_url`, on Elasticsearch under an index prefix of its own, which is deleted afterwards."""
    from newsbeam.connectors.sinks.select import BackendSettings, open_backend

    settings = BackendSettings(data_dir=data_dir, es_url=es_url, es_index_prefix=f"test-{uuid.uuid4().hex[:8]}")
    ingest(source, settings)
    backend = open_backend(settings)
    try:
        yield backend
    finally:
        backend.close()
        if es_url:
            from elasticsearch import Elasticsearch

            with Elasticsearch(es_url, request_timeout=30) as client:
                client.indices.delete(index=f"{settings.es_index_prefix}-*", ignore_unavailable=True,
                                      allow_no_indices=True)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def story_article(start, article_id: str, hours: float, source: str, title: str, text: str):
    """An invented English article of outlet `source`, published `hours` after `start`."""
    from datetime import timedelta

    from newsbeam.pipelines.normalize.text import content_hash
    from newsbeam.schemas import Article

    return Article(id=article_id, url=f"https://{source.lower().replace(' ', '')}.example/{article_id}", title=title,
                   text=text, published=start + timedelta(hours=hours), language="en", source=source,
                   content_hash=content_hash(text))


def events_through_core(articles: list, cluster) -> dict[str, str]:
    """Article id → event id at the end, for `articles` assigned in publication order under
    `ClusterConfig` `cluster` through the core every path shares."""
    from newsbeam.pipelines.assign import AssignConfig
    from newsbeam.pipelines.core import AssignmentCore
    from newsbeam.pipelines.features import featurize

    core = AssignmentCore(AssignConfig(cluster=cluster))
    decided = {a.id: core.offer("en", a, featurize(a)).event_id for a in sorted(articles, key=lambda a: a.sort_key)}
    core.drain_events()
    return {article_id: core.resolve(core.assigner("en").resolve(event_id)) for article_id, event_id in decided.items()}
