"""deploy/elasticsearch/node.py: a running node is found, a second start is a no-op."""

from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = pytest.mark.integration


def test_start_when_running_returns_the_running_node(own_node, node_script, capsys):
    before = node_script.status(own_node.data_dir)
    assert before is not None and before.url == own_node.url
    again = node_script.start(own_node.data_dir, port=own_node.port)
    assert again.pid == before.pid
    assert "already running" in capsys.readouterr().err


def test_node_is_local_single_node_without_security(es_url):
    with urllib.request.urlopen(f"{es_url}/_nodes/_local/settings", timeout=10) as response:
        nodes = json.loads(response.read())["nodes"]
    (node,) = nodes.values()
    assert node["settings"]["discovery"]["type"] == "single-node"
    assert node["settings"]["xpack"]["security"]["enabled"] == "false"
    assert node["settings"]["network"]["host"] == "127.0.0.1"


def test_status_of_a_folder_with_no_node(node_script, tmp_path):
    assert node_script.status(tmp_path) is None
    assert node_script.stop(tmp_path) is False
    assert node_script.main(["status", "--data-dir", str(tmp_path)]) == 3


def test_java_found_is_supported(node_script):
    java = node_script.find_java()
    assert node_script._java_major(java) in node_script.SUPPORTED_JAVA
