"""`newsbeam ingest` and `newsbeam search` with `--es-url`, against the real node."""

from __future__ import annotations

import json
import threading
import time

import pytest
from elasticsearch import Elasticsearch
from support import REFERENCE_EVENT, REFERENCE_IDS, REFERENCE_QUERY, UCI_DEV

from newsbeam.connectors.sinks import BackendSettings
from newsbeam.connectors.sinks.elasticsearch import ElasticsearchBackend

pytestmark = pytest.mark.integration


@pytest.fixture
def es_cli(newsbeam, es_url, index_prefix, monkeypatch, tmp_path):
    """`newsbeam …` against the test node, in this test's own indices."""
    monkeypatch.setenv("NEWSBEAM_ES_INDEX_PREFIX", index_prefix)
    data_dir = str(tmp_path / "data")

    def run(*args: str, expect_exit: int = 0):
        return newsbeam(*args, "--data-dir", data_dir, "--es-url", es_url, expect_exit=expect_exit)

    return run


@pytest.fixture
def reader(es_url, index_prefix, tmp_path):
    backend = ElasticsearchBackend.from_settings(BackendSettings(data_dir=tmp_path, es_url=es_url, es_index_prefix=index_prefix))
    yield backend
    backend.client.close()


def _event_docs(backend: ElasticsearchBackend) -> dict[str, dict]:
    backend.refresh()
    response = backend.client.search(index=backend.names.events, size=1000, query={"match_all": {}})
    return {hit["_id"]: hit["_source"] for hit in response["hits"]["hits"]}


def test_reference_event_is_one_event_found_first(es_cli, reader):
    es_cli("ingest", str(REFERENCE_EVENT))
    events = _event_docs(reader)
    assert len(events) == 1
    (event,) = events.values()
    assert set(event["article_ids"]) == REFERENCE_IDS and event["article_count"] == 3
    for article_id in REFERENCE_IDS:
        assert reader.get_article(article_id)["event_id"] == event["event_id"]

    hits = json.loads(es_cli("search", REFERENCE_QUERY, "--json").stdout)
    assert hits[0]["event_id"] == event["event_id"]
    assert set(hits[0]["article_ids"]) == REFERENCE_IDS
    assert "<mark>" in hits[0]["snippet"]


def test_reingesting_changes_no_count_and_no_event(es_cli, reader):
    es_cli("ingest", str(REFERENCE_EVENT))
    counts, events = reader.counts(), _event_docs(reader)
    es_cli("ingest", str(REFERENCE_EVENT))
    assert reader.counts() == counts == {"articles": 3, "events": 1}
    assert _event_docs(reader) == events


@pytest.mark.slow
def test_node_stopped_mid_ingest_then_rerun_indexes_each_article_once(es_cli, reader, own_node, es_url, index_prefix, monkeypatch):
    """The run retries while the node is away; a re-run afterwards changes nothing."""
    source = UCI_DEV
    expected = {json.loads(line)["id"] for line in source.read_text(encoding="utf-8").splitlines() if line.strip()}
    monkeypatch.setenv("NEWSBEAM_ES_RETRY_SECONDS", "300")
    client = Elasticsearch(es_url, request_timeout=5)
    outcome: dict[str, object] = {}

    def ingest() -> None:
        try:
            outcome["output"] = es_cli("ingest", str(source)).output
        except BaseException as exc:  # surfaced by the asserts below
            outcome["error"] = exc

    run = threading.Thread(target=ingest)
    run.start()
    stopped = False
    try:
        deadline = time.monotonic() + 300
        while run.is_alive() and time.monotonic() < deadline:
            # Stop as soon as the first articles are in, so the rest must wait for the node.
            if client.options(ignore_status=404).count(index=f"{index_prefix}-articles").get("count", 0) > 0:
                own_node.stop()
                stopped = True
                break
            time.sleep(0.2)
        assert stopped, "the ingest finished before any article was visible; the test could not stop it midway"
        time.sleep(5)
        assert run.is_alive(), "the ingest should be waiting for the node"
    finally:
        if stopped:
            own_node.start()
        client.close()
    run.join(timeout=600)
    assert "error" not in outcome, outcome.get("error")

    reader.refresh()
    assert reader.counts()["articles"] == len(expected)
    assert reader.known_article_ids(expected) == expected
    events = _event_docs(reader)
    members = [a for e in events.values() for a in e["article_ids"]]
    assert len(members) == len(set(members)) == len(expected)

    es_cli("ingest", str(source))
    assert reader.counts() == {"articles": len(expected), "events": len(events)}


