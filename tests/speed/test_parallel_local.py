"""`newsbeam cluster` featurizes in worker processes; the answer must not depend on how many."""

from __future__ import annotations

from benchmarks.synthetic import StreamConfig, SyntheticStream

from newsbeam.connectors.records import RawRecord
from newsbeam.pipelines import local
from newsbeam.pipelines.local import assign_locally
from newsbeam.schemas import DeadLetter


def test_workers_change_the_time_not_the_answer():
    records = [RawRecord(f"synthetic:{record['id']}", record)
               for record, _ in SyntheticStream(StreamConfig(articles=local._PARALLEL_FROM + 300, seed=11))]
    # Rejects at both ends and in the middle, one of them rejected before normalizing (by its connector).
    records.insert(0, RawRecord("synthetic:blank", {"id": "blank", "text": " \n "}))
    records.insert(1_000, DeadLetter.of("read", "malformed_json", "line 1001", "synthetic:1001", "{"))
    records.append(RawRecord("synthetic:broken", {"id": "broken"}))  # no text
    alone = assign_locally(records)
    shared = assign_locally(records, workers=2)
    assert [(a.id, d) for a, d in shared.decisions] == [(a.id, d) for a, d in alone.decisions]
    assert len(alone.decisions) == local._PARALLEL_FROM + 300
    assert [letter.reason for letter in shared.dead_letters] == [letter.reason for letter in alone.dead_letters] == [
        "empty_text", "malformed_json", "schema_invalid"]
    assert len({d.event_id for _, d in alone.decisions}) > 50 and any(d.duplicate_of for _, d in alone.decisions)


def test_rare_collections_restores_the_threshold_even_on_error():
    import gc

    import pytest

    before = gc.get_threshold()
    with pytest.raises(RuntimeError), local.rare_collections(12_345):
        assert gc.get_threshold()[0] == 12_345
        raise RuntimeError("boom")
    assert gc.get_threshold() == before
