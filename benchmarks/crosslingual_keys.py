"""Keys that the same event keeps across languages and scripts: names and numbers.

Stemmed words never match across languages, but a report of one happening in
English, Russian, Arabic or Japanese names the same people and places and quotes
the same figures. Names are written in each language's script, so each name word
is transliterated to ASCII (anyascii: every Unicode script, ISC licence) and then
reduced to a *consonant skeleton*: the first four consonant classes of its
spelling, vowels dropped. Transliteration conventions disagree mostly on vowels
(Arabic writes few, Japanese adds one after every consonant) and on how a sound
is spelt ("sch", "sh", "ш"; "ts", "z", "ц"; "l" and "r", which Japanese, Korean
and Chinese do not tell apart), so "Scholz", "Шольц", "شولتس" and "ショルツ" all
become `srs`, and "Zelensky", "Зеленского", "زيلينسكي", "ゼレンスキー" and
"젤렌스키" all `srns`.

Which words are names: in scripts with capitals, the words of capitalised runs
that do not open a sentence (any script with case: Latin, Cyrillic, Greek,
Armenian); in scripts without case, every word that is not common in its
language (Arabic, Hebrew, Korean, …), and katakana runs in Japanese, the script
Japanese writes foreign names in. Han characters (Chinese, and Japanese names
written in kanji) are not split into words here, so they give no name keys:
their numbers still count. Words common in their language (Zipf ≥ 4.5 in
wordfreq's lists: titles such as "President", weekdays, months, most country
names) are dropped, since every event of a week shares them.

Numbers are digit runs of any script (Arabic-Indic and full-width digits read
as the same number), thousands separators removed; one-digit numbers and the
years and days of the month next to the article's own date are dropped as
saying nothing (every report of those days carries them). Dates count through
the time window of the linking rule and through the numerals of other dates
a report names.

The rule (`LinkRule`) is general, set before any measurement: two reports (or
events) in different languages are the same event when they share at least two
name keys and one number and are at most two days apart. `CrossLanguageLinker`
applies it to hot events, by default counting only keys no third event of the
two languages in the window carries. Neither is used by the pipeline: measured,
both would cost single-language precision (docs/clustering.md, "Events across
languages"), so events stay per language.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from anyascii import anyascii
from wordfreq import get_frequency_dict

#: Words at least this frequent in their language (Zipf: log10 of occurrences
#: per billion words) are common words, not names: "president" 5.5, "monday"
#: 4.8, "israel" 4.8 are dropped; "biden" 3.9, "netanyahu" 3.3 are kept.
COMMON_ZIPF = 4.5
_COMMON_FREQUENCY = 10 ** (COMMON_ZIPF - 9)

#: How many name and number keys one article contributes (most mentioned
#: first, then first seen): the keys of a long text stay as few as a short one's.
ARTICLE_KEYS = 12
#: How many of each an event keeps (most counted over its members).
EVENT_KEYS = 40
#: Words of the text read for keys: the opening, where reports name the event.
LEDE_WORDS = 200

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_KATAKANA_RUN = re.compile(r"[\u30A0-\u30FA\u30FC-\u30FF\u31F0-\u31FF]{2,}")
_HAN_OR_KANA = re.compile(r"[\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]")
#: A number, with thousands groups ("3,000", "3.000", "3 000") read as one.
_NUMBER = re.compile(r"\d{1,3}(?:[,.\u00A0\u202F ]\d{3})+(?!\d)|\d+")
#: What may stand before a run that opens a sentence.
_SENTENCE_END = frozenset(".!?:;\"“”«»„—–-\n")


@dataclass(frozen=True, slots=True)
class CrossLanguageKeys:
    """An article's language-neutral keys: name skeletons and numbers, as strings."""

    names: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class LinkRule:
    """When two reports in different languages tell the same event.

    Two shared names alone link every pair of events about the same two
    people in a week; a shared figure (a toll, a sum, a vote count, a date) is
    what tells this meeting from the last one. Two days is the span within
    which outlets cover one happening (docs/clustering.md, "Time decay").
    """

    min_names: int = 2
    min_numbers: int = 1
    max_gap: timedelta = timedelta(days=2)


