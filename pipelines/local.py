"""The pipeline as one in-process function, for `newsbeam cluster` and benchmarks.

It runs exactly the stages the Beam pipeline runs, in the same order, without a
runner's start-up and serialization costs; a test holds both to one answer.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, islice

from tqdm import tqdm

from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.sinks import IndexedArticle
from newsbeam.pipelines.assign import AssignConfig, Assignment, assignment_key
from newsbeam.pipelines.core import AssignmentCore
from newsbeam.pipelines.features import ArticleFeatures, FeatureConfig, featurize
from newsbeam.pipelines.normalize import NormalizeLimits, normalize_record
from newsbeam.schemas import Article, DeadLetter, RecordError

#: Merges are learnt from drained events; draining now and then keeps the
#: assigners from holding every aged-out event until the end of a long run.
_DRAIN_EVERY = 1000
#: Below this many articles, starting worker processes costs more than it saves.
_PARALLEL_FROM = 2_000
#: Articles per task sent to a featurizing worker.
_CHUNK = 250


@contextmanager
def rare_collections(threshold: int = 50_000) -> Iterator[None]:
    """Run the block with the garbage collector's youngest generation `threshold` objects big.

    The assignment holds hundreds of thousands of long-lived containers
    (centroids, postings, dedup keys) and allocates a few hundred short-lived
    ones per article. At the default threshold (700) the collector ran every
    couple of articles and kept promoting survivors into full collections that
    walk the whole hot state: 7% of the assignment's time. The state makes no
    reference cycles that need collecting promptly.
    """
    before = gc.get_threshold()
    gc.set_threshold(threshold, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


@dataclass(slots=True)
class LocalRun:
    """Decisions in input order, plus what was rejected."""

    decisions: list[tuple[Article, Assignment]] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)

    def standing(self) -> list[Assignment]:
        """The decisions that stand as the run ends: one per id, of its newest version, none for an id
        whose newest version is a kill. Earlier versions' decisions and killed items' events are not
        counted, as the index holds none of them."""
        newest: dict[str, tuple[int, Assignment]] = {}
        for article, decision in self.decisions:
            version = article.version or 0
            if article.id not in newest or version >= newest[article.id][0]:
                newest[article.id] = (version, decision)
        return [decision for _, decision in newest.values() if decision.event_id]


def normalized(items: Iterable[RawRecord | DeadLetter], limits: NormalizeLimits, run: LocalRun) -> Iterator[Article]:
    """The articles of `items`, in order; what is rejected goes to `run.dead_letters`."""
    return _articles_of((_normalized_one(item, limits) for item in items), run)


def _articles_of(outcomes: Iterable[Article | DeadLetter], run: LocalRun) -> Iterator[Article]:
    """The articles among `outcomes`, in order; the dead letters go to `run.dead_letters`."""
    for outcome in outcomes:
        if isinstance(outcome, DeadLetter):
            run.dead_letters.append(outcome)
        else:
            yield outcome


def _normalized_one(item: RawRecord | DeadLetter, limits: NormalizeLimits) -> Article | DeadLetter:
    if isinstance(item, DeadLetter):
        return item
    try:
        return normalize_record(item.data, limits=limits)
    except RecordError as error:
        return DeadLetter.of("normalize", error.reason, error.detail, item.origin, item.data)


def _normalized_in_workers(
    items: Iterable[RawRecord | DeadLetter], limits: NormalizeLimits, run: LocalRun, workers: int
) -> Iterator[Article]:
    """`normalized(items, ...)`, with long inputs normalized in `workers` processes (`normalize_all`)."""
    return _articles_of(normalize_all(items, limits, workers), run)


def normalize_all(
    items: Iterable[RawRecord | DeadLetter], limits: NormalizeLimits, workers: int
) -> Iterator[Article | DeadLetter]:
    """The article or the dead letter of each item, in input order; long inputs in `workers` processes.

    Reading must finish before the assignment can start (articles are assigned
    in publication order, not input order), so normalizing in this process alone
    left the other cores idle for a fifth of a run. Records go out and articles
    come back in chunks, in input order, with a bounded number in flight.
    """
    items = iter(items)
    head = list(islice(items, _PARALLEL_FROM))
    if not _parallel(workers, len(head)):
        yield from (_normalized_one(item, limits) for item in chain(head, items))
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        chunks = chunked(chain(head, items), _CHUNK)
        yield from chain.from_iterable(in_order(pool, partial(_normalize_chunk, limits=limits), chunks, 2 * workers))


def _normalize_chunk(chunk: list[RawRecord | DeadLetter], limits: NormalizeLimits) -> list[Article | DeadLetter]:
    return [_normalized_one(item, limits) for item in chunk]


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of `size` items (the last one shorter), read lazily."""
    items = iter(items)
    while chunk := list(islice(items, size)):
        yield chunk


