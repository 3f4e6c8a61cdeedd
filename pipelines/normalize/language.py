"""Language of an article, when its source did not say."""

from __future__ import annotations

from functools import cache

_SAMPLE_CHARS = 2000


@cache
def _identifier():
    # py3langid loads its model on first use; keep one per process.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(title: str, text: str) -> str:
    """ISO 639-1 code from py3langid, or "" when the sample is too short to tell."""
    sample = f"{title}\n{text}"[:_SAMPLE_CHARS].strip()
    if len(sample) < 12:
        return ""
    code, probability = _identifier().classify(sample)
    return code if probability >= 0.5 else ""
