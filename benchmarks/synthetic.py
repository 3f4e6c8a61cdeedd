"""Synthetic full-text news streams with known truth, for quality and scale runs.

Real labelled full-text streams are small and cannot be shipped, so the scale
benchmark needs a generator whose difficulty resembles the real thing:

- events belong to topics, so unrelated events share topic vocabulary and the
  recurring people of their beat (two stories about one minister are two events);
- every event has its own facts (keywords, names, a place) that its articles
  repeat in their own words, diluted by topic talk and background prose;
- events differ in size (a heavy tail: most are small, a few are big) and last
  hours to days, and later coverage drifts to new details;
- outlets write their own articles and also republish wire copy with a new
  headline, a byline, a newsletter footer, a trimmed lede, folded quotes, odd
  whitespace or a tracking-parameter URL (the near duplicates to find);
- a share of articles are one-off stories (noise: events of size one).

Text is made of pseudo-words built from syllables, so no corpus is needed and
the stream is fully determined by its seed; articles are assembled from
sentences, which keeps generation fast enough for million-article runs.

    python -m benchmarks.synthetic --articles 10000 --out stream.jsonl

writes the records in the article input format, each with its truth
(`event`, `duplicate_of`) in extra fields that the pipeline ignores.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

FUNCTION_WORDS = (
    "the of and to a in that is was he for it with as his on be at by i this had not are but from or have an "
    "they which one you were her all she there would their we him been has when who will more no if out so said "
    "what up its about into than them can only other new some could time these two may then do first any my now "
    "such like our over man me even most made after also did many before must through back years where much your "
    "way well down should because each just those people how too little state good very make world still own see "
    "men work long get here between both life being under never day same another know while last might us great "
    "old year off come since against go came right used take three"
).split()
_ONSETS = ["b", "br", "c", "ch", "cl", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "pl",
           "pr", "r", "s", "sh", "sk", "st", "t", "tr", "v", "w", "z"]
_NUCLEI = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io", "ee"]
_CODAS = ["", "", "n", "r", "s", "l", "m", "nd", "st", "rk", "x", "t"]


@dataclass(frozen=True, slots=True)
class StreamConfig:
    """Shape of a synthetic stream; the defaults model a mid-sized aggregator."""

    articles: int = 10_000
    seed: int = 7
    articles_per_day: float = 5_000.0
    topics: int = 40
    outlets: int = 80
    #: Mean articles per (non-noise) event; sizes follow a heavy-tailed law.
    mean_event_size: float = 12.0
    #: Share of articles that are one-off stories.
    noise_share: float = 0.15
    #: Chance that an original article is republished by other outlets.
    syndication_rate: float = 0.2
    #: Mean event lifetime (days).
    event_days: float = 1.5
    body_paragraphs: tuple[int, int] = (5, 10)
    start: datetime = datetime(2025, 1, 6, tzinfo=timezone.utc)


@dataclass(slots=True)
class _Topic:
    words: list[str]
    people: list[str]


@dataclass(slots=True)
class _Event:
    event_id: str
    topic: _Topic
    keywords: list[str]
    names: list[str]
    place: str
    topic_index: int = 0
    facts: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)


class _Words:
    """Deterministic pseudo-word pools (common prose, topic talk, names)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._seen: set[str] = set(FUNCTION_WORDS)

    def word(self, syllables: int) -> str:
        for attempt in range(1000):
            # Short words run out first: lengthen the word after repeated collisions.
            length = syllables + attempt // 20
            w = "".join(self._rng.choice(_ONSETS) + self._rng.choice(_NUCLEI) for _ in range(length))
            w += self._rng.choice(_CODAS)
            if w not in self._seen:
                self._seen.add(w)
                return w
        raise RuntimeError("pseudo-word space exhausted")

    def words(self, n: int, low: int = 1, high: int = 3) -> list[str]:
        return [self.word(self._rng.randint(low, high)) for _ in range(n)]


