"""The reference event: three outlets on one Trump–Putin call are one event, no duplicates."""

from __future__ import annotations

import json

import pytest
from support import read_jsonl

SEED_IDS = {"seed-a", "seed-b", "seed-c"}


def test_cluster_puts_seeds_in_one_event_without_duplicates(newsbeam, corpus, tmp_path):
    out = tmp_path / "out.jsonl"
    newsbeam("cluster", str(corpus / "seed_call.jsonl"), "-o", str(out))
    rows = read_jsonl(out)
    assert {r["id"] for r in rows} == SEED_IDS
    assert len({r["event_id"] for r in rows}) == 1
    assert all(r["duplicate_of"] is None for r in rows)


@pytest.mark.parametrize("source, expected", [
    ("seed_call.jsonl", SEED_IDS),
    ("seed_call", {"seed_call/a", "seed_call/b", "seed_call/c"}),
])
def test_ingest_then_search_finds_the_call_first(newsbeam, corpus, tmp_path, source, expected):
    data_dir = str(tmp_path / "data")
    newsbeam("ingest", str(corpus / source), "--data-dir", data_dir)
    hits = json.loads(newsbeam("search", "Putin phone call", "--data-dir", data_dir, "--json").output)
    assert set(hits[0]["article_ids"]) == expected
    assert {"event_id", "title", "article_ids", "score"} <= hits[0].keys()


def test_text_folder_headlines_and_chrome(corpus):
    from newsbeam.connectors.files import read_path

    records = {r.data["id"]: r.data for r in read_path(corpus / "seed_call")}
    assert records["seed_call/a"]["title"].startswith("Ukraine War: Trump-Putin Phone Call")
    assert records["seed_call/c"]["title"] == ""  # c.txt opens with body text, not a headline
    from newsbeam.pipelines.normalize import normalize_record

    text = normalize_record(records["seed_call/a"]).text
    assert "3 Min Read" not in text and "Share This Article" not in text
    assert "75-minute phone call" in text