def _parallel(workers: int, articles: int) -> bool:
    """Whether worker processes pay for themselves here."""
    return workers > 1 and articles >= _PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods()


def in_order(pool, function, tasks: Iterable, in_flight: int) -> Iterator:
    """`function(task)` for each task, computed in `pool`, yielded in task order.

    At most `in_flight` tasks are queued before the oldest result is taken: when
    the caller is the slower side, memory stays flat instead of filling with
    finished results.
    """
    pending: deque = deque()
    for task in tasks:
        pending.append(pool.apply_async(function, (task,)))
        if len(pending) > in_flight:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def assign_locally(
    items: Iterable[RawRecord | DeadLetter],
    *,
    config: AssignConfig = AssignConfig(),
    limits: NormalizeLimits = NormalizeLimits(),
    progress: bool = False,
    workers: int = 1,
) -> LocalRun:
    """Normalize, featurize and assign every record, per language in publication order.

    Decisions name each article's event as it stands at the end of the run: an
    event merged into another later on is reported under the survivor's id, and
    no version of a wire item its newest version killed is in any event.
    With `workers` > 1, records are normalized, then featurized, in that many
    processes while this one assigns them; the decisions are the same.
    """
    with rare_collections():
        return _assign_locally(items, config, limits, progress, workers)


def _assign_locally(
    items: Iterable[RawRecord | DeadLetter], config: AssignConfig, limits: NormalizeLimits, progress: bool,
    workers: int,
) -> LocalRun:
    run = LocalRun()
    articles = list(tqdm(_normalized_in_workers(items, limits, run, workers), desc="read", unit="record",
                         disable=not progress or None))
    keys = [assignment_key(article, config) for article in articles]
    order = sorted(range(len(articles)), key=lambda i: (keys[i], articles[i].sort_key))
    core = AssignmentCore(config)
    decided: dict[int, IndexedArticle] = {}
    featured = features_in_order(articles, order, config.features, workers)
    for step, (i, features) in enumerate(tqdm(featured, total=len(order), desc="cluster", unit="article",
                                             disable=not progress or None), 1):
        outcome = core.offer(keys[i], articles[i], features)
        if isinstance(outcome, DeadLetter):
            run.dead_letters.append(outcome)
        else:
            decided[i] = outcome
        if step % _DRAIN_EVERY == 0:
            core.drain_events([keys[i]])
    core.drain_events()
    run.decisions = _as_they_stand([(articles[i], _decision_of(decided[i], core))
                                    for i in range(len(articles)) if i in decided])
    return run


def _as_they_stand(decisions: list[tuple[Article, Assignment]]) -> list[tuple[Article, Assignment]]:
    """`decisions` with every version of an item killed by its newest version in no event: the
    event it was in has lost it (and, when it was alone there, is gone)."""
    newest: dict[str, Article] = {}
    for article, _ in decisions:
        if article.version is not None and (article.id not in newest or article.version >= newest[article.id].version):
            newest[article.id] = article
    killed = {article_id for article_id, article in newest.items() if article.withdrawn}
    return [(article, Assignment(article.id, "", None) if article.id in killed else decision)
            for article, decision in decisions]


def _decision_of(item: IndexedArticle, core: AssignmentCore) -> Assignment:
    """The decision as the run ends: its event under the id that survived every merge."""
    return Assignment(item.article.id, core.resolve(item.event_id), item.duplicate_of)


def features_in_order(
    articles: Sequence[Article], order: Sequence[int], config: FeatureConfig, workers: int
) -> Iterator[tuple[int, ArticleFeatures]]:
    """(i, features of `articles[i]`) for each i of `order`, featurized in `workers` processes.

    Featurizing is most of the work and independent per article, while the
    assignment must see articles one at a time, in order. The workers are
    forked once the articles are read, so they inherit them instead of
    receiving them pickled; only the features travel back. A bounded window of
    chunks in flight keeps memory flat when the assignment is the slower side.
    """
    if not _parallel(workers, len(order)):
        for i in order:
            yield i, featurize(articles[i], config)
        return
    chunks = [order[start : start + _CHUNK] for start in range(0, len(order), _CHUNK)]
    # Objects alive before the fork are never garbage: frozen, the workers'
    # collections skip them instead of touching (and so copying) their pages.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers, _adopt, (articles, config)) as pool:
            for chunk, features in zip(chunks, in_order(pool, _featurize_chunk, chunks, 2 * workers)):
                yield from zip(chunk, features)
    finally:
        gc.unfreeze()


#: A worker's view of the run: the articles and the feature settings, inherited at fork.
_adopted: tuple[Sequence[Article], FeatureConfig] | None = None


def _adopt(articles: Sequence[Article], config: FeatureConfig) -> None:
    global _adopted
    _adopted = (articles, config)


def _featurize_chunk(chunk: Sequence[int]) -> list[ArticleFeatures]:
    articles, config = _adopted
    return [featurize(articles[i], config) for i in chunk]
