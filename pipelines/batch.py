"""The batch pipeline: read → normalize → skip indexed → assign → index.

`newsbeam ingest` runs it on the DirectRunner by default; any Beam runner can run
it by pipeline options. Records that cannot go on are written, with their reason,
to one dead-letter JSON Lines file per run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from newsbeam.connectors.records import ReadItem
from newsbeam.connectors.sinks import BackendSettings
from newsbeam.pipelines.assign import AssignConfig, EventAliases
from newsbeam.pipelines.normalize import NormalizeLimits
from newsbeam.pipelines.transforms import (
    CHECKPOINTS,
    DEAD,
    EVENTS,
    NAMESPACE,
    SNAPSHOTS,
    Assign,
    CommitReads,
    NormalizeInWorkersFn,
    ReadRecords,
    SaveStateFn,
    SkipIndexedFn,
    WriteToIndex,
)
from newsbeam.schemas import Event

Reader = Callable[[str], Iterable[ReadItem]]


@dataclass(slots=True)
class RunSummary:
    """What a run did, from the pipeline's own counters."""

    counters: dict[str, int] = field(default_factory=dict)
    dead_letter_path: Path | None = None
    seconds: float = 0.0

    def __getitem__(self, name: str) -> int:
        return self.counters.get(name, 0)

    @property
    def duplicates(self) -> int:
        return self["duplicates_exact"] + self["duplicates_near"]

    def rejected_by_reason(self) -> dict[str, int]:
        prefix = "rejected_"
        return {k[len(prefix):]: v for k, v in sorted(self.counters.items()) if k.startswith(prefix)}


def new_pipeline(options: PipelineOptions | None) -> beam.Pipeline:
    """A pipeline on the given runner options, by default Beam's in-process runner.

    The default is the FnApiRunner itself rather than "DirectRunner": the latter may
    hand a pipeline to a Prism job server already running in the process, which
    would make a laptop batch run depend on what ran before it.
    """
    if options is not None:
        return beam.Pipeline(options=options)
    return beam.Pipeline(runner=FnApiRunner(), options=PipelineOptions(flags=[]))


def _run(pipeline: beam.Pipeline, dead_letter_path: Path | None, started: float) -> RunSummary:
    result = pipeline.run()
    result.wait_until_finish()
    counters: dict[str, int] = {}
    for r in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        counters[r.key.metric.name] = counters.get(r.key.metric.name, 0) + r.committed  # summed over steps
    return RunSummary(counters, dead_letter_path, time.monotonic() - started)


def _write_dead_letters(dead, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    (
        dead
        | "FlattenDead" >> beam.Flatten()
        | "DeadToJson" >> beam.Map(lambda letter: json.dumps(letter.to_json(), ensure_ascii=False))
        | "WriteDead" >> beam.io.WriteToText(str(path), shard_name_template="", num_shards=1)
    )


def _read_normalized(pipeline: beam.Pipeline, sources: list[str], reader: Reader, limits: NormalizeLimits,
                     strict: bool, workers: int | None = None):
    """The shared head of every batch pipeline: articles, the dead letters so far, and the read checkpoints."""
    read = pipeline | "Read" >> ReadRecords(sources, reader, strict)
    normalized = read.records | "Normalize" >> beam.ParDo(NormalizeInWorkersFn(limits, strict, workers)).with_outputs(
        DEAD, main="articles")
    return normalized.articles, [read[DEAD], normalized[DEAD]], read[CHECKPOINTS]


def ingest(
    sources: list[str],
    reader: Reader,
    settings: BackendSettings,
    dead_letter_path: Path,
    *,
    config: AssignConfig = AssignConfig(),
    limits: NormalizeLimits = NormalizeLimits(),
    options: PipelineOptions | None = None,
    strict: bool = False,
    progress: bool = False,
    workers: int | None = None,
) -> RunSummary:
    """Read `sources` with `reader`, and index new articles and their events.

    `workers` processes normalize the records, then featurize articles beside
    the assignment (default: the CPUs of the machine that runs the step); the
    decisions do not depend on it.
    """
    started = time.monotonic()
    pipeline = new_pipeline(options)
    articles, dead, checkpoints = _read_normalized(pipeline, sources, reader, limits, strict, workers)
    new = articles | "SkipIndexed" >> beam.ParDo(SkipIndexedFn(settings))
    assigned = new | "Assign" >> Assign(config, settings, progress, workers)
    articles_written = assigned.articles | "IndexArticles" >> WriteToIndex(settings, "articles")
    # Events land after the articles: an event's write points the articles of the events it absorbed at it.
    events_written = assigned[EVENTS] | "IndexEvents" >> WriteToIndex(settings, "events", articles_written.written)
    writes_done = (articles_written.written, events_written.written) | "WritesDone" >> beam.Flatten()
    saved = assigned[SNAPSHOTS] | "SaveState" >> beam.ParDo(SaveStateFn(settings), beam.pvalue.AsList(writes_done))
    # What was read is marked seen last: after the writes, and after the state that names them.
    checkpoints | "CommitReads" >> CommitReads(reader, writes_done, saved)
    _write_dead_letters((*dead, assigned[DEAD], articles_written[DEAD], events_written[DEAD]), dead_letter_path)
    return _run(pipeline, dead_letter_path, started)


def _aliases_of(events: list[Event]) -> EventAliases:
    aliases = EventAliases()
    aliases.update(events)
    return aliases


def cluster(
    sources: list[str],
    reader: Reader,
    output: Path,
    dead_letter_path: Path,
    *,
    config: AssignConfig = AssignConfig(),
    limits: NormalizeLimits = NormalizeLimits(),
    options: PipelineOptions | None = None,
) -> RunSummary:
    """The clustering as a pure function on a runner: records in, decisions out.

    `newsbeam cluster` runs the same core in-process for speed; this pipeline is
    its reference, and the tests hold the two to the same answer.
    """
    started = time.monotonic()
    pipeline = new_pipeline(options)
    articles, dead, _checkpoints = _read_normalized(pipeline, sources, reader, limits, strict=False)
    assigned = articles | "Assign" >> Assign(config, None)
    # An article names the event it joined; a later merge made that id an alias.
    survivors = (
        assigned[EVENTS]
        | "AllEvents" >> beam.combiners.ToList()
        | "Aliases" >> beam.Map(_aliases_of)
    )
    (
        assigned.articles
        | "ToJson" >> beam.Map(
            lambda item, aliases: json.dumps({"id": item.article.id, "event_id": aliases.resolve(item.event_id),
                                              "duplicate_of": item.duplicate_of}),
            beam.pvalue.AsSingleton(survivors),
        )
        | "Write" >> beam.io.WriteToText(str(output), shard_name_template="", num_shards=1)
    )
    _write_dead_letters((*dead, assigned[DEAD]), dead_letter_path)
    return _run(pipeline, dead_letter_path, started)
