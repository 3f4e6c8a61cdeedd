"""What every connector yields: raw input records, or dead letters for what failed.

Web readers also yield a `ListingCheckpoint` after each listing's records: what
to remember once those records are stored (see `connectors/state.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from newsbeam.connectors.state import ListingCheckpoint
from newsbeam.schemas import DeadLetter


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record in the article input format, before validation.

    `origin` says where it came from (`path:line`, a URL) so that a dead letter
    further down the pipeline can point the user at the exact input.
    """

    origin: str
    data: Any


#: One thing a source reader yields.
ReadItem = Union[RawRecord, DeadLetter, ListingCheckpoint]
