"""The records that flow through newsbeam, and the JSON Schemas that guard its edges.

`Article` and `Event` are the typed in-memory records; `json/*.schema.json` are the
same contracts as files, for users writing producers or consumers in other languages.
"""

from newsbeam.schemas.article import WITHDRAWN_STATUSES, Article, RecordError, article_id_for_url
from newsbeam.schemas.deadletter import DeadLetter
from newsbeam.schemas.event import Event
from newsbeam.schemas.validation import load_schema, validate_input

__all__ = [
    "Article",
    "DeadLetter",
    "Event",
    "RecordError",
    "WITHDRAWN_STATUSES",
    "article_id_for_url",
    "load_schema",
    "validate_input",
]
