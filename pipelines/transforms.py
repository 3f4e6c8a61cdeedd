"""Beam transforms around the plain-Python stages; batch and streaming compose them.

Each transform that can reject a record has a main output and a `dead` output of
`DeadLetter`s, and counts what it did in Beam metrics under the `newsbeam`
namespace, so summaries and monitoring read one set of counters.
"""

from __future__ import annotations

import functools
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils.windowed_value import WindowedValue
from tqdm import tqdm

from newsbeam.connectors.records import RawRecord, ReadItem
from newsbeam.connectors.sinks import BackendSettings, StateChanges, open_backend
from newsbeam.connectors.state import ListingCheckpoint
from newsbeam.connectors.sinks.withdrawals import nothing_to_add
from newsbeam.pipelines import faults
from newsbeam.pipelines.coders import ArticleCoder  # noqa: F401  (registers the coder of `Article`)
from newsbeam.pipelines.assign import AssignConfig, assignment_key
from newsbeam.pipelines.core import AssignmentCore, load_assigner, state_key
from newsbeam.pipelines.local import features_in_order, normalize_all, rare_collections
from newsbeam.pipelines.normalize import NormalizeLimits, normalize_record
from newsbeam.schemas import Article, DeadLetter, RecordError

NAMESPACE = "newsbeam"
DEAD = "dead"
EVENTS = "events"
SNAPSHOTS = "snapshots"
CHECKPOINTS = "checkpoints"


@functools.cache
def counter(name: str):
    """The `newsbeam` counter `name`: made once, as Beam's counters delegate each count to the running step's."""
    return Metrics.counter(NAMESPACE, name)


class RejectedRecord(RuntimeError):
    """Raised instead of dead-lettering when the run is `--strict`."""

    def __init__(self, letter: DeadLetter) -> None:
        super().__init__(f"{letter.origin}: {letter.reason}: {letter.detail}")
        self.letter = letter


def dead_letter(letter: DeadLetter, strict: bool = False):
    """Count a rejected record and send it to the `dead` output (or raise, when strict)."""
    counter("rejected").inc()
    counter(f"rejected_{letter.reason}").inc()
    if strict:
        raise RejectedRecord(letter)
    return beam.pvalue.TaggedOutput(DEAD, letter)


def windowed(output: Any, timestamp: Any, window: Any) -> Any:
    """`output` (a value, or a `TaggedOutput`) placed in `window` at `timestamp`.

    What a DoFn yields outside `process` (from `finish_bundle`, or for elements
    it held back) must carry its own time and window.
    """
    if isinstance(output, beam.pvalue.TaggedOutput):
        return beam.pvalue.TaggedOutput(output.tag, WindowedValue(output.value, timestamp, (window,)))
    return WindowedValue(output, timestamp, (window,))


class _ReadEach(beam.DoFn):
    def __init__(self, reader: Callable[[str], Iterable[ReadItem]], strict: bool) -> None:
        self._reader = reader
        self._strict = strict

    def process(self, spec: str):
        for item in self._reader(spec):
            if isinstance(item, DeadLetter):
                yield dead_letter(item, self._strict)
            elif isinstance(item, ListingCheckpoint):
                yield beam.pvalue.TaggedOutput(CHECKPOINTS, item)
            else:
                counter("read").inc()
                yield item


class ReadRecords(beam.PTransform):
    """Records from source specs (paths, URLs) through a connector's reader function.

    Outputs the records (main), dead letters (`dead`), and the listings'
    checkpoints (`checkpoints`), which `CommitReads` hands back to the reader
    once what was read is stored.
    """

    def __init__(self, specs: list[str], reader: Callable[[str], Iterable[ReadItem]], strict: bool = False):
        super().__init__()
        self._specs = specs
        self._reader = reader
        self._strict = strict

    def expand(self, pbegin):
        return (
            pbegin
            | "Sources" >> beam.Create(self._specs)
            | "Read" >> beam.ParDo(_ReadEach(self._reader, self._strict)).with_outputs(DEAD, CHECKPOINTS,
                                                                                      main="records")
        )


class _CommitListing(beam.DoFn):
    def __init__(self, reader: Any) -> None:
        self._reader = reader

    def process(self, keyed: tuple[str, Iterable[ListingCheckpoint]], *after: list):
        _url, checkpoints = keyed
        self._reader.commit(checkpoints)
        faults.crash_point("seen_saved")


