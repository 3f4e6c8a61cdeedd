"""Publication times: ISO-8601 or RFC 2822 in, timezone-aware UTC out."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from newsbeam.schemas import RecordError


def parse_published(value: str | None) -> datetime | None:
    """Parse the date formats news sources really send, or reject the record.

    An unknown format is an error, not a silent `None`: a wrong time would put the
    article in the wrong event, and a dead letter lets the user see and fix it.
    A date without an offset is taken as UTC.
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        raise RecordError("bad_date", f"unrecognised date {text[:80]!r}; use ISO-8601 or RFC 2822")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
