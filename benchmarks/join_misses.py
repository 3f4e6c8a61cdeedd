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

Two more views of the same run. `--merges` lists the merge pass's merges that
mixed gold events (`--merges all`: every merge), with the pair's score against
its bar, whether it was judged at the join bar (the second look at small events),
the terms the two shared and the events' headlines. `--spread 80 90 100 110 120`
clusters the stream as `newsbeam cluster` does once per merge cadence and prints
B-cubed for each: on a small stream the cadence reshuffles which events meet in
which pass, so the spread over cadences that should not matter is the noise a
change must stand out of. `--roots` charges the B-cubed precision lost to the
decision that first put two gold events in one event (every later pair of their
articles that ends up together is charged to it) and sums the charges by kind of
decision: a join (by the size of the event joined), a join at the lone-event bar,
a second-look merge or a merge of grown events.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field, replace

from benchmarks.quality import bcubed, run
from newsbeam.connectors.records import RawRecord
from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner, assignment_key
from newsbeam.pipelines.cluster import OnlineClusterer
from newsbeam.pipelines.cluster.clusterer import EventState
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
    #: The article's terms, heaviest first, that the event's core (what the article
    #: was compared with) holds, that only the centroid below the core holds (they
    #: add nothing to the score), and that the centroid lacks.
    shared: list[str] = field(default_factory=list)
    below_core: list[str] = field(default_factory=list)
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
        self.merges: list[dict] = []
        #: Every join and merge, in order: its kind, the article ids on either side
        #: (the article or younger event; the event it went into), score, bar, time factor.
        self.decisions: list[dict] = []

    def assign(self, article: Article, features: ArticleFeatures) -> str:
        self.article = article
        return super().assign(article, features)

    def _best_event(self, vector: dict[str, float], when) -> tuple[str | None, float]:
        chosen = super()._best_event(vector, when)
        candidates = []
        config = self.config
        for event_id in self._candidates(vector):
            event = self.events[event_id]
            labels = Counter(self.gold.get(a, "?") for a in event.article_ids)
            size = min(max(config.core_terms_min, int(config.core_terms_per_article_term * len(vector))),
                       len(event.prefix_norms))
            core = event.core(size)
            candidates.append(Candidate(event_id, self.similarity(vector, event), self._time_factor(event, when),
                                        event.members, labels, [t for t in vector if t in core],
                                        [t for t in vector if t in event.centroid and t not in core],
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

    def _join(self, event: EventState, article: Article, vector: dict[str, float], cosine: float,
              names: tuple[str, ...]) -> None:
        candidates, _, bar, chosen = self.seen[article.id]
        if chosen is not None:
            mate = next(c for c in candidates if c.event_id == chosen)
            self.decisions.append({
                "kind": "join", "sides": ([article.id], list(event.article_ids)), "members": event.members,
                "lone": mate.score < bar, "score": round(mate.score, 3), "bar": round(bar, 3),
                "time_factor": round(mate.decay, 3), "shared": [self._surface.get(t, t) for t in mate.shared[:8]],
                "titles": (article.title, event.title),
            })
        super()._join(event, article, vector, cosine, names)

    def _merge(self, a: EventState, b: EventState) -> None:
        # The pass merges the changed event `a` into its best neighbour `b`.
        top = {term: a.centroid[term] for term in a.indexed_terms}
        score, bar = self._merge_score(a, top, b)
        labels = [Counter(self.gold.get(x, "?") for x in e.article_ids) for e in (a, b)]
        pairs = len(a.article_ids) * len(b.article_ids)
        self.decisions.append({
            "kind": "merge", "sides": (list(a.article_ids), list(b.article_ids)), "members": (a.members, b.members),
            "second_look": self._second_look(a, b, self._gap_factor(a, b)), "score": round(score, 3),
            "bar": round(bar, 3), "time_factor": round(self._gap_factor(a, b), 3),
            "shared": [self._surface.get(t, t) for t in top if t in b.centroid][:8], "titles": (a.title, b.title),
        })
        self.merges.append({
            "purity": round(sum(labels[0][k] * labels[1][k] for k in labels[0]) / pairs, 3) if pairs else 1.0,
            "members": (a.members, b.members), "score": round(score, 3), "bar": round(bar, 3),
            "second_look": self._second_look(a, b, self._gap_factor(a, b)),
            "shared": [self._surface.get(t, t) for t in top if t in b.centroid][:8],
            "titles": (a.title, b.title),
        })
        super()._merge(a, b)


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


def misses(records: list[dict], gold: dict[str, str], watched=None) -> tuple[list[dict], dict[str, float]]:
    """The missed joins whose right event was a candidate, and the articles whose right
    event was hot but no candidate (id → that event's score / bar)."""
    clusterers, articles, final = watched or watch(records, gold)
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
            "shared": words(mate.shared), "below_core": words(mate.below_core), "lacking": words(mate.lacking),
        })
    return out, unreached


def decision_kind(decision: dict) -> str:
    """What kind of decision a join or merge was, as `--roots` sums them."""
    if decision["kind"] == "merge":
        return "merge, second look" if decision["second_look"] else "merge of grown events"
    if decision["lone"]:
        return "join at the lone-event bar"
    return f"join into an event of {min(decision['members'], 3)}{'+' if decision['members'] >= 3 else ''}"


