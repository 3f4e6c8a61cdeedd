"""Missed joins of the online clusterer on a labelled stream, with their scores.

Runs the same stages as `newsbeam cluster` over `RECORDS.jsonl` (gold events in
`LABELS.jsonl`) with a clusterer that, for every original, notes the scores of
its candidate events as it is assigned. An article *misses* when a hot
event already held an article of its gold event and it joined none such (it
opened an event, or joined another story's). For each miss it prints the score
of the right event against the bar, its rank among the candidates, the best
score and whose event that was, and the heaviest terms the article shares with
the right event's centroid and those it lacks:

    python -m benchmarks.join_misses ../shared/corpus/allsides_dev.jsonl ../shared/corpus/allsides_dev.labels.jsonl

`--summary` prints only the counts and the distribution of the right event's
score as a share of the bar; `--json PATH` writes every miss as a JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field

from newsbeam.connectors.records import RawRecord
from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner, assignment_key
from newsbeam.pipelines.cluster import OnlineClusterer
from newsbeam.pipelines.core import AssignmentCore
from newsbeam.pipelines.features import ArticleFeatures, featurize
from newsbeam.pipelines.local import LocalRun, normalized
from newsbeam.pipelines.normalize import NormalizeLimits
from newsbeam.schemas import Article


@dataclass(slots=True)
class Candidate:
    event_id: str
    cosine: float
    decay: float
    members: int
    #: Gold labels of the event's articles at that moment.
    labels: Counter = field(default_factory=Counter)
    #: The article's terms, heaviest first, that the event's centroid holds and lacks.
    shared: list[str] = field(default_factory=list)
    lacking: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.cosine * self.decay


class WatchedClusterer(OnlineClusterer):
    """An `OnlineClusterer` that notes each article's candidate scores before it is assigned."""

    def __init__(self, config, gold: dict[str, str]) -> None:
        super().__init__(config)
        self.gold = gold
        self.article: Article | None = None
        self.seen: dict[str, tuple[list[Candidate], dict[str, float], float, str | None]] = {}
        #: Article id → the best time-damped score / bar among the hot events holding
        #: an article of its gold event, when none of them was a candidate.
        self.unreached: dict[str, float] = {}

    def assign(self, article: Article, features: ArticleFeatures) -> str:
        self.article = article
        return super().assign(article, features)

    def _best_event(self, vector: dict[str, float], when) -> tuple[str | None, float]:
        chosen = super()._best_event(vector, when)
        candidates = []
        for event_id in self._candidates(vector):
            event = self.events[event_id]
            labels = Counter(self.gold.get(a, "?") for a in event.article_ids)
            candidates.append(Candidate(event_id, self.similarity(vector, event), self._time_factor(event, when),
                                        event.members, labels, [t for t in vector if t in event.centroid],
                                        [t for t in vector if t not in event.centroid]))
        candidates.sort(key=lambda c: c.score, reverse=True)
        bar = self.threshold_for(len(vector))
        self.seen[self.article.id] = (candidates, vector, bar, chosen[0])
        label = self.gold.get(self.article.id)
        if not any(c.labels.get(label) for c in candidates):
            mates = [e for e in self.events.values() if any(self.gold.get(a) == label for a in e.article_ids)]
            if mates:
                self.unreached[self.article.id] = max(
                    self.similarity(vector, e) * self._time_factor(e, when) for e in mates) / bar
        return chosen


def watch(records: list[dict], gold: dict[str, str], config: AssignConfig = AssignConfig()):
    """Assign `records` as `newsbeam cluster` does; the watched clusterers and the final decisions."""
    clusterers: list[WatchedClusterer] = []

    def load(key: str) -> OnlineAssigner:
        assigner = OnlineAssigner(config)
        assigner.clusterer = WatchedClusterer(config.cluster, gold)
        clusterers.append(assigner.clusterer)
        return assigner

    run = LocalRun()
    articles = list(normalized((RawRecord(f"record {n}", r) for n, r in enumerate(records, 1)),
                               NormalizeLimits(), run))
    keys = [assignment_key(article, config) for article in articles]
    core = AssignmentCore(config, load)
    decided = {}
    for i in sorted(range(len(articles)), key=lambda i: (keys[i], articles[i].sort_key)):
        outcome = core.offer(keys[i], articles[i], featurize(articles[i], config.features))
        decided[articles[i].id] = outcome
        core.drain_events()
    final = {article_id: core.resolve(outcome.event_id) for article_id, outcome in decided.items()}
    return clusterers, articles, final


