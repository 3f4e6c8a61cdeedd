"""The reference event: three outlets on one tunnel rockslide are one event, no duplicates."""

from __future__ import annotations

import json

import pytest
from support import REFERENCE_EVENT, REFERENCE_FOLDER, REFERENCE_FOLDER_IDS, REFERENCE_IDS, REFERENCE_QUERY, read_jsonl


def test_cluster_puts_the_three_in_one_event_without_duplicates(newsbeam, tmp_path):
    out = tmp_path / "out.jsonl"
    newsbeam("cluster", str(REFERENCE_EVENT), "-o", str(out))
    rows = read_jsonl(out)
    assert {r["id"] for r in rows} == REFERENCE_IDS
    assert len({r["event_id"] for r in rows}) == 1
    assert all(r["duplicate_of"] is None for r in rows)


@pytest.mark.parametrize("source, expected", [
    (REFERENCE_EVENT, REFERENCE_IDS),
    (REFERENCE_FOLDER, REFERENCE_FOLDER_IDS),
])
def test_ingest_then_search_finds_the_event_first(newsbeam, tmp_path, source, expected):
    data_dir = str(tmp_path / "data")
    newsbeam("ingest", str(source), "--data-dir", data_dir)
    hits = json.loads(newsbeam("search", REFERENCE_QUERY, "--data-dir", data_dir, "--json").output)
    assert set(hits[0]["article_ids"]) == expected
    assert {"event_id", "title", "article_ids", "score"} <= hits[0].keys()


def test_text_folder_headlines_and_chrome():
    from newsbeam.connectors.files import read_path
    from newsbeam.pipelines.normalize import normalize_record

    records = {r.data["id"]: r.data for r in read_path(REFERENCE_FOLDER)}
    # a.txt opens with "3 Min Read": chrome is passed over to find the headline.
    assert records["reference_event/a"]["title"].startswith("Skarvik Tunnel Rockslide: 212 Night-Train Passengers")
    assert records["reference_event/b"]["title"].startswith("Rockslide traps night train in Skarvik tunnel")
    assert records["reference_event/c"]["title"] == ""  # c.txt opens with body text, not a headline
    text = normalize_record(records["reference_event/a"]).text
    assert "3 Min Read" not in text and "Share This Article" not in text
    assert text.startswith("Two hundred and twelve passengers spent nearly nine hours inside a mountain")
    assert normalize_record(records["reference_event/c"]).text.startswith("The morning after a rockslide")
