"""Language of an article, from its text; a language the page declares is a hint."""

from __future__ import annotations

from functools import cache

_SAMPLE_CHARS = 2000
#: Codes py3langid gives beside the ones pages declare for the same language.
_SAME_LANGUAGE = {"nb": "no", "nn": "no"}
#: A declared language at least this probable given the text is believed:
#: Norwegian text that also reads as Danish stays Norwegian, while a page
#: declaring `lang="en"` over Zulu text (probability ~0) is Zulu.
_HINT_PROBABILITY = 0.05


@cache
def _identifier():
    # py3langid loads its model on first use; keep one per process.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(title: str, text: str, *, hint: str | None = None, sample_chars: int = _SAMPLE_CHARS) -> str:
    """ISO 639-1 code from py3langid, or "" when the sample is too short to tell.

    `hint` is a language the source declares (`<html lang>`, a feed's
    language); it wins when the text makes it plausible, and stands in when
    the text says nothing clearly. `sample_chars` of title and text are read:
    py3langid's cost grows with the sample, and a few hundred characters of
    running text decide the language as well as thousands.
    """
    hint = _SAME_LANGUAGE.get(hint or "", hint or "")
    sample = f"{title}\n{text}"[:sample_chars].strip()
    if len(sample) < 12:
        return hint
    ranked = _identifier().rank(sample)
    code, probability = ranked[0]
    if hint and hint != code and any(c == hint and p >= _HINT_PROBABILITY for c, p in ranked):
        return hint
    return code if probability >= 0.5 else hint