class CommitReads(beam.PTransform):
    """Give `ReadRecords`' checkpoints back to its reader (`reader.commit`) once `after` are complete.

    `after` are PCollections (the index writes, the saved clustering state) taken
    as side inputs, which Beam computes before this step runs: a run that fails
    before they are done marks nothing read, so the next run reads it again and
    the index skips what already landed. Checkpoints of one listing are
    committed together, since a listing read twice in a run must keep its old
    validators if either read needs it read again.
    """

    def __init__(self, reader: Any, *after) -> None:
        super().__init__()
        self._reader = reader
        self._after = after

    def expand(self, checkpoints):
        return (
            checkpoints
            | "ByListing" >> beam.Map(lambda checkpoint: (checkpoint.url, checkpoint)).with_output_types(
                tuple[str, ListingCheckpoint])
            | "Group" >> beam.GroupByKey()
            | "Commit" >> beam.ParDo(_CommitListing(self._reader), *(beam.pvalue.AsList(done) for done in self._after))
        )


def articles_to_come(records: Iterable[RawRecord], limits: NormalizeLimits) -> Iterator[tuple[RawRecord, Article]]:
    """Each record with the article `NormalizeFn` will make of it; records it will dead-letter are left out.

    A source that must know its records' articles before they are normalized (to skip
    what the index holds, to know when a Kafka offset is settled) asks here, with the
    pipeline's own limits, so it counts exactly the articles that will come.
    """
    for record in records:
        try:
            yield record, normalize_record(record.data, limits=limits)
        except RecordError:
            continue  # NormalizeFn dead-letters it with the reason


class NormalizeFn(beam.DoFn):
    """RawRecord → Article, or a dead letter saying why not."""

    def __init__(self, limits: NormalizeLimits, strict: bool = False) -> None:
        self._limits = limits
        self._strict = strict

    def process(self, raw: RawRecord):
        try:
            yield normalize_record(raw.data, limits=self._limits)
        except RecordError as error:
            yield dead_letter(DeadLetter.of("normalize", error.reason, error.detail, raw.origin, raw.data), self._strict)


class NormalizeInWorkersFn(beam.DoFn):
    """`NormalizeFn` for a bundle at a time, in `workers` processes (default: the CPUs of the machine).

    A batch run reads every record before the assignment can start, so nothing
    waits for an article before its bundle ends: the bundle's records are
    gathered and normalized in processes forked for them (`normalize_all`, as
    `newsbeam cluster` does), which leaves this process to the runner. A short
    bundle is normalized here. Each output keeps its record's timestamp and window.
    """

    def __init__(self, limits: NormalizeLimits, strict: bool = False, workers: int | None = None) -> None:
        self._limits = limits
        self._strict = strict
        self._workers = workers

    def start_bundle(self) -> None:
        self._records: list[WindowedValue] = []

    def process(self, raw: RawRecord, record=beam.DoFn.WindowedValueParam):
        self._records.append(record)

    def finish_bundle(self):
        records, self._records = self._records, []
        workers = self._workers or len(os.sched_getaffinity(0))
        with closing(normalize_all((record.value for record in records), self._limits, workers)) as outcomes:
            for record, outcome in zip(records, outcomes):
                if isinstance(outcome, DeadLetter):
                    dead = dead_letter(outcome, self._strict)
                    yield beam.pvalue.TaggedOutput(dead.tag, record.with_value(dead.value))
                else:
                    yield record.with_value(outcome)


