"""The pipeline as one in-process function, for `newsbeam cluster` and benchmarks.

It runs exactly the stages the Beam pipeline runs, in the same order, without a
runner's start-up and serialization costs; a test holds both to one answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tqdm import tqdm

from newsbeam.connectors.records import RawRecord
from newsbeam.pipelines.assign import AssignConfig, Assignment, OnlineAssigner
from newsbeam.pipelines.features import featurize
from newsbeam.pipelines.normalize import NormalizeLimits, normalize_record
from newsbeam.schemas import Article, DeadLetter, RecordError


@dataclass(slots=True)
class LocalRun:
    """Decisions in input order, plus what was rejected."""

    decisions: list[tuple[Article, Assignment]] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


def normalized(items: Iterable[RawRecord | DeadLetter], limits: NormalizeLimits, run: LocalRun) -> Iterator[Article]:
    for item in items:
        if isinstance(item, DeadLetter):
            run.dead_letters.append(item)
            continue
        try:
            yield normalize_record(item.data, limits=limits)
        except RecordError as error:
            run.dead_letters.append(DeadLetter.of("normalize", error.reason, error.detail, item.origin, item.data))


def assign_locally(
    items: Iterable[RawRecord | DeadLetter],
    *,
    config: AssignConfig = AssignConfig(),
    limits: NormalizeLimits = NormalizeLimits(),
    progress: bool = False,
) -> LocalRun:
    """Normalize, featurize and assign every record, per language in publication order."""
    run = LocalRun()
    articles = list(tqdm(normalized(items, limits, run), desc="read", unit="record", disable=not progress or None))
    order = sorted(range(len(articles)), key=lambda i: (articles[i].language, articles[i].sort_key))
    assigners: dict[str, OnlineAssigner] = {}
    decided: dict[int, Assignment] = {}
    seen: set[str] = set()
    for i in tqdm(order, desc="cluster", unit="article", disable=not progress or None):
        article = articles[i]
        if article.id in seen:
            run.dead_letters.append(DeadLetter.of("assign", "duplicate_id", "an earlier record in this run has the same id",
                                                  article.url or article.id, article.to_json()))
            continue
        seen.add(article.id)
        assigner = assigners.setdefault(article.language, OnlineAssigner(config))
        decided[i] = assigner.process(article, featurize(article, config.features))
    run.decisions = [(articles[i], decided[i]) for i in range(len(articles)) if i in decided]
    return run