@dataclass(slots=True)
class EventKeys:
    """An event's keys, counted over its members, and the span it covers.

    What the clusterer would keep per event to link events across languages:
    bounded (`EVENT_KEYS` of each kind), so memory per event is flat.
    """

    names: Counter = field(default_factory=Counter)
    numbers: Counter = field(default_factory=Counter)
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    def add(self, keys: CrossLanguageKeys, published: datetime | None) -> None:
        """Count one member's keys and widen the span to its date."""
        for counter, new in ((self.names, keys.names), (self.numbers, keys.numbers)):
            counter.update(sorted(new))
            if len(counter) > 2 * EVENT_KEYS:
                kept = counter.most_common(EVENT_KEYS)
                counter.clear()
                counter.update(dict(kept))
        if published is not None:
            self.first_seen = published if self.first_seen is None else min(self.first_seen, published)
            self.last_seen = published if self.last_seen is None else max(self.last_seen, published)

    def keys(self) -> CrossLanguageKeys:
        """The `EVENT_KEYS` most counted names and numbers (ties: first counted)."""
        return CrossLanguageKeys(frozenset(k for k, _ in self.names.most_common(EVENT_KEYS)),
                                 frozenset(k for k, _ in self.numbers.most_common(EVENT_KEYS)))


_DIGRAPHS = (
    # Longest first: one sound, many spellings.
    ("shch", "s"), ("tsch", "s"), ("sch", "s"), ("sh", "s"), ("zh", "s"), ("ch", "s"),
    ("ts", "s"), ("tz", "s"), ("ph", "f"), ("kh", "h"), ("gh", "g"), ("th", "t"), ("dh", "d"),
    ("ck", "k"), ("qu", "k"), ("x", "ks"),
    # An n before a lip consonant is said m: "トランプ" (toranpu) is "Trump".
    ("nb", "mb"), ("np", "mp"),
)
#: Consonant classes; every letter not listed (vowels, y, w, h) is dropped.
_CLASSES = str.maketrans({
    "b": "b", "p": "b", "d": "t", "t": "t", "g": "k", "k": "k", "c": "k", "q": "k",
    "f": "f", "v": "f", "s": "s", "z": "s", "j": "s", "l": "r", "r": "r", "m": "m", "n": "n",
    **{vowel: None for vowel in "aeiouywh"},
})
_NOT_LETTER = re.compile(r"[^a-z]+")
_REPEAT = re.compile(r"(.)\1+")


@cache
def skeleton(word: str) -> str:
    """The consonant skeleton of a word in any script: transliterated, consonants
    folded into classes, vowels dropped, repeats collapsed, cut to four.

    "" when fewer than three consonants remain: such short skeletons ("Iran":
    `rn`) match too many other words to tell anything.
    """
    text = _NOT_LETTER.sub("", anyascii(word).lower())
    for spelling, sound in _DIGRAPHS:
        text = text.replace(spelling, sound)
    text = _REPEAT.sub(r"\1", text.translate(_CLASSES))[:4]
    return text if len(text) >= 3 else ""


def _is_common(word: str, language: str) -> bool:
    return _frequencies(language).get(word.casefold(), 0.0) >= _COMMON_FREQUENCY


@cache
def _frequencies(language: str) -> dict[str, float]:
    """wordfreq's word list of a language (read directly: its tokenizer needs
    MeCab for Japanese), empty for a language it lacks."""
    try:
        return get_frequency_dict(language)
    except (LookupError, ValueError, ImportError):
        return {}


def name_words(text: str, language: str) -> list[str]:
    """The words of `text` that are probably parts of names, in order, repeats kept.

    Cased scripts: words of capitalised runs, except a run of one word that
    opens a sentence (the first word of most sentences is capitalised) and the
    leading common words of a longer one ("The", "In"). Uncased scripts: words
    not common in the language; in Japanese, katakana runs.
    """
    found: list[str] = []
    run: list[str] = []
    run_opens_sentence = False
    previous_end = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        gap = text[previous_end:match.start()]
        opens_text = previous_end == 0  # no token before this one
        previous_end = match.end()
        if first.isupper():
            if run and gap.isspace():
                run.append(token)
                continue
            _close_run(run, run_opens_sentence, language, found)
            before = gap.strip()
            run = [token]
            run_opens_sentence = opens_text or (bool(before) and before[-1] in _SENTENCE_END)
            continue
        _close_run(run, run_opens_sentence, language, found)
        run = []
        if first.lower() != first.upper() or first.isdigit():
            continue  # a lower-case word, or a number
        if _HAN_OR_KANA.search(token):
            found.extend(_KATAKANA_RUN.findall(token))
        elif not _is_common(token, language):
            found.append(token)
    _close_run(run, run_opens_sentence, language, found)
    return found


