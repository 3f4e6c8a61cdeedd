"""`newsbeam ingest --es-url`, crashed at each commit step and run again, on the real node."""

from __future__ import annotations

import pytest
from crash_scenarios import index_view, ingest_history, inputs, run_cli

from newsbeam.connectors.sinks import BackendSettings, open_backend

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("crash_at", ["index_written", "state_saved"])
def test_a_rerun_after_a_crash_leaves_what_an_uninterrupted_history_does(
    es_url, index_prefix, second_index_prefix, tmp_path, crash_at
):
    first, second, ids = inputs(tmp_path / "input")
    views = {}
    for name, crash, prefix in (("whole", None, index_prefix), ("crashed", crash_at, second_index_prefix)):
        settings = BackendSettings(data_dir=tmp_path / name, es_url=es_url, es_index_prefix=prefix)

        def cli(*args, env=None, settings=settings):
            return run_cli(*args, "--data-dir", str(settings.data_dir), "--es-url", es_url,
                           env={"NEWSBEAM_ES_INDEX_PREFIX": settings.es_index_prefix, **(env or {})})

        ingest_history(cli, first, second, crash)
        views[name] = index_view(lambda settings=settings: open_backend(settings), ids)
    assert views["crashed"] == views["whole"]
