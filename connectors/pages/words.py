"""Counting words in any script.

`str.split()` counts a 612-character Japanese article as two words: Chinese
and Japanese are written without spaces, and so are Thai, Lao, Khmer and
Burmese. Each Han or kana character is counted as a word here (most Chinese
words are one or two characters, so this errs towards more words, which only
matters below the small thresholds the counts are compared with), and runs of
the other unspaced scripts as one word per three characters, about a
syllable; every other run of letters or digits is one word.
"""

from __future__ import annotations

import re

_HAN_KANA = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_UNSPACED = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u0f00-\u0fff"  # Thai, Lao, Burmese, Khmer, Tibetan
_WORD = re.compile(rf"[{_HAN_KANA}]|[{_UNSPACED}]{{1,3}}|(?:(?![{_HAN_KANA}{_UNSPACED}])[^\W_])+")


def count_words(text: str, limit: int | None = None) -> int:
    """Words in `text` (see the module docstring), counted up to `limit`:
    callers that compare with a threshold need not count a whole article."""
    count = 0
    for count, _ in enumerate(_WORD.finditer(text), start=1):
        if limit is not None and count >= limit:
            break
    return count
