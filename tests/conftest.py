"""Fixtures every test folder may use: the shared corpus and a way to run the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from es_node import es_node, es_url  # noqa: F401  (shared by every test folder)
from support import shared_dir

from newsbeam.cli.main import main


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = shared_dir() / "corpus"
    if not (path / "seed_call.jsonl").exists():
        pytest.skip(f"shared corpus not found at {path}; set NEWSBEAM_SHARED_DIR")
    return path


@pytest.fixture
def newsbeam():
    """Run `newsbeam ARGS…` in-process; fails the test on a non-zero exit unless told."""

    def run(*args: str, expect_exit: int = 0) -> Result:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == expect_exit, result.output
        return result

    return run

