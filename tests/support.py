"""Helpers tests import by name (`from support import …`); fixtures live in conftest.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """`../shared` beside the project root, or `$NEWSBEAM_SHARED_DIR`."""
    return Path(os.environ.get("NEWSBEAM_SHARED_DIR", REPO_ROOT.parent / "shared"))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