def misses(records: list[dict], gold: dict[str, str]) -> tuple[list[dict], dict[str, float]]:
    """The missed joins whose right event was a candidate, and the articles whose right
    event was hot but no candidate (id → that event's score / bar)."""
    clusterers, articles, final = watch(records, gold)
    unreached = {k: v for c in clusterers for k, v in c.unreached.items()}
    seen = {k: v for c in clusterers for k, v in c.seen.items()}
    surface = {k: v for c in clusterers for k, v in c._surface.items()}

    def words(terms: list[str]) -> list[str]:
        return [surface.get(t, t) for t in terms[:8]]

    by_id = {a.id: a for a in articles}
    out = []
    for article_id, (candidates, vector, bar, chosen) in seen.items():
        label = gold.get(article_id)
        right = [c for c in candidates if c.labels.get(label)]
        if not right:
            continue
        best = candidates[0]
        if chosen is not None and next(c for c in candidates if c.event_id == chosen).labels.get(label):
            continue
        mate = right[0]
        out.append({
            "id": article_id, "title": by_id[article_id].title, "terms": len(vector), "bar": round(bar, 3),
            "right_score": round(mate.score, 3), "right_share_of_bar": round(mate.score / bar, 3),
            "right_cosine": round(mate.cosine, 3), "right_decay": round(mate.decay, 3),
            "right_rank": candidates.index(mate) + 1, "right_members": mate.members,
            "best_score": round(best.score, 3), "best_is_right": best is mate,
            "runner_up_ratio": round(best.score / candidates[1].score, 2) if len(candidates) > 1
            and candidates[1].score > 0 else None,
            "opened": chosen is None,
            "in_final_event_with_mates": any(final[o] == final[article_id] for o in gold
                                             if o != article_id and gold[o] == label and o in final),
            "shared": words(mate.shared), "lacking": words(mate.lacking),
        })
    return out, unreached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("records")
    parser.add_argument("labels")
    parser.add_argument("--summary", action="store_true", help="counts and the score distribution only")
    parser.add_argument("--json", help="write every miss as a JSON line here")
    args = parser.parse_args(argv)
    with open(args.records, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    with open(args.labels, encoding="utf-8") as handle:
        gold = {str(d["id"]): str(d["event"]) for d in map(json.loads, filter(str.strip, handle))}
    found, unreached = misses(records, gold)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(m) + "\n" for m in found)
    shares = [m["right_share_of_bar"] for m in found]
    print(f"missed joins: {len(found)} (opened an event: {sum(m['opened'] for m in found)}; right event "
          f"ranked first: {sum(m['best_is_right'] for m in found)}; reunited by a merge: "
          f"{sum(m['in_final_event_with_mates'] for m in found)})")
    if shares:
        print(f"right event's score / bar: median {statistics.median(shares):.2f}, quartiles "
              f"{' / '.join(f'{q:.2f}' for q in statistics.quantiles(shares, n=4))}")
    if unreached:
        print(f"right event hot but not a candidate: {len(unreached)} (its score / bar at most "
              f"{max(unreached.values()):.2f}, median {statistics.median(unreached.values()):.2f})")
    if not args.summary:
        for m in sorted(found, key=lambda m: -m["right_share_of_bar"]):
            print(f"{m['right_share_of_bar']:.2f} of bar {m['bar']:.3f} (cos {m['right_cosine']:.2f} × "
                  f"{m['right_decay']:.2f}, rank {m['right_rank']}, {m['right_members']} members; best "
                  f"{m['best_score']:.3f}{' right' if m['best_is_right'] else ''}, ratio {m['runner_up_ratio']}"
                  f"{', merged later' if m['in_final_event_with_mates'] else ''}) {m['title'][:70]}\n"
                  f"    shares {', '.join(m['shared'])}\n    lacks  {', '.join(m['lacking'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
