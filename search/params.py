"""Query parameters checked the same way for every client, with messages a person can act on."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

#: Deepest result a client may page to, page × size; Elasticsearch refuses to page past
#: 10,000 by default, and the embedded index should not promise more than it does.
MAX_RESULT_WINDOW = 10_000
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 10
MAX_QUERY_CHARS = 500
MAX_SOURCE_CHARS = 200
MAX_ID_CHARS = 200


class InvalidParameter(ValueError):
    """A parameter a client sent cannot be used; the message says why."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


def clean_text(param: str, value: str, max_chars: int) -> str:
    """Trimmed text without control characters (they only ever come from broken clients)."""
    value = value.strip()
    if not value:
        raise InvalidParameter(param, "must not be empty")
    if len(value) > max_chars:
        raise InvalidParameter(param, f"must be at most {max_chars} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise InvalidParameter(param, "must not contain control characters")
    return value


def parse_bound(param: str, value: str | None, *, end_of_day: bool) -> datetime | None:
    """An ISO-8601 date or date-time as aware UTC.

    A bare date means the whole day: `from=2025-06-04` starts at its first moment and
    `to=2025-06-04` ends at its last, which is what a person typing dates expects.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) <= 10:
            moment = datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC)
            return moment + timedelta(days=1, microseconds=-1) if end_of_day else moment
        moment = datetime.fromisoformat(text)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidParameter(
            param, "must be an ISO-8601 date (2025-06-04) or date-time (2025-06-04T12:00:00Z) in years 1-9999"
        ) from None


@dataclass(frozen=True, slots=True)
class Window:
    date_from: datetime | None
    date_to: datetime | None


def parse_window(date_from: str | None, date_to: str | None) -> Window:
    window = Window(parse_bound("from", date_from, end_of_day=False), parse_bound("to", date_to, end_of_day=True))
    if window.date_from and window.date_to and window.date_from > window.date_to:
        raise InvalidParameter("from", "must not be later than `to`")
    return window


def check_paging(page: int, size: int) -> None:
    if page * size > MAX_RESULT_WINDOW:
        raise InvalidParameter("page", f"page × size must be at most {MAX_RESULT_WINDOW}; narrow the query instead")
