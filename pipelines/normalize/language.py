"""Language of an article, from its text; the languages a page declares are hints."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cache

_SAMPLE_CHARS = 2000
#: Detector labels and declared codes that name a written variety of a language
#: pages tag with its ISO 639-1 code: py3langid tells Egyptian and Moroccan
#: Arabic, Cantonese and Wu Chinese, Nynorsk apart, and splits a text's
#: probability among them (Hong Kong news in standard Chinese: `yue` 0.48,
#: `zh` 0.43), while pages and feeds say `ar`, `zh`, `no`.
_VARIETY_OF = {"nb": "no", "nn": "no", "arz": "ar", "ary": "ar", "yue": "zh", "wuu": "zh", "uzs": "uz",
               "hbo": "he", "grc": "el", "sdh": "ku"}
#: Labels that name no language (`zxx`: "no linguistic content").
_NO_LANGUAGE = frozenset({"zxx"})
#: A declared language at least this probable given the text is believed:
#: Norwegian text that also reads as Danish stays Norwegian, while a page
#: declaring `lang="en"` over Zulu text (probability ~0) is Zulu.
_HINT_PROBABILITY = 0.05
#: Below this probability the text says nothing clearly, and a declared language stands in.
_CLEAR_PROBABILITY = 0.5
#: Kana but "の" and "・", which Chinese writing borrows now and then ("台灣の味").
_KANA = re.compile(r"[\u3040-\u306d\u306f-\u30fa\u30fc-\u30ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
#: Japanese prose writes a third to a half of its characters in kana, a few in a
#: line of dates and names; Chinese none.
_KANA_SHARE = 0.03


@cache
def _identifier():
    # py3langid loads its model on first use; keep one per process.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@cache
def known_languages() -> frozenset[str]:
    """The codes `detect_language` can read from a text."""
    return frozenset(_VARIETY_OF.get(label, label) for label in _identifier().nb_classes) - _NO_LANGUAGE


def _probabilities(sample: str) -> dict[str, float]:
    """Each language's probability given `sample`, the varieties of one language summed."""
    summed: dict[str, float] = defaultdict(float)
    for label, probability in _identifier().rank(sample):
        if label not in _NO_LANGUAGE:
            summed[_VARIETY_OF.get(label, label)] += probability
    return summed


def _is_japanese(sample: str) -> bool:
    """Whether a text in Chinese characters is Japanese: it writes kana among them
    (a date line or a run of names in kanji reads as Chinese to the detector)."""
    kana = len(_KANA.findall(sample))
    return kana >= 2 and kana >= _KANA_SHARE * (kana + len(_HAN.findall(sample)))


def detect_language(title: str, text: str, *, hints: Iterable[str | None] = (),
                    sample_chars: int = _SAMPLE_CHARS) -> str:
    """ISO 639-1 code from py3langid, or "" when the sample is too short to tell.

    `hints` are the languages the source declares, most trusted first
    (`<html lang>`, JSON-LD `inLanguage`, `og:locale`; a feed's language).
    The first one the text makes plausible wins; a declared language the
    detector has no model of is believed, since the text cannot speak against
    it; when the text says nothing clearly, the first hint stands in.
    `sample_chars` of title and text are read: py3langid's cost grows with the
    sample, and a few hundred characters of running text decide the language
    as well as thousands.
    """
    declared = list(dict.fromkeys(_VARIETY_OF.get(hint, hint) for hint in hints if hint))
    sample = f"{title}\n{text}"[:sample_chars].strip()
    if len(sample) < 12:
        return next(iter(declared), "")
    probabilities = _probabilities(sample)
    code = max(probabilities, key=probabilities.__getitem__)
    if code == "zh" and _is_japanese(sample):
        probabilities["ja"] = probabilities["zh"]
        code = "ja"
    known = known_languages()
    for hint in declared:
        if hint == code or hint not in known or probabilities.get(hint, 0.0) >= _HINT_PROBABILITY:
            return hint
    return code if probabilities[code] >= _CLEAR_PROBABILITY else next(iter(declared), "")
