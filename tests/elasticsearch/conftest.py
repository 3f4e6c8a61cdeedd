"""Per-test index prefixes and backends on the shared node (`tests/es_node.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from es_node import Node, fresh_prefix, load_node_script


@pytest.fixture
def index_prefix(es_url: str) -> Iterator[str]:
    with fresh_prefix(es_url) as prefix:
        yield prefix


@pytest.fixture
def second_index_prefix(es_url: str) -> Iterator[str]:
    """Another fresh prefix, for a test that compares two indices."""
    with fresh_prefix(es_url) as prefix:
        yield prefix


@pytest.fixture
def settings(es_url: str, index_prefix: str, tmp_path: Path):
    from newsbeam.connectors.sinks import BackendSettings

    return BackendSettings(data_dir=tmp_path, es_url=es_url, es_index_prefix=index_prefix)


@pytest.fixture
def backend(settings):
    from newsbeam.connectors.sinks.elasticsearch import ElasticsearchBackend

    store = ElasticsearchBackend.from_settings(settings)
    yield store
    store.client.close()


@pytest.fixture(scope="module")
def module_backend(es_url: str, tmp_path_factory):
    """One backend for a module's read-only tests, so their shared data is indexed once."""
    from newsbeam.connectors.sinks import BackendSettings
    from newsbeam.connectors.sinks.elasticsearch import ElasticsearchBackend

    with fresh_prefix(es_url) as prefix:
        settings = BackendSettings(data_dir=tmp_path_factory.mktemp("es"), es_url=es_url, es_index_prefix=prefix)
        store = ElasticsearchBackend.from_settings(settings)
        yield store
        store.client.close()


@pytest.fixture(scope="session")
def node_script() -> ModuleType:
    """deploy/elasticsearch/node.py as a module."""
    return load_node_script()


@pytest.fixture
def own_node(es_node: Node) -> Node:
    """The session's node, which these tests stop and restart: they need its data directory."""
    if es_node.data_dir is None:
        pytest.fail("the node at NEWSBEAM_TEST_ES_URL cannot be stopped and restarted without its data "
                    "directory: set NEWSBEAM_TEST_ES_DATA_DIR to it, or unset NEWSBEAM_TEST_ES_URL so the "
                    "tests start their own node")
    return es_node