def _close_run(run: list[str], opens_sentence: bool, language: str, found: list[str]) -> None:
    if not run or (opens_sentence and len(run) == 1):
        return
    words = list(run)
    if opens_sentence:
        while words and _is_common(words[0], language):
            del words[0]
        if len(words) < 2:
            return
    found.extend(word for word in words if not _is_common(word, language))


def numbers(text: str, published: datetime | None) -> list[str]:
    """Numbers of two or more digits as canonical strings, in order; the years
    around `published` and the days of the month around it dropped: every
    report of those days carries them (in datelines, "on the 15th")."""
    years = {str(published.year + step) for step in (-1, 0, 1)} if published else set()
    days = {str((published + timedelta(days=step)).day) for step in (-1, 0, 1)} if published else set()
    years |= days
    found = []
    for match in _NUMBER.finditer(text):
        digits = "".join(ch for ch in match.group() if ch.isdigit())
        value = str(int(digits))  # int reads every script's digits
        if len(value) >= 2 and value not in years:
            found.append(value)
    return found


def _most_mentioned(items: list[str], count: int) -> frozenset[str]:
    """The `count` items mentioned most often, first mention breaking ties."""
    counts = Counter(items)  # insertion order is first mention
    return frozenset(item for item, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:count])


def cross_language_keys(title: str, text: str, language: str, published: datetime | None) -> CrossLanguageKeys:
    """An article's name skeletons and numbers, from its title and lede."""
    lede = " ".join(text.split(None, LEDE_WORDS)[:LEDE_WORDS])
    # Title-case text ("House Panel Demands Answers": most headlines in English,
    # and the whole text of a headline-only item) would make every word a name.
    found = [word for part in (title, lede) if not _title_case(part) for word in name_words(part, language)]
    skeletons = [key for word in found if (key := skeleton(word))]
    figures = numbers(f"{title}\n{lede}", published)
    return CrossLanguageKeys(_most_mentioned(skeletons, ARTICLE_KEYS), _most_mentioned(figures, ARTICLE_KEYS))


def _title_case(text: str) -> bool:
    """Whether a text is in headline title case: more than three in four of its
    words capitalised (all but short function words). German capitalises every
    noun, about half of running text, and stays below."""
    tokens = [token for token in _TOKEN.findall(text) if token[0].lower() != token[0].upper()]
    return len(tokens) >= 3 and 4 * sum(token[0].isupper() for token in tokens) > 3 * len(tokens)


def shared(a: CrossLanguageKeys, b: CrossLanguageKeys) -> tuple[int, int]:
    """How many name keys and how many numbers two key sets share."""
    return len(a.names & b.names), len(a.numbers & b.numbers)


def span_gap(a_first: datetime, a_last: datetime, b_first: datetime, b_last: datetime) -> timedelta:
    """Time between two spans (zero when they overlap)."""
    return max(b_first - a_last, a_first - b_last, timedelta(0))


def links(a: CrossLanguageKeys, b: CrossLanguageKeys, gap: timedelta, rule: LinkRule = LinkRule()) -> bool:
    """Whether two reports (or events) with these keys, `gap` apart, tell one event (`LinkRule`)."""
    names_shared, numbers_shared = shared(a, b)
    return gap <= rule.max_gap and names_shared >= rule.min_names and numbers_shared >= rule.min_numbers


def events_link(a: EventKeys, b: EventKeys, rule: LinkRule = LinkRule()) -> bool:
    """Whether two events (of different languages) are one: `links` on their
    counted keys, the gap measured between their spans. An event without a
    date links to nothing: time is half the evidence."""
    if None in (a.first_seen, a.last_seen, b.first_seen, b.last_seen):
        return False
    return links(a.keys(), b.keys(), span_gap(a.first_seen, a.last_seen, b.first_seen, b.last_seen), rule)


