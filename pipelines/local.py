"""The pipeline as one in-process function, for `newsbeam cluster` and benchmarks.

It runs exactly the stages the Beam pipeline runs, in the same order, without a
runner's start-up and serialization costs; a test holds both to one answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from tqdm import tqdm

from newsbeam.connectors.records import RawRecord
from newsbeam.pipelines.assign import AssignConfig, Assignment, EventAliases, OnlineAssigner, assignment_key
from newsbeam.pipelines.features import featurize
from newsbeam.pipelines.normalize import NormalizeLimits, normalize_record
from newsbeam.schemas import Article, DeadLetter, RecordError

#: Merges are learnt from drained events; draining now and then keeps the
#: assigners from holding every aged-out event until the end of a long run.
_DRAIN_EVERY = 1000


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
    """Normalize, featurize and assign every record, per language in publication order.

    Decisions name each article's event as it stands at the end of the run: an
    event merged into another later on is reported under the survivor's id.
    """
    run = LocalRun()
    articles = list(tqdm(normalized(items, limits, run), desc="read", unit="record", disable=not progress or None))
    keys = [assignment_key(article, config) for article in articles]
    order = sorted(range(len(articles)), key=lambda i: (keys[i], articles[i].sort_key))
    assigners: dict[str, OnlineAssigner] = {}
    aliases = EventAliases()
    decided: dict[int, Assignment] = {}
    seen: set[str] = set()
    for step, i in enumerate(tqdm(order, desc="cluster", unit="article", disable=not progress or None), 1):
        article = articles[i]
        if article.id in seen:
            run.dead_letters.append(DeadLetter.of("assign", "duplicate_id", "an earlier record in this run has the same id",
                                                  article.url or article.id, article.to_json()))
            continue
        seen.add(article.id)
        assigner = assigners.get(keys[i])
        if assigner is None:
            assigner = assigners[keys[i]] = OnlineAssigner(config)
        decided[i] = assigner.process(article, featurize(article, config.features))
        if step % _DRAIN_EVERY == 0:
            aliases.update(assigner.drain_events())
    for assigner in assigners.values():
        aliases.update(assigner.drain_events())
    run.decisions = [(articles[i], replace(decided[i], event_id=aliases.resolve(decided[i].event_id)))
                     for i in range(len(articles)) if i in decided]
    return run
