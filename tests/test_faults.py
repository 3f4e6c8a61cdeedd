"""`newsbeam ingest` on the embedded index, crashed at each commit step and run again."""

from __future__ import annotations

import pytest
from crash_scenarios import index_view, ingest_history, inputs, run_cli

from newsbeam.connectors.sinks import BackendSettings, open_backend


@pytest.mark.parametrize("crash_at", ["index_written", "state_saved"])
def test_a_rerun_after_a_crash_leaves_what_an_uninterrupted_history_does(tmp_path, crash_at):
    first, second, ids = inputs(tmp_path / "input")
    views = {}
    for name, crash in (("whole", None), ("crashed", crash_at)):
        data_dir = tmp_path / name
        ingest_history(lambda *args, **kw: run_cli(*args, "--data-dir", str(data_dir), **kw), first, second, crash)
        views[name] = index_view(lambda: open_backend(BackendSettings(data_dir=data_dir)), ids)
    assert views["crashed"] == views["whole"]
