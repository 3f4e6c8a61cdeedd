"""`newsbeam demo` on the bundled sample: dedup decisions, a sample search, idempotent re-runs."""

from __future__ import annotations

import json
import shlex
import sqlite3

from support import read_jsonl

from newsbeam.cli.demo import sample_path

SYNDICATED = {"demo-26": "demo-25", "demo-27": "demo-25", "demo-28": "demo-25"}
AMP_COPY = {"demo-29": "demo-02"}


def test_sample_is_big_enough_and_labelled():
    records = read_jsonl(sample_path())
    labels = {row["id"]: row["event"] for row in read_jsonl(sample_path().with_name("demo.labels.jsonl"))}
    assert len(records) >= 30 and {r["id"] for r in records} == set(labels)
    covered = {event for event in labels.values() if list(labels.values()).count(event) >= 3}
    assert len(covered) >= 6


def test_cluster_finds_the_syndicated_copies_and_the_amp_copy(newsbeam, tmp_path):
    out = tmp_path / "out.jsonl"
    newsbeam("cluster", str(sample_path()), "-o", str(out))
    duplicates = {row["id"]: row["duplicate_of"] for row in read_jsonl(out) if row["duplicate_of"]}
    assert duplicates == {**SYNDICATED, **AMP_COPY}


def test_demo_runs_searches_and_reruns_idempotently(newsbeam, tmp_path):
    data_dir = tmp_path / "demo"
    first = newsbeam("demo", "--data-dir", str(data_dir))
    assert "articles indexed 34" in first.output
    assert "1. " in first.output and "Ferry" in first.output.split("1. ", 1)[1].split("\n", 1)[0]
    second = newsbeam("demo", "--data-dir", str(data_dir))
    assert "already indexed  34" in second.output and "articles indexed 0" in second.output
    hits = json.loads(newsbeam("search", "Lindmark sleeper trains", "--data-dir", str(data_dir), "--json").output)
    assert set(SYNDICATED) | {"demo-25"} <= set(hits[0]["article_ids"])


def test_the_demos_next_steps_run_as_printed(newsbeam, tmp_path):
    data_dir = tmp_path / "demo folder"
    output = newsbeam("demo", "--data-dir", str(data_dir)).output
    steps = output.split("Try next:\n", 1)[1].splitlines()
    search = shlex.split(steps[0])
    assert search[0] == "newsbeam" and search[1] == "search"
    found = newsbeam(*search[1:]).output
    assert "1. Cedar Ridge fire" in found, found
    assert "newsbeam serve --data-dir " + shlex.quote(str(data_dir)) in steps[2]


def _older_index(data_dir):
    data_dir.mkdir(parents=True)
    with sqlite3.connect(data_dir / "index.sqlite3") as db:
        db.execute("CREATE TABLE articles (id TEXT)")  # layout 0: no user_version


def test_demo_starts_its_own_index_afresh_after_an_upgrade(newsbeam, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSBEAM_DATA_DIR", str(tmp_path / "data"))
    _older_index(tmp_path / "data" / "demo")
    result = newsbeam("demo")
    assert "written by another newsbeam version: starting it afresh" in result.output
    assert "articles indexed 34" in result.output


def test_demo_never_removes_an_index_the_user_named(newsbeam, tmp_path):
    named = tmp_path / "mine"
    _older_index(named)
    result = newsbeam("demo", "--data-dir", str(named), expect_exit=1)
    assert "was written by another newsbeam version" in result.output and "Traceback" not in result.output
    assert (named / "index.sqlite3").exists()


def test_demo_clusters_with_the_files_clustering_settings(newsbeam, tmp_path):
    """The configuration's `[clustering]` reaches the demo as it reaches `ingest` and `cluster`."""
    import re

    strict = tmp_path / "strict.toml"
    strict.write_text("[clustering]\nthreshold = 10.0\nmerge_threshold = 10.0\n", encoding="utf-8")

    def events(*config: str) -> int:
        output = newsbeam(*config, "demo", "--data-dir", str(tmp_path / f"demo{len(config)}")).output
        return int(re.search(r"now holds 34 articles in (\d+) events", output).group(1))

    # Nothing is similar enough at an unreachable threshold: one event per article that is not a copy.
    assert events("--config", str(strict)) == 34 - len(SYNDICATED) - len(AMP_COPY) > events()