class SkipIndexedFn(beam.DoFn):
    """Drop articles the index already holds, so a re-run changes nothing.

    A wire item's newer version is not held yet: it goes on to the assignment, and
    so does the version the index holds (`nothing_to_add`), whose replay re-applies
    its effect on the state (a no-op on a state the catch-up repaired).

    The index is asked about `_LOOKUP` articles at a time, gathered here per
    window: a step that batched them (`beam.BatchElements`) would make the
    runner measure the size of whole batches by encoding them, for nothing.
    """

    _LOOKUP = 500

    def __init__(self, settings: BackendSettings) -> None:
        self._settings = settings

    def setup(self) -> None:
        self._backend = open_backend(self._settings)

    def start_bundle(self) -> None:
        self._waiting: dict[Any, list[tuple[Article, Any]]] = {}

    def process(self, article: Article, timestamp=beam.DoFn.TimestampParam, window=beam.DoFn.WindowParam):
        waiting = self._waiting.setdefault(window, [])
        waiting.append((article, timestamp))
        if len(waiting) >= self._LOOKUP:
            yield from self._new(self._waiting.pop(window), window)

    def finish_bundle(self):
        for window, waiting in self._waiting.items():
            yield from self._new(waiting, window)
        self._waiting.clear()

    def _new(self, waiting: list[tuple[Article, Any]], window):
        # A wire item whose id is indexed goes on unless the index holds a newer version.
        held = nothing_to_add(self._backend, [(article.id, article.version) for article, _ in waiting])
        for article, timestamp in waiting:
            if (article.id, article.version) in held:
                counter("already_indexed").inc()
            else:
                yield windowed(article, timestamp, window)

    def teardown(self) -> None:
        self._backend.close()


class AssignInOrderFn(beam.DoFn):
    """Dedup and cluster one key's articles in publication order, with the shared core.

    The batch pipeline groups by a coarse key (the language), so one worker holds
    that key's hot state: exactly the online algorithm the streaming pipeline runs,
    resumed from the index's state store. The new state leaves as a `snapshots`
    output, saved by `SaveStateFn` only once the index writes have landed.

    The articles are featurized here, in `workers` processes forked from this one
    while it assigns (as `newsbeam cluster` does), rather than in a step of their
    own: a runner that runs one step after another, as Beam's in-process runner
    does, would otherwise leave the assignment waiting for every feature, and the
    features, larger than the articles, would be encoded into the grouping and
    decoded out of it. `workers=None` uses the CPUs of the machine the step runs on.
    """

    def __init__(self, config: AssignConfig, settings: BackendSettings | None, progress: bool = False,
                 workers: int | None = None) -> None:
        self._config = config
        self._settings = settings
        self._progress = progress
        self._workers = workers

    def process(self, keyed: tuple[str, Iterable[Article]]):
        key, articles = keyed
        articles = sorted(articles, key=lambda article: article.sort_key)
        workers = self._workers or len(os.sched_getaffinity(0))
        backend = open_backend(self._settings) if self._settings else None
        try:
            core = AssignmentCore(self._config, backend and (lambda k: load_assigner(backend, k, self._config)),
                                  stored=backend and backend.stored_versions)
            core.look_up_versions(articles)
            featured = features_in_order(articles, range(len(articles)), self._config.features, workers)
            bar = tqdm(featured, total=len(articles), desc=f"assign [{key or '?'}]", unit="article",
                       disable=not self._progress or None, leave=False)
            with rare_collections():
                for i, features in bar:
                    outcome = core.offer(key, articles[i], features)
                    yield dead_letter(outcome) if isinstance(outcome, DeadLetter) else outcome
            for event in core.drain_events():
                yield beam.pvalue.TaggedOutput(EVENTS, event)
            count_all(core.take_counts())
            yield beam.pvalue.TaggedOutput(SNAPSHOTS, (state_key(key), core.assigner(key).state_changes()))
        finally:
            if backend:
                backend.close()


def count_all(counts: Counter[str]) -> None:
    """Add the core's counts to the runner's metrics."""
    for name, value in counts.items():
        counter(name).inc(value)


class Assign(beam.PTransform):
    """Articles → per-language ordered dedup + clustering, featurized in parallel to it."""

    def __init__(self, config: AssignConfig, settings: BackendSettings | None, progress: bool = False,
                 workers: int | None = None):
        super().__init__()
        self._config = config
        self._settings = settings
        self._progress = progress
        self._workers = workers

    def expand(self, articles):
        config = self._config
        return (
            articles
            # Typed, so the grouping encodes the articles with `ArticleCoder` rather than pickle.
            | "KeyByLanguage" >> beam.Map(lambda a: (assignment_key(a, config), a)).with_output_types(
                tuple[str, Article])
            | "ByLanguage" >> beam.GroupByKey()
            | "InOrder" >> beam.ParDo(AssignInOrderFn(config, self._settings, self._progress, self._workers))
            .with_outputs(EVENTS, DEAD, SNAPSHOTS, main="articles")
        )