class SyntheticStream:
    """Yields `(record, truth)` pairs in publication order."""

    def __init__(self, config: StreamConfig = StreamConfig()) -> None:
        self.config = config
        rng = self._rng = random.Random(config.seed)
        pool = _Words(rng)
        self._common = pool.words(4000, 1, 3)
        # Zipf-like weights for background prose.
        self._common_weights = list(_cumulative([1.0 / (rank + 1) for rank in range(len(self._common))]))
        self._names = [w.capitalize() for w in pool.words(6000, 2, 3)]
        self._topics = [
            _Topic(pool.words(150, 1, 3), [f"{rng.choice(self._names)} {rng.choice(self._names)}" for _ in range(25)])
            for _ in range(config.topics)
        ]
        self._keywords = pool.words(30000, 2, 4)
        self._places = [w.capitalize() for w in pool.words(1500, 2, 3)]
        self._outlets = [f"{w.capitalize()} {rng.choice(['Times', 'Post', 'Herald', 'News', 'Daily', 'Journal', 'Wire'])}"
                         for w in pool.words(config.outlets, 2, 3)]
        self._hosts = [o.lower().replace(" ", "") + ".example" for o in self._outlets]
        self._background = [self._sentence(None, rng) for _ in range(3000)]
        self._topic_sentences = [[self._sentence(None, rng, topic) for _ in range(300)] for topic in self._topics]

    # -- text ----------------------------------------------------------------

    def _common_word(self, rng: random.Random) -> str:
        return rng.choices(self._common, cum_weights=self._common_weights)[0]

    def _sentence(self, event: _Event | None, rng: random.Random, topic: _Topic | None = None) -> str:
        length = rng.randint(12, 24)
        out: list[str] = []
        topic = event.topic if event else topic
        for _ in range(length):
            r = rng.random()
            if event and r < 0.14:
                out.append(rng.choice(event.keywords))
            elif event and r < 0.19:
                out.append(rng.choice(event.names))
            elif event and r < 0.21:
                out.append(event.place)
            elif topic and r < 0.36:
                out.append(rng.choice(topic.words))
            elif topic and r < 0.39:
                out.append(rng.choice(topic.people))
            elif r < 0.75:
                out.append(rng.choice(FUNCTION_WORDS))
            else:
                out.append(self._common_word(rng))
        text = " ".join(out)
        if rng.random() < 0.15:
            cut = rng.randint(3, length - 3)
            words = text.split(" ")
            text = " ".join(words[:cut]) + ' "' + " ".join(words[cut:]) + '"'
        return text[0].upper() + text[1:] + "."

    def _title(self, event: _Event, rng: random.Random, title_case: bool) -> str:
        parts = rng.sample(event.keywords[:6], 2) + [rng.choice(event.names + [event.place])]
        parts += rng.sample(event.topic.words, 1) + rng.sample(FUNCTION_WORDS, 2)
        rng.shuffle(parts)
        title = " ".join(parts)
        return title.title() if title_case else title[0].upper() + title[1:]

    def _reworded(self, sentence: str, rng: random.Random) -> str:
        """One outlet's wording of a shared sentence: same words, its own order."""
        words = sentence.rstrip(".").replace('"', "").split(" ")
        rng.shuffle(words)
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def _article_text(self, event: _Event, rng: random.Random) -> str:
        # Outlets share a quote or a stated fact verbatim now and then, but word
        # their own prose: overlap in vocabulary, not in word sequences.
        paragraphs = [f"{self._reworded(rng.choice(event.facts), rng)} {self._reworded(rng.choice(event.sentences), rng)}"]
        topic_pool = self._topic_sentences[event.topic_index]
        for _ in range(rng.randint(*self.config.body_paragraphs) - 1):
            sentences = []
            for _ in range(rng.randint(2, 4)):
                r = rng.random()
                if r < 0.08:
                    sentences.append(rng.choice(event.facts))
                elif r < 0.55:
                    sentences.append(self._reworded(rng.choice(event.sentences), rng))
                elif r < 0.8:
                    sentences.append(self._reworded(rng.choice(topic_pool), rng))
                else:
                    sentences.append(self._reworded(rng.choice(self._background), rng))
            paragraphs.append(" ".join(sentences))
        return "\n\n".join(paragraphs)

    # -- events --------------------------------------------------------------

    def _new_event(self, index: int, rng: random.Random) -> _Event:
        topic_index = rng.randrange(len(self._topics))
        topic = self._topics[topic_index]
        names = rng.sample(topic.people, 2) + [f"{rng.choice(self._names)} {rng.choice(self._names)}"]
        event = _Event(f"e{index}", topic, rng.sample(self._keywords, 12), names, rng.choice(self._places), topic_index)
        event.facts = [self._sentence(event, rng) for _ in range(4)]
        event.sentences = [self._sentence(event, rng) for _ in range(10)]
        return event

    def _event_size(self, rng: random.Random) -> int:
        # Pareto with shape 1.6 has mean 1.6/0.6 × minimum; scale to the configured mean.
        minimum = self.config.mean_event_size * 0.6 / 1.6
        return max(2, min(2000, int(minimum * rng.paretovariate(1.6))))

    def _drift(self, event: _Event, rng: random.Random) -> None:
        """Later coverage brings new details: a few keywords and facts change."""
        event.keywords[rng.randrange(6, 12)] = rng.choice(self._keywords)
        event.sentences[rng.randrange(len(event.sentences))] = self._sentence(event, rng)

    def _copy(self, original: dict, outlet: int, rng: random.Random, n: int) -> dict:
        """Another outlet's republication of a wire text, with its usual edits."""
        text = original["text"]
        edit = rng.choice(["headline", "byline", "footer", "lede", "quotes", "whitespace", "tracking"])
        title = original["title"]
        if edit == "headline":
            words = title.split()
            rng.shuffle(words)
            title = " ".join(words[:-1]) + " " + rng.choice(self._common)
        elif edit == "byline":
            text = f"By {rng.choice(self._names)} {rng.choice(self._names)}, {self._outlets[outlet]}\n\n" + text
        elif edit == "footer":
            text += f"\n\nSign up for the {self._outlets[outlet]} morning briefing to get stories like this in your inbox."
        elif edit == "lede":
            text = text.split("\n\n", 1)[-1]
        elif edit == "quotes":
            text = text.replace('"', "“", 1).replace('"', "”", 1)
        elif edit == "whitespace":
            text = text.replace(". ", ".  ").replace("\n\n", "\n \n")
        url = f"https://{self._hosts[outlet]}/wire/{original['id']}-{n}"
        if edit == "tracking":
            url += "?utm_source=rss&utm_medium=feed"
        published = datetime.fromisoformat(original["published"]) + timedelta(minutes=rng.randint(1, 240))
        return {"id": f"{original['id']}-c{n}", "url": url, "title": title, "text": text,
                "published": published.isoformat(), "source": self._outlets[outlet], "language": "en"}

    def __iter__(self) -> Iterator[tuple[dict, dict]]:
        config, rng = self.config, self._rng
        start = config.start
        # Events start as a Poisson process whose rate yields the configured article rate.
        mean_per_start = (1 - config.noise_share) * config.mean_event_size + config.noise_share
        starts_per_day = config.articles_per_day / mean_per_start / (1 + config.syndication_rate * 1.5)
        clock = 0.0
        pending: list[tuple[float, int, dict, dict]] = []
        counter = emitted = events = 0
        while emitted < config.articles:
            clock += rng.expovariate(starts_per_day)
            while pending and pending[0][0] <= clock:
                _, _, record, truth = heapq.heappop(pending)
                yield record, truth
                emitted += 1
                if emitted >= config.articles:
                    return
            events += 1
            event = self._new_event(events, rng)
            size = 1 if rng.random() < config.noise_share else self._event_size(rng)
            lifetime = rng.expovariate(1 / config.event_days) + 0.05
            times = sorted(clock + min(lifetime, rng.expovariate(3 / lifetime)) for _ in range(size))
            for i, when in enumerate(times):
                if i and i % 5 == 0:
                    self._drift(event, rng)
                counter += 1
                outlet = rng.randrange(config.outlets)
                published = start + timedelta(days=when)
                record = {
                    "id": f"a{counter}",
                    "url": f"https://{self._hosts[outlet]}/{published:%Y/%m/%d}/{event.keywords[0]}-{counter}",
                    "title": self._title(event, rng, title_case=outlet % 3 == 0),
                    "text": self._article_text(event, rng),
                    "published": published.isoformat(),
                    "source": self._outlets[outlet],
                    "language": "en",
                }
                truth = {"id": record["id"], "event": event.event_id, "duplicate_of": None}
                heapq.heappush(pending, (when, counter, record, truth))
                if rng.random() < config.syndication_rate:
                    for n in range(1, rng.randint(1, 3) + 1):
                        copy = self._copy(record, rng.randrange(config.outlets), rng, n)
                        copy_truth = {"id": copy["id"], "event": event.event_id, "duplicate_of": record["id"]}
                        copy_when = (datetime.fromisoformat(copy["published"]) - start).total_seconds() / 86400
                        counter += 1
                        heapq.heappush(pending, (copy_when, counter, copy, copy_truth))
        # unreachable: the loop returns once enough articles were emitted


def _cumulative(weights: list[float]) -> Iterator[float]:
    total = 0.0
    for w in weights:
        total += w
        yield total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=StreamConfig().articles)
    parser.add_argument("--seed", type=int, default=StreamConfig().seed)
    parser.add_argument("--per-day", type=float, default=StreamConfig().articles_per_day)
    parser.add_argument("--out", default="-", help="JSONL path, or - for stdout")
    args = parser.parse_args(argv)
    stream = SyntheticStream(StreamConfig(articles=args.articles, seed=args.seed, articles_per_day=args.per_day))
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    with out:
        for record, truth in stream:
            out.write(json.dumps({**record, "event": truth["event"], "duplicate_of": truth["duplicate_of"]}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
