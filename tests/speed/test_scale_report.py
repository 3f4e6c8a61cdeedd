"""The scale report can be rebuilt from the result lines of earlier runs."""

from __future__ import annotations

import json

import pytest

from benchmarks import scale


def test_report_from_saved_results(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(scale, "CACHE", tmp_path / "cache")
    assert scale.main(["--one", "300", "--workers", "1"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(line)
    parts = ("normalize", "featurize", "transfer", "assign", "other")
    total = sum(result[f"{part}_cpu_ms_per_article"] for part in parts)
    assert abs(total - result["cpu_ms_per_article"]) < 0.01 * result["cpu_ms_per_article"]
    saved = tmp_path / "runs.jsonl"
    counts = {"instructions_at": 300, "instructions_articles": 5, "normalize_instructions_per_article": 1_500_000,
              "featurize_instructions_per_article": 3_250_000, "assign_instructions_per_article": 1_750_000}
    saved.write_text("progress noise\n" + line + "\n" + json.dumps(counts) + "\n")
    assert scale.main(["--from-results", str(saved), "--out", str(tmp_path / "out")]) == 0
    report = (tmp_path / "out" / "scale.md").read_text()
    assert "| 300 |" in report and "transfer" in report
    assert "| 1.50 M | 3.25 M | 1.75 M | 6.50 M |" in report
    assert json.loads((tmp_path / "out" / "scale.json").read_text()) == [result]
    assert json.loads((tmp_path / "out" / "scale-instructions.json").read_text()) == counts


# Four children each import the whole stack under callgrind's emulation: about 5.5 CPU
# minutes, whose wall time grows with whatever else the machine runs. The suite's 600 s
# is a hang detector; this test's hang bound allows a machine three times as busy.
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_instruction_counts_by_stage(tmp_path, monkeypatch):
    from benchmarks import callgrind

    if not callgrind.available():
        pytest.fail("valgrind is not installed: the instruction counts run under callgrind (apt-get install valgrind)")
    # The counting runs are child processes: they find the cache through the environment.
    monkeypatch.setenv("NEWSBEAM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(scale, "CACHE", tmp_path / "cache" / "bench")
    counts = scale.count_instructions(seed=7, at=40, articles=5, workers=1)
    # The suite holds that the counting works end to end. How many instructions
    # each stage takes is a measurement: the benchmark's report carries it.
    assert counts["instructions_at"] == 40 and counts["instructions_articles"] == 5
    per_stage = [counts[f"{stage}_instructions_per_article"] for stage in ("normalize", "featurize", "assign")]
    assert all(isinstance(count, int) for count in per_stage)
