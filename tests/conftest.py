"""Fixtures every test folder may use: the Elasticsearch node and a way to run the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result
from es_node import es_node, es_url  # noqa: F401  (shared by every test folder)
from kafka_broker import kafka_brokers  # noqa: F401  (started on first use)
from wire_items import endpoint, wire_index  # noqa: F401  (the wire item tests: both backends, an HTTP endpoint)

from newsbeam.cli.main import main


@pytest.fixture
def newsbeam():
    """Run `newsbeam ARGS…` in-process; fails the test on a non-zero exit unless told."""

    def run(*args: str, expect_exit: int = 0) -> Result:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == expect_exit, result.output
        return result

    return run

