"""The Beam pipeline and the in-process path give one answer; re-runs change nothing."""

from __future__ import annotations

import json
from dataclasses import replace

from support import REFERENCE_EVENT, REFERENCE_IDS, REFERENCE_QUERY, UCI_DEV, read_jsonl

from newsbeam.connectors.files import read_path
from newsbeam.connectors.sinks import BackendSettings, SearchQuery, open_backend
from newsbeam.pipelines import batch
from newsbeam.pipelines.local import assign_locally
from newsbeam.schemas.validation import validate_output


def _subset(tmp_path, n=400):
    """The first `n` headlines of the UCI slice, in a file of their own."""
    lines = UCI_DEV.read_text(encoding="utf-8").splitlines()[:n]
    path = tmp_path / "subset.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_beam_pipeline_and_local_core_agree(tmp_path):
    source = _subset(tmp_path)
    out = tmp_path / "beam.jsonl"
    batch.cluster([str(source)], read_path, out, tmp_path / "dead.jsonl")
    beam_rows = {row["id"]: (row["event_id"], row["duplicate_of"]) for row in read_jsonl(out)}
    local = assign_locally(read_path(source))
    local_rows = {a.id: (d.event_id, d.duplicate_of) for a, d in local.decisions}
    assert len(local_rows) == 400
    assert beam_rows == local_rows


def test_ingest_featurizing_in_workers_indexes_the_events_cluster_finds(tmp_path):
    """The whole UCI slice: long enough for the ordered step to featurize in worker processes."""
    data_dir = tmp_path / "data"
    settings = BackendSettings(data_dir=data_dir)
    batch.ingest([str(UCI_DEV)], read_path, settings, tmp_path / "dead.jsonl", workers=2)
    local = assign_locally(read_path(UCI_DEV), workers=1)
    events: dict[str, set[str]] = {}
    for article, decision in local.decisions:
        events.setdefault(decision.event_id, set()).add(article.id)
    assert len(local.decisions) > 2_000 and len(events) > 40
    backend = open_backend(settings)
    try:
        assert backend.counts() == {"articles": len(local.decisions), "events": len(events)}
        originals = {a.id: d.duplicate_of for a, d in local.decisions}
        for event_id, members in events.items():
            # Read from the articles, as stored: each names its event under the id that survived merges.
            stored = backend.articles_of_event(event_id)
            assert {doc["id"] for doc in stored} == members == set(backend.get_event(event_id).article_ids)
            assert all(doc["duplicate_of"] == originals[doc["id"]] for doc in stored)
    finally:
        backend.close()


def test_reingest_changes_nothing_and_documents_match_schemas(newsbeam, tmp_path):
    source = _subset(tmp_path, 200)
    data_dir = tmp_path / "data"
    newsbeam("ingest", str(source), "--data-dir", str(data_dir))
    backend = open_backend(BackendSettings(data_dir=data_dir))
    first = backend.counts()
    events_before = {hit["event_id"]: hit for hit in json.loads(
        newsbeam("search", "fed", "--data-dir", str(data_dir), "--json", "--size", "100").output)}
    result = newsbeam("ingest", str(source), "--data-dir", str(data_dir))
    assert "already indexed  200" in result.output and "articles indexed 0" in result.output
    assert backend.counts() == first == {"articles": 200, "events": first["events"]}
    events_after = {hit["event_id"]: hit for hit in json.loads(
        newsbeam("search", "fed", "--data-dir", str(data_dir), "--json", "--size", "100").output)}
    assert events_after == events_before
    for event_id in list(events_after)[:20]:
        validate_output("event", backend.get_event(event_id).to_json())
        for doc in backend.articles_of_event(event_id):
            doc = {k: v for k, v in doc.items() if k not in ("event_id", "duplicate_of")}
            validate_output("article", doc)
    backend.close()


def test_a_second_batch_continues_the_first_runs_events(newsbeam, tmp_path):
    data_dir = tmp_path / "data"
    lines = REFERENCE_EVENT.read_text(encoding="utf-8").splitlines()
    (tmp_path / "first.jsonl").write_text(lines[0] + "\n", encoding="utf-8")
    (tmp_path / "rest.jsonl").write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    newsbeam("ingest", str(tmp_path / "first.jsonl"), "--data-dir", str(data_dir))
    result = newsbeam("ingest", str(tmp_path / "rest.jsonl"), "--data-dir", str(data_dir))
    assert "0 new, 1 updated" in result.output
    hits = json.loads(newsbeam("search", REFERENCE_QUERY, "--data-dir", str(data_dir), "--json").output)
    assert set(hits[0]["article_ids"]) == REFERENCE_IDS


def test_rewriting_articles_keeps_one_full_text_row_each(tmp_path):
    from newsbeam.connectors.sinks import IndexedArticle
    from newsbeam.pipelines.normalize import normalize_record

    backend = open_backend(BackendSettings(data_dir=tmp_path))
    articles = [normalize_record(row) for row in read_jsonl(REFERENCE_EVENT)]
    for _ in range(3):
        backend.write_articles([IndexedArticle(a, "evt-x") for a in articles])
    assert backend._db.execute("SELECT COUNT(*) FROM article_terms").fetchone()[0] == 3
    # One id twice in a batch: the last version is the one searched.
    first = articles[0]
    backend.write_articles([IndexedArticle(replace(first, text="zebra crossing"), "evt-x"),
                            IndexedArticle(replace(first, text="giraffe crossing"), "evt-x")])
    assert backend._db.execute("SELECT COUNT(*) FROM article_terms").fetchone()[0] == 3
    assert backend.search(SearchQuery("giraffe")).total == 1
    assert backend.search(SearchQuery("zebra")).total == 0
    backend.close()
