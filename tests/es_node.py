"""The real Elasticsearch node every integration test shares (fixtures `es_node`, `es_url`).

`NEWSBEAM_TEST_ES_URL` points the tests at a node that is already running (CI starts one
with deploy/elasticsearch/node.py); if `NEWSBEAM_TEST_ES_DATA_DIR` names that node's data
directory too, the tests that stop and restart the node can do so. Without a URL the
session starts its own node on a free port and stops it at the end.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE_SCRIPT = ROOT / "deploy" / "elasticsearch" / "node.py"


def load_node_script() -> ModuleType:
    """deploy/ is not a package (it is not shipped), so load the script by path, once."""
    name = "newsbeam_deploy_es_node"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, NODE_SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the script loads
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Node:
    """The node under test; `data_dir` is None when it is not ours to stop."""

    url: str
    data_dir: Path | None
    port: int | None

    def stop(self) -> None:
        assert self.data_dir is not None
        load_node_script().stop(self.data_dir)

    def start(self) -> None:
        assert self.data_dir is not None and self.port is not None
        load_node_script().start(self.data_dir, port=self.port)


@pytest.fixture(scope="session")
def es_node() -> Iterator[Node]:
    if url := os.environ.get("NEWSBEAM_TEST_ES_URL"):
        data_dir = os.environ.get("NEWSBEAM_TEST_ES_DATA_DIR")
        port = int(url.rsplit(":", 1)[1].strip("/")) if data_dir else None
        yield Node(url.rstrip("/"), Path(data_dir) if data_dir else None, port)
        return
    node_script = load_node_script()
    # Not pytest's tmp_path: that sits in a root-only folder the node's own user cannot enter.
    data_dir = Path(tempfile.mkdtemp(prefix="newsbeam-test-es-"))
    port = _free_port()
    try:
        info = node_script.start(data_dir, port=port)
    except node_script.NodeError as exc:
        shutil.rmtree(data_dir, ignore_errors=True)
        pytest.fail(f"could not start the test Elasticsearch node: {exc}")
    try:
        yield Node(info.url, data_dir, port)
    finally:
        node_script.stop(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def es_url(es_node: Node) -> str:
    return es_node.url


@contextmanager
def fresh_prefix(es_url: str) -> Iterator[str]:
    """An index prefix no other test uses; its indices and templates are deleted afterwards."""
    from elasticsearch import Elasticsearch

    prefix = f"test-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = Elasticsearch(es_url, request_timeout=30)
    try:
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)
        for kind in ("articles", "events", "state"):
            client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-{kind}")
    finally:
        client.close()
