"""Fixtures for the streaming tests: a local news site and the Prism engine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from feedserver import NewsSite  # noqa: E402


@pytest.fixture(scope="session")
def prism_binary() -> Path:
    """Prism, built once from the Go module proxy into the cache (minutes the first time)."""
    from newsbeam.pipelines.runner_cache import prism_binary

    return prism_binary()


@pytest.fixture
def news_site():
    sites: list[NewsSite] = []

    def make(**kwargs) -> NewsSite:
        sites.append(NewsSite(**kwargs))
        return sites[-1]

    yield make
    for site in sites:
        site.close()