@pytest.mark.parametrize("command", [["search", "ferry"], ["status"], ["serve", "--port", "1"]])
def test_a_reading_command_refuses_a_prefix_without_an_index_and_creates_none(es_cli, es_url, index_prefix, command):
    result = es_cli(*command, expect_exit=1)
    assert f"no newsbeam index at {es_url} with prefix {index_prefix!r}" in result.output
    assert f"newsbeam ingest FILE --es-url {es_url}" in result.output
    client = Elasticsearch(es_url, request_timeout=30)
    try:
        assert not client.indices.get(index=f"{index_prefix}-*", allow_no_indices=True).body
        assert not client.options(ignore_status=404).indices.get_index_template(name=f"{index_prefix}-*").body.get(
            "index_templates")
    finally:
        client.close()


def test_the_missing_english_analyzer_is_told_at_index_creation_and_in_status_not_on_each_search(es_cli, es_url):
    from newsbeam.connectors.sinks.elasticsearch.indices import has_english_analyzer

    client = Elasticsearch(es_url, request_timeout=30)
    try:
        if has_english_analyzer(client):
            pytest.skip("the node has the 'english' analyzer (analysis-common): nothing to tell")
    finally:
        client.close()
    created = es_cli("ingest", str(REFERENCE_EVENT)).output
    assert created.count("'english' analyzer") == 1, created
    for _ in range(2):
        searched = es_cli("search", REFERENCE_QUERY).output
        assert "english" not in searched.lower(), searched
    status = es_cli("status").output
    assert "title analyzer" in status and "the cluster has no 'english' analyzer" in status, status


def _cluster_state(client: Elasticsearch, prefix: str) -> dict:
    """What a writer's open would change: the indices (with their mappings), aliases and templates of `prefix`."""
    templates = client.options(ignore_status=404).indices.get_index_template(name=f"{prefix}-*").body
    return {
        "indices": {name: body["mappings"] for name, body in client.indices.get_mapping(index=f"{prefix}-*").body.items()},
        "aliases": client.indices.get_alias(index=f"{prefix}-*").body,
        "templates": sorted(json.dumps(t, sort_keys=True) for t in templates.get("index_templates", [])),
    }


def _read_everywhere(es_cli, es_url: str, index_prefix: str, tmp_path) -> None:
    """`search`, `status` and a request to the app `serve` runs, each answered from the index."""
    from fastapi.testclient import TestClient

    from newsbeam.search.app import app_for_settings

    assert "1 event(s) match" in es_cli("search", REFERENCE_QUERY).output
    assert "articles" in es_cli("status").output
    settings = BackendSettings(data_dir=tmp_path, es_url=es_url, es_index_prefix=index_prefix)
    with TestClient(app_for_settings(settings)) as client:
        response = client.get("/search", params={"q": REFERENCE_QUERY})
    assert response.status_code == 200 and response.json()["total"] == 1, response.text


def test_reading_commands_put_no_template_and_create_nothing(es_cli, es_url, index_prefix, tmp_path):
    es_cli("ingest", str(REFERENCE_EVENT))
    client = Elasticsearch(es_url, request_timeout=30)
    try:
        # Without its templates the cluster shows any template PUT a reader makes.
        for kind in ("articles", "events", "state"):
            client.indices.delete_index_template(name=f"{index_prefix}-{kind}")
        before = _cluster_state(client, index_prefix)
        _read_everywhere(es_cli, es_url, index_prefix, tmp_path)
        assert _cluster_state(client, index_prefix) == before
        assert not before["templates"]
    finally:
        client.close()


@pytest.mark.parametrize("command", [["search", REFERENCE_QUERY], ["status"], ["serve", "--port", "1"]])
def test_a_reading_command_refuses_an_index_of_another_mapping_and_migrates_nothing(
        es_cli, es_url, index_prefix, tmp_path, command):
    es_cli("ingest", str(REFERENCE_EVENT))
    client = Elasticsearch(es_url, request_timeout=30)
    alias = f"{index_prefix}-articles"
    try:
        # The articles alias on an index another newsbeam version would have made.
        (current,) = client.indices.get_alias(name=alias).body
        other = f"{alias}-v0000000000"
        client.indices.create(index=other, mappings=client.indices.get_mapping(index=current)[current]["mappings"])
        client.indices.update_aliases(actions=[{"remove": {"index": current, "alias": alias}},
                                               {"add": {"index": other, "alias": alias, "is_write_index": True}}])
        before = _cluster_state(client, index_prefix)
        output = es_cli(*command, expect_exit=1).output
        assert f"{alias} points at {other}, not at {current}" in output and "newsbeam ingest FILE" in output, output
        assert len(output.strip().splitlines()) == 1, output
        assert _cluster_state(client, index_prefix) == before
        # The fix the line names: a writer's open migrates the index, and reading works again.
        empty = tmp_path / "empty.jsonl"
        empty.write_text("")
        es_cli("ingest", str(empty))
        assert client.indices.get_alias(name=alias).body.keys() == {current}
    finally:
        client.close()