class _WriteBatches(beam.DoFn):
    """Write batches of `_BATCH` on a thread of this DoFn's own, while the steps that feed it go on.

    The embedded index spends most of a write in SQLite's full-text indexing,
    which runs without the GIL, and Elasticsearch's most of one waiting for the
    node: either way the step producing the documents (in a batch run, the
    sequential assignment, fused with this one) need not wait. Batches are
    gathered here, per window, rather than by a step of their own
    (`beam.BatchElements`), which would make the runner measure the size of
    whole batches by encoding them. They are written one at a time, in order,
    at most `_IN_FLIGHT` ahead; a bundle ends only once each of its writes has
    returned (an error is raised here), so a step that takes the writes as a
    side input still sees them all done.
    """

    _BATCH = 500
    _IN_FLIGHT = 4

    def __init__(self, settings: BackendSettings, kind: str) -> None:
        self._settings = settings
        self._kind = kind

    def setup(self) -> None:
        self._backend = open_backend(self._settings)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"newsbeam-write-{self._kind}")
        #: Documents not yet sent to the writer, per window.
        self._gathering: dict[Any, list] = {}
        #: (the write, its batch's size and window), oldest first.
        self._pending: deque[tuple[Future, int, Any]] = deque()

    def start_bundle(self) -> None:
        self._gathering.clear()
        self._pending.clear()

    def process(self, document, window=beam.DoFn.WindowParam, after=()):
        # `after`, the side input this step waits for, is not read.
        batch = self._gathering.setdefault(window, [])
        batch.append(document)
        if len(batch) >= self._BATCH:
            self._submit(self._gathering.pop(window), window)
        while self._pending and (self._pending[0][0].done() or len(self._pending) > self._IN_FLIGHT):
            yield from self._written(*self._pending.popleft())

    def finish_bundle(self):
        for window, batch in self._gathering.items():
            self._submit(batch, window)
        self._gathering.clear()
        while self._pending:
            yield from self._written(*self._pending.popleft())

    def _submit(self, batch: list, window) -> None:
        write = self._backend.write_articles if self._kind == "articles" else self._backend.write_events
        self._pending.append((self._writer.submit(write, batch), len(batch), window))

    def _written(self, future: Future, size: int, window):
        """The outputs of one finished write, at the end of its batch's window; counted here, where Beam's
        metrics are."""
        refused = future.result()
        counter(f"{self._kind}_indexed").inc(size - len(refused))
        timestamp = window.max_timestamp()
        for letter in refused:
            yield windowed(dead_letter(letter, False), timestamp, window)
        yield windowed(size - len(refused), timestamp, window)

    def teardown(self) -> None:
        self._writer.shutdown(wait=True)
        self._backend.close()


class WriteToIndex(beam.PTransform):
    """Upsert articles or events into the configured index, in batches.

    Outputs the number written per batch (main) and the documents the index
    refused (`dead`). `after` (other writes' outputs), taken as a side input,
    is computed before these writes start.
    """

    def __init__(self, settings: BackendSettings, kind: str, after: beam.PCollection | None = None) -> None:
        super().__init__()
        self._settings = settings
        self._kind = kind
        self._after = after

    def expand(self, items):
        waits = {} if self._after is None else {"after": beam.pvalue.AsList(self._after)}
        return (
            items
            | "Write" >> beam.ParDo(_WriteBatches(self._settings, self._kind), **waits).with_outputs(DEAD, main="written")
        )


class SaveStateFn(beam.DoFn):
    """Save a clustering snapshot, once the writes it must follow are done.

    The writes' outputs arrive as a side input, which Beam computes before this
    step runs: a run that fails while writing leaves the previous state in place,
    so the next run does not resume from state naming articles never indexed.
    Outputs each saved key, so later steps can wait for the save.
    """

    def __init__(self, settings: BackendSettings) -> None:
        self._settings = settings

    def process(self, snapshot: tuple[str, StateChanges], writes_done: list[int]):
        key, changes = snapshot
        faults.crash_point("index_written")
        backend = open_backend(self._settings)
        try:
            backend.save_state(key, changes)
        finally:
            backend.close()
        faults.crash_point("state_saved")
        yield key
