"""From an input record (a dict in the article input format) to an `Article`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsbeam.pipelines.normalize.dates import parse_published
from newsbeam.pipelines.normalize.language import detect_language
from newsbeam.pipelines.normalize.text import clean_text, content_hash
from newsbeam.pipelines.normalize.urls import canonical_url, outlet_of
from newsbeam.schemas import WITHDRAWN_STATUSES, Article, RecordError, article_id_for_url, validate_input


@dataclass(frozen=True, slots=True)
class NormalizeLimits:
    """Bounds that keep one pathological record from dominating a run."""

    #: Longer texts are rejected as `too_large`: no real article is a megabyte of text.
    max_text_chars: int = 1_000_000


def normalize_record(
    record: Any,
    *,
    limits: NormalizeLimits = NormalizeLimits(),
    fetched_at: datetime | None = None,
) -> Article:
    """Validate and normalize one input record, or raise `RecordError`.

    The id is the record's own when given (so users can join results back), else a
    hash of the canonical URL, so re-ingesting the same page yields the same id.
    A wire item's id is its guid/uri, the same for all its versions.
    """
    record = validate_input(record)
    raw_text = record["text"]
    if len(raw_text) > limits.max_text_chars:
        raise RecordError("too_large", f"text has {len(raw_text):,} characters; limit {limits.max_text_chars:,}")
    title = clean_text(record.get("title") or "").replace("\n\n", " ")
    headlines = list(dict.fromkeys(headline for headline in (clean_text(h).replace("\n\n", " ")
                                                             for h in record.get("headlines") or [])
                                   if headline and headline != title))
    text = clean_text(raw_text)
    pubstatus = (record.get("pubstatus") or "").strip()
    # A record with a status is a wire item, version 1 unless it says otherwise.
    version = record.get("version") or (1 if pubstatus else None)
    withdrawn = pubstatus in WITHDRAWN_STATUSES
    if not text and not withdrawn:  # a kill needs no text: it only names what to remove
        raise RecordError("empty_text", "no text left after cleaning")
    url = (record.get("url") or "").strip()
    canonical = canonical_url(url) if url else ""
    given_id = record.get("id")
    if given_id is not None and str(given_id).strip():
        article_id = str(given_id).strip()
    elif canonical:
        article_id = article_id_for_url(canonical)
    else:
        raise RecordError("schema_invalid", "record has neither an id nor a url")
    language = (record.get("language") or "").strip().lower() or detect_language(title, text)
    return Article(
        id=article_id,
        url=url,
        canonical_url=canonical,
        title=title,
        text=text,
        published=parse_published(record.get("published")),
        source=(record.get("source") or "").strip() or outlet_of(canonical),
        language=language,
        authors=[a.strip() for a in record.get("authors") or [] if a.strip()],
        fetched_at=fetched_at,
        content_hash=content_hash(text),
        version=version,
        pubstatus=(pubstatus or "usable") if version is not None else "",
        subjects=[s.strip() for s in record.get("subjects") or [] if s.strip()],
        wire=dict(record.get("wire") or {}),
        headlines=headlines,
    )
