"""The scale report can be rebuilt from the result lines of earlier runs."""

from __future__ import annotations

import json

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
    saved.write_text("progress noise\n" + line + "\n")
    assert scale.main(["--from-results", str(saved), "--out", str(tmp_path / "out")]) == 0
    report = (tmp_path / "out" / "scale.md").read_text()
    assert "| 300 |" in report and "transfer" in report
    assert json.loads((tmp_path / "out" / "scale.json").read_text()) == [result]
