"""Turn a raw input record into a validated `Article`: canonical URL, clean text,
UTC publication time, language, content hash."""

from newsbeam.pipelines.normalize.record import NormalizeLimits, normalize_record

__all__ = ["NormalizeLimits", "normalize_record"]