def precision_roots(clusterers, final: dict[str, str], gold: dict[str, str]) -> tuple[list[dict], float, float]:
    """(The decisions that first put two gold events together, each with the B-cubed
    precision its pairs cost in the final clustering, most first; the precision lost in
    all; the part no decision accounts for).

    B-cubed precision loses 2 / (|C| × N) for each pair of articles of different gold
    events that share a final event C. Each such pair is charged to the first join or
    merge that brought an article of one of the two gold events together with one of
    the other: later joins into an already mixed event only repeat that decision.
    """
    roots: dict[frozenset, tuple[int, int]] = {}
    decisions = [d for c in clusterers for d in c.decisions]
    for n, decision in enumerate(decisions):
        joined, into = decision["sides"]
        for x in joined:
            for y in into:
                if gold.get(x) != gold.get(y):
                    roots.setdefault(frozenset((gold.get(x), gold.get(y))), n)
    members: dict[str, list[str]] = {}
    for article_id, event in final.items():
        members.setdefault(event, []).append(article_id)
    charged: Counter = Counter()
    lost = 0.0
    for ids in members.values():
        for i, x in enumerate(ids):
            for y in ids[i + 1:]:
                if gold.get(x) != gold.get(y):
                    cost = 2.0 / (len(ids) * len(final))
                    lost += cost
                    charged[roots.get(frozenset((gold.get(x), gold.get(y))), -1)] += cost
    found = [dict(decisions[n], cost=cost) for n, cost in charged.most_common() if n >= 0]
    return found, lost, charged.get(-1, 0.0)


def print_roots(found: list[dict], lost: float, other: float) -> None:
    """The precision lost by kind of decision, then each root decision, dearest first."""
    print(f"B-cubed precision lost: {lost:.4f} ({len(found)} decisions first joined two gold events; "
          f"{other:.4f} in pairs no decision joined, such as a copy labelled apart from its original)")
    by_kind: dict[str, list[dict]] = {}
    for decision in found:
        by_kind.setdefault(decision_kind(decision), []).append(decision)
    for kind, decisions in sorted(by_kind.items(), key=lambda kv: -sum(d["cost"] for d in kv[1])):
        print(f"  {kind}: {len(decisions)}, {sum(d['cost'] for d in decisions):.4f}")
    for d in found:
        print(f"{d['cost']:.4f} {decision_kind(d)}, score {d['score']:.3f} / bar {d['bar']:.3f}, time factor "
              f"{d['time_factor']:.2f}: {', '.join(d['shared'])}\n    {(d['titles'][0] or '')[:60]}  |  "
              f"{(d['titles'][1] or '')[:60]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("records")
    parser.add_argument("labels")
    parser.add_argument("--summary", action="store_true", help="counts and the score distribution only")
    parser.add_argument("--json", help="write every miss as a JSON line here")
    parser.add_argument("--merges", nargs="?", const="mixed", choices=("mixed", "all"),
                        help="list the merge pass's merges that mixed gold events (or all of them)")
    parser.add_argument("--spread", nargs="+", type=int, metavar="CADENCE",
                        help="B-cubed of `newsbeam cluster` at each of these merge cadences, and nothing else")
    parser.add_argument("--roots", action="store_true",
                        help="the precision lost, charged to the decisions that first joined two gold events")
    args = parser.parse_args(argv)
    with open(args.records, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    with open(args.labels, encoding="utf-8") as handle:
        gold = {str(d["id"]): str(d["event"]) for d in map(json.loads, filter(str.strip, handle))}
    if args.spread:
        print_spread(records, gold, args.spread)
        return 0
    watched = watch(records, gold)
    if args.roots:
        print_roots(*precision_roots(watched[0], watched[2], gold))
        return 0
    if args.merges:
        print_merges([m for c in watched[0] for m in c.merges], everything=args.merges == "all")
    found, unreached = misses(records, gold, watched)
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
                  f"    shares {', '.join(m['shared'])}\n    below the core {', '.join(m['below_core'])}\n"
                  f"    lacks  {', '.join(m['lacking'])}")
    return 0


def print_merges(merges: list[dict], everything: bool = False) -> None:
    """The merges, those that mixed gold events (purity < 1) first, lowest score over bar first."""
    mixed = [m for m in merges if m["purity"] < 1.0]
    print(f"merges: {len(merges)}; mixing gold events: {len(mixed)} (of them judged at the join bar: "
          f"{sum(m['second_look'] for m in mixed)}); share of same-event pairs under 0.5: "
          f"{sum(m['purity'] < 0.5 for m in merges)}")
    for m in sorted(merges if everything else mixed, key=lambda m: (m["purity"] >= 1.0, m["score"] / m["bar"])):
        print(f"purity {m['purity']:.2f}, {m['members'][0]} + {m['members'][1]} members, score {m['score']:.3f} "
              f"/ bar {m['bar']:.3f}{' (second look)' if m['second_look'] else ''}: {', '.join(m['shared'])}\n"
              f"    {m['titles'][0][:60]}  |  {m['titles'][1][:60]}")


def print_spread(records: list[dict], gold: dict[str, str], cadences: list[int]) -> None:
    """B-cubed P / R / F1 of `newsbeam cluster`'s decisions at each merge cadence, and their mean F1."""
    config = AssignConfig()
    scores = []
    for every in cadences:
        decided = run(records, replace(config, cluster=replace(config.cluster, merge_every=every)))
        scores.append(bcubed({article_id: event for article_id, (event, _) in decided.items()}, gold))
        print(f"merge every {every}: B-cubed P / R / F1 {' / '.join(f'{x:.4f}' for x in scores[-1])}")
    print(f"mean F1 {statistics.mean(s[2] for s in scores):.4f}, range {min(s[2] for s in scores):.4f}"
          f"–{max(s[2] for s in scores):.4f}")


if __name__ == "__main__":
    sys.exit(main())
