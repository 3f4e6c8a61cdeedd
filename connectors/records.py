"""What every connector yields: raw input records, or dead letters for what failed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record in the article input format, before validation.

    `origin` says where it came from (`path:line`, a URL) so that a dead letter
    further down the pipeline can point the user at the exact input.
    """

    origin: str
    data: Any
