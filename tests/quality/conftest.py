"""Fixtures for dedup and clustering quality tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import REFERENCE_EVENT, read_jsonl

from newsbeam.pipelines.normalize import normalize_record

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def reference_records() -> list[dict]:
    """The reference event: three outlets' articles on one happening (tests/fixtures/README.md)."""
    return read_jsonl(REFERENCE_EVENT)


@pytest.fixture(scope="session")
def fulltext_records() -> list[dict]:
    """Invented full-text articles: 7 events by several outlets, syndicated copies, one-offs."""
    return read_jsonl(FIXTURES / "fulltext_events.jsonl")


@pytest.fixture(scope="session")
def heldout_records() -> list[dict]:
    """A second, held-out invented set written after the clustering settings were chosen: 14 events
    with confusable neighbours (two strikes in one city, two fires in adjacent valleys, two food
    deals, two court cases of one company), one-offs on the same beats, and wire copies."""
    return read_jsonl(FIXTURES / "fulltext_heldout.jsonl")


@pytest.fixture(scope="session")
def framing_records() -> list[dict]:
    """One council vote told by a left, a right and a centre outlet within a day, each with its own
    headline and angle, and a drivers' strike in the same city three days later that names the same
    councillor and agency."""
    return read_jsonl(FIXTURES / "framings.jsonl")


@pytest.fixture
def make_article():
    def make(**fields):
        record = {"id": "a", "url": "https://example.org/a", "title": "", "published": "2025-06-04T12:00:00+00:00",
                  "source": "Example", "language": "en"}
        record.update(fields)
        return normalize_record(record)

    return make
