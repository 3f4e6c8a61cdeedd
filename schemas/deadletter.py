"""The dead-letter record: what was rejected, where, and why."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

#: A rejected record keeps at most this much of its raw form, so one 50 MB line
#: cannot make the dead-letter file itself a problem; `raw_size` keeps the truth.
MAX_RAW_CHARS = 64 * 1024


@dataclass(slots=True, frozen=True)
class DeadLetter:
    """A record that could not go on, with the stage and a stable reason code."""

    stage: str
    reason: str
    detail: str
    origin: str
    raw: str
    raw_size: int

    @classmethod
    def of(cls, stage: str, reason: str, detail: str, origin: str, raw: Any, raw_size: int | None = None) -> DeadLetter:
        """A dead letter keeping (the head of) `raw`; `raw_size` when only a head was read."""
        text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
        return cls(stage, reason, detail, origin, text[:MAX_RAW_CHARS], len(text) if raw_size is None else raw_size)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
