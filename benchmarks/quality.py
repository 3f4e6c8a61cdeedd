"""Clustering and dedup quality of the default configuration on labelled streams.

Runs the same stages as `newsbeam cluster` (normalize → featurize → online
assignment in publication order) over labelled JSONL files and prints B-cubed
precision/recall/F1 per data set, plus dedup precision/recall where the truth
says which articles are copies:

    python -m benchmarks.quality tests/fixtures/uci_dev.jsonl:tests/fixtures/uci_dev.labels.jsonl \\
        tests/quality/fixtures/fulltext_events.jsonl --synthetic 20000

A data set is `RECORDS.jsonl[:LABELS.jsonl]`; without a labels file the truth is
read from each record's own `event` (and optional `duplicate_of`) field.

`--one-event PATH` checks articles known to tell one event in several outlets'
own words (JSON Lines, or a folder of `.txt`/`.html`), such as the development
corpus's real seed articles, which stay outside the project:

    python -m benchmarks.quality --one-event ../shared/corpus/seed_call.jsonl \\
        --one-event ../shared/corpus/seed_call

Each prints its event and duplicate counts; the exit status is 1 unless every
such set is one event without duplicates.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from newsbeam.connectors.files import read_path
from newsbeam.connectors.records import RawRecord
from newsbeam.pipelines.assign import AssignConfig
from newsbeam.pipelines.local import assign_locally


@dataclass(frozen=True, slots=True)
class Scores:
    articles: int
    events: int
    gold_events: int
    precision: float
    recall: float
    f1: float
    dedup_precision: float | None = None
    dedup_recall: float | None = None

    def to_json(self) -> dict:
        return {key: (round(value, 4) if isinstance(value, float) else value)
                for key, value in ((k, getattr(self, k)) for k in self.__dataclass_fields__)}


def bcubed(predicted: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering against gold labels."""
    by_predicted, by_gold = defaultdict(set), defaultdict(set)
    for item, label in gold.items():
        by_predicted[predicted[item]].add(item)
        by_gold[label].add(item)
    precision = recall = 0.0
    for item, label in gold.items():
        same = len(by_predicted[predicted[item]] & by_gold[label])
        precision += same / len(by_predicted[predicted[item]])
        recall += same / len(by_gold[label])
    precision, recall = precision / len(gold), recall / len(gold)
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def run(records: Iterable[dict], config: AssignConfig = AssignConfig()) -> dict[str, tuple[str, str | None]]:
    """Article id → (event id, duplicate_of), exactly as `newsbeam cluster` decides."""
    items = (RawRecord(f"record {n}", record) for n, record in enumerate(records, 1))
    return {article.id: (decision.event_id, decision.duplicate_of)
            for article, decision in assign_locally(items, config=config).decisions}


_TRUTH_FIELDS = ("event", "duplicate_of")


def evaluate(records: list[dict], gold: dict[str, str], copies: dict[str, str] | None = None,
             config: AssignConfig = AssignConfig()) -> Scores:
    """Score one labelled stream; `copies` maps each true duplicate to its original."""
    inputs = [{k: v for k, v in record.items() if k not in _TRUTH_FIELDS} for record in records]
    decided = run(inputs, config)
    predicted = {item: decided[item][0] for item in gold}
    precision, recall, f1 = bcubed(predicted, gold)
    dedup_precision = dedup_recall = None
    if copies is not None:
        flagged = {item for item, (_, original) in decided.items() if original}
        hits = sum(1 for item in flagged if item in copies)
        dedup_precision = hits / len(flagged) if flagged else 1.0
        dedup_recall = hits / len(copies) if copies else 1.0
    return Scores(len(gold), len(set(predicted.values())), len(set(gold.values())), precision, recall, f1,
                  dedup_precision, dedup_recall)


def one_event(path: str) -> dict:
    """How `newsbeam cluster` groups articles that tell one event: right when they form one
    event (`events` 1) and none is taken for a copy of another (`duplicates` 0)."""
    decided = assign_locally(read_path(path))
    return {"dataset": path, "articles": len(decided.decisions),
            "events": len({decision.event_id for _, decision in decided.decisions}),
            "duplicates": sum(1 for _, decision in decided.decisions if decision.duplicate_of),
            "rejected": len(decided.dead_letters)}


def load(spec: str) -> tuple[list[dict], dict[str, str], dict[str, str] | None]:
    """Records, gold events and (when known) true copies from `RECORDS[:LABELS]`."""
    path, _, labels_path = spec.partition(":")
    with open(path, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    if labels_path:
        with open(labels_path, encoding="utf-8") as handle:
            gold = {str(d["id"]): str(d["event"]) for d in map(json.loads, filter(str.strip, handle))}
        return records, gold, None
    gold = {str(r["id"]): str(r["event"]) for r in records}
    copies = {str(r["id"]): str(r["duplicate_of"]) for r in records if r.get("duplicate_of")}
    return records, gold, copies if "duplicate_of" in records[0] else None


def synthetic(articles: int, seed: int = 11) -> tuple[list[dict], dict[str, str], dict[str, str]]:
    """A labelled synthetic full-text stream (see benchmarks/synthetic.py)."""
    from benchmarks.synthetic import StreamConfig, SyntheticStream

    records, gold, copies = [], {}, {}
    for record, truth in SyntheticStream(StreamConfig(articles=articles, seed=seed)):
        records.append(record)
        gold[record["id"]] = truth["event"]
        if truth["duplicate_of"]:
            copies[record["id"]] = truth["duplicate_of"]
    return records, gold, copies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="*", help="RECORDS.jsonl[:LABELS.jsonl]")
    parser.add_argument("--synthetic", type=int, default=0, help="also score a synthetic stream of N articles")
    parser.add_argument("--one-event", action="append", default=[], metavar="PATH",
                        help="articles that tell one event: check they form one event without duplicates")
    args = parser.parse_args(argv)
    sets = [(spec, *load(spec)) for spec in args.datasets]
    if args.synthetic:
        sets.append((f"synthetic:{args.synthetic}", *synthetic(args.synthetic)))
    for name, records, gold, copies in sets:
        print(json.dumps({"dataset": name, **evaluate(records, gold, copies).to_json()}))
        sys.stdout.flush()
    checks = [one_event(path) for path in args.one_event]
    for check in checks:
        print(json.dumps(check))
    return 0 if all((c["events"], c["duplicates"], c["rejected"]) == (1, 0, 0) for c in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
