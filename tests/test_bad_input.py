"""Bad input never crashes a run: each bad record is a dead letter with its reason."""

from __future__ import annotations

import json

from support import REFERENCE_EVENT, read_jsonl

GOOD = {"id": "ok-1", "url": "https://a.example/x", "title": "Harbour ferry collision",
        "text": "Two ferries collided in the harbour on Monday morning.", "published": "2026-03-02T08:00:00Z"}


def write_bad_input(path):
    lines = [
        json.dumps(GOOD).encode(),
        b'{"id": "broken", "text": "unterminated',
        json.dumps({"id": "no-text", "title": "Only a title", "text": "   "}).encode(),
        json.dumps({"id": "huge", "text": "x" * (50 * 1024 * 1024)}).encode(),
        b'{"id": "latin1", "text": "caf\xe9 au lait"}',
        json.dumps({"id": "bad-date", "text": "Some text.", "published": "next Tuesday-ish"}).encode(),
        json.dumps(["not", "an", "object"]).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")


EXPECTED_REASONS = {"malformed_json", "empty_text", "too_large", "bad_encoding", "bad_date", "schema_invalid"}


def test_ingest_dead_letters_every_bad_record_and_goes_on(newsbeam, tmp_path):
    source = tmp_path / "bad.jsonl"
    write_bad_input(source)
    data_dir = tmp_path / "data"
    result = newsbeam("ingest", str(source), "--data-dir", str(data_dir))
    assert "rejected         6" in result.output
    [dead_file] = (data_dir / "dead-letters").glob("ingest-*.jsonl")
    letters = read_jsonl(dead_file)
    assert {letter["reason"] for letter in letters} == EXPECTED_REASONS
    huge = next(letter for letter in letters if letter["reason"] == "too_large")
    assert huge["raw_size"] > 50 * 1024 * 1024 and len(huge["raw"]) <= 64 * 1024
    assert all(letter["origin"].startswith(str(source)) for letter in letters)
    hits = json.loads(newsbeam("search", "ferry", "--data-dir", str(data_dir), "--json").output)
    assert hits[0]["article_ids"] == ["ok-1"]


def test_strict_makes_the_first_bad_record_fatal(newsbeam, tmp_path):
    source = tmp_path / "bad.jsonl"
    write_bad_input(source)
    data_dir = tmp_path / "data"
    result = newsbeam("ingest", str(source), "--data-dir", str(data_dir), "--strict", expect_exit=1)
    assert "rejected record (--strict)" in result.output
    assert "--strict" in result.output


def test_cluster_dead_letters_too(newsbeam, tmp_path):
    source = tmp_path / "bad.jsonl"
    write_bad_input(source)
    out = tmp_path / "out.jsonl"
    result = newsbeam("cluster", str(source), "-o", str(out))
    assert [row["id"] for row in read_jsonl(out)] == ["ok-1"]
    reasons = {letter["reason"] for letter in read_jsonl(tmp_path / "out.deadletters.jsonl")}
    assert reasons == EXPECTED_REASONS
    assert "rejected    6" in result.output


def test_an_unreachable_index_ends_the_run_with_a_clear_message(newsbeam, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSBEAM_ES_RETRY_SECONDS", "1")
    result = newsbeam("ingest", str(REFERENCE_EVENT), "--data-dir", str(tmp_path),
                      "--es-url", "http://127.0.0.1:9", expect_exit=1)
    assert "the index is unavailable" in result.output
    assert "Once Elasticsearch answers at http://127.0.0.1:9, re-run the same command to finish" in result.output
    assert "Traceback" not in result.output
