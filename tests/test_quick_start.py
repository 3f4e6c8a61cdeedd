"""The README's Quick start is a contract: two commands, and CI runs the second."""

from __future__ import annotations

import re

from support import REPO_ROOT


def quick_start_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```(?:bash)?\n(.*?)```", section, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands():
    demo, tests = quick_start_commands()
    assert demo.endswith("newsbeam demo")
    assert "pytest" in tests


def test_ci_runs_the_second_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start_commands()[1] in ci
