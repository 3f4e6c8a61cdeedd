"""Fixtures for dedup and clustering quality tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsbeam.pipelines.normalize import normalize_record

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
# `../shared/corpus` from the project root; from a worktree one level further up.
SHARED_CORPUS = next(
    (p / "shared" / "corpus" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "corpus").is_dir()),
    ROOT.parent / "shared" / "corpus",
)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="session")
def seed_records() -> list[dict]:
    path = SHARED_CORPUS / "seed_call.jsonl"
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path}")
    return read_jsonl(path)


@pytest.fixture(scope="session")
def fulltext_records() -> list[dict]:
    """Invented full-text articles: 7 events by several outlets, syndicated copies, one-offs."""
    return read_jsonl(FIXTURES / "fulltext_events.jsonl")


@pytest.fixture
def make_article():
    def make(**fields):
        record = {"id": "a", "url": "https://example.org/a", "title": "", "published": "2025-06-04T12:00:00+00:00",
                  "source": "Example", "language": "en"}
        record.update(fields)
        return normalize_record(record)

    return make


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {SHARED_CORPUS}")
    return SHARED_CORPUS