class CrossLanguageLinker:
    """Which hot events of other languages an event is one with.

    One instance would sit above the per-language assigners (which never see
    each other's events): each joined article's keys are added to its event
    (`add`), events leaving the hot window are forgotten (`forget`), and
    `links` names the events of other languages the event is one with.

    With `distinctive` (the default), a shared key counts only if no third
    event of the two languages within the window carries it: a key several
    events carry belongs to a topic ("Covid", "Pfizer" and the "19" of
    COVID-19 are shared by every pandemic story of a week), not to one
    happening. It is what the stream IDF does for terms, taken to its limit, and
    what kept single-language precision unchanged where plain counts did not
    (docs/clustering.md, "Events across languages").

    `within_language` links events of one language too: the measurement's way of
    asking what the rule would do to events that share a language's names and
    figures, on labelled single-language streams.

    Candidates come from an inverted index of name keys, and a key's other
    carriers from the same index, so the cost of `links` follows the events
    sharing a name with this one, not the whole window.
    """

    def __init__(self, rule: LinkRule = LinkRule(), *, distinctive: bool = True,
                 within_language: bool = False) -> None:
        self.rule = rule
        self.distinctive = distinctive
        self.within_language = within_language
        self._events: dict[str, EventKeys] = {}
        self._language: dict[str, str] = {}
        self._keys: dict[str, CrossLanguageKeys] = {}
        #: Event → when it was first added (ties among links are broken by it).
        self._sequence: dict[str, int] = {}
        self._added = 0
        #: ("n", name key) or ("#", number) → the events whose keys hold it, in order added.
        self._carriers: dict[tuple[str, str], dict[str, None]] = {}

    def add(self, event_id: str, language: str, keys: CrossLanguageKeys, published: datetime | None) -> None:
        """Count one member's keys into its event (created on first sight)."""
        event = self._events.get(event_id)
        if event is None:
            event = self._events[event_id] = EventKeys()
            self._sequence[event_id] = self._added
            self._added += 1
        self._language[event_id] = language
        self._unindex(event_id)
        event.add(keys, published)
        current = event.keys()
        self._keys[event_id] = current
        for kind, values in (("n", current.names), ("#", current.numbers)):
            for value in values:
                self._carriers.setdefault((kind, value), {})[event_id] = None

    def forget(self, event_id: str) -> None:
        """Drop an event that left the hot window."""
        self._unindex(event_id)
        for table in (self._events, self._language, self._keys, self._sequence):
            table.pop(event_id, None)

    def _unindex(self, event_id: str) -> None:
        old = self._keys.get(event_id)
        if old is None:
            return
        for key in [("n", value) for value in old.names] + [("#", value) for value in old.numbers]:
            holders = self._carriers.get(key)
            if holders is not None:
                holders.pop(event_id, None)
                if not holders:
                    del self._carriers[key]

    def links(self, event_id: str) -> list[str]:
        """The events this one is one with, in the order they were first added."""
        event = self._events.get(event_id)
        if event is None or event.first_seen is None:
            return []
        keys = self._keys[event_id]
        candidates: dict[str, None] = {}
        for value in sorted(keys.names):
            candidates.update(self._carriers.get(("n", value), {}))
        candidates.pop(event_id, None)
        found = []
        for other in sorted(candidates, key=self._sequence.__getitem__):
            if not self.within_language and self._language[other] == self._language[event_id]:
                continue
            other_event = self._events[other]
            if other_event.first_seen is None:
                continue
            gap = span_gap(event.first_seen, event.last_seen, other_event.first_seen, other_event.last_seen)
            other_keys = self._keys[other]
            if not links(keys, other_keys, gap, self.rule):
                continue
            if self.distinctive and not self._distinctive_link(event_id, other, keys, other_keys):
                continue
            found.append(other)
        return found

    def _distinctive_link(self, a: str, b: str, a_keys: CrossLanguageKeys, b_keys: CrossLanguageKeys) -> bool:
        """Whether enough shared keys are carried by no third event of the two languages in the window."""
        names = sum(1 for value in a_keys.names & b_keys.names if self._only_theirs(("n", value), a, b))
        if names < self.rule.min_names:
            return False
        numbers = sum(1 for value in a_keys.numbers & b_keys.numbers if self._only_theirs(("#", value), a, b))
        return numbers >= self.rule.min_numbers

    def _only_theirs(self, key: tuple[str, str], a: str, b: str) -> bool:
        languages = {self._language[a], self._language[b]}
        ea, eb = self._events[a], self._events[b]
        for other in self._carriers.get(key, ()):
            if other in (a, b) or (not self.within_language and self._language[other] not in languages):
                continue
            third = self._events[other]
            if third.first_seen is None:
                continue
            if min(span_gap(ea.first_seen, ea.last_seen, third.first_seen, third.last_seen),
                   span_gap(eb.first_seen, eb.last_seen, third.first_seen, third.last_seen)) <= self.rule.max_gap:
                return False
        return True
