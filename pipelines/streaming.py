"""The pipeline that never stops: poll sources, dedup, cluster, index, continuously.

    PeriodicImpulse ─► sources ─► Poll (keyed by source: validators, emitted links)
        ─► Normalize ─► Dedup (keyed by canonical URL: first-seen id, expiry timer)
        ─► Assign (keyed by language: the shared online dedup+clustering core)
        ─► index (articles and events, written by the key that decided them)

Time: elements carry their fetch time as event time, so the watermark follows the
clock and nothing is dropped as "late" by the runner. An article's own publication
date is data, not the element timestamp: the clusterer damps similarity by the gap
between publication dates, so articles arriving out of order still join the right
event; those published before the hot window are still indexed (and counted as
`late_articles`) but can only open new events, since the events they belonged to
have left the hot state.

Restarts: Beam state here lives only as long as the job (Prism keeps it in memory),
so everything a restart needs is in the index: which articles exist (the poller
skips them) and the assigner's hot-state snapshot, saved *before* the writes it
covers (write-ahead), so a crash between the two replays idempotently.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import apache_beam as beam
from apache_beam.coders import PickleCoder, StrUtf8Coder, VarIntCoder
from apache_beam.runners.runner import PipelineResult, PipelineState
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.utils.timestamp import MAX_TIMESTAMP, Duration, Timestamp

from newsbeam.connectors.http import FetchSettings
from newsbeam.connectors.pages import PageSettings
from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.sinks import BackendSettings, IndexedArticle, StateChanges, open_backend
from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner, assignment_key
from newsbeam.pipelines.cluster.clusterer import event_id_for
from newsbeam.pipelines.features import featurize
from newsbeam.pipelines.normalize import NormalizeLimits, normalize_record
from newsbeam.pipelines.runners import RunnerSettings, runner_session
from newsbeam.pipelines.streaming_sources import FeedPoller, Validators
from newsbeam.pipelines.transforms import DEAD, NAMESPACE, NormalizeFn, counter, dead_letter
from newsbeam.schemas import Article, DeadLetter, Event, RecordError

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """Everything one streaming run needs; plain data, so Beam can ship it to workers."""

    feeds: tuple[str, ...]
    backend: BackendSettings
    assign: AssignConfig = field(default_factory=AssignConfig)
    #: Seconds between two polls of every source.
    poll_interval: float = 60.0
    #: Stop polling after this many seconds (None: run until cancelled; 0: poll once).
    run_for: float | None = None
    #: How long a canonical URL stays in the dedup state after it was last seen.
    dedup_horizon: timedelta = timedelta(days=3)
    #: Seconds between two metrics lines in the log.
    metrics_interval: float = 30.0
    limits: NormalizeLimits = field(default_factory=NormalizeLimits)
    #: Where rejected records go, as JSON Lines appended while the job runs.
    dead_letter_path: Path | None = None
    #: How feeds and pages are fetched (politeness, guards) and pages extracted.
    fetch: FetchSettings = field(default_factory=FetchSettings)
    pages: PageSettings = field(default_factory=PageSettings)


def poll_state_key(url: str) -> str:
    return f"poll:{url}"


class PollSourceFn(beam.DoFn):
    """Poll one source per tick, emitting only items not yet handled.

    Keyed by source URL so each source's validators and recently emitted links are
    Beam state and polls of one source never overlap. The index decides what is
    new, so a restarted job neither loses nor repeats an item. Validators are
    persisted in the index (for the next job) only after a poll that found nothing
    new: a later 304 then means "unchanged since everything in it was indexed",
    which stays true even if this job dies with items in flight.
    """

    VALIDATORS = ReadModifyWriteStateSpec("validators", PickleCoder())
    EMITTED = ReadModifyWriteStateSpec("emitted", PickleCoder())
    #: Links remembered per source; a feed shows its newest few dozen items.
    MAX_EMITTED = 2000

    def __init__(self, backend: BackendSettings, fetch: FetchSettings, pages: PageSettings) -> None:
        self._backend_settings = backend
        self._fetch = fetch
        self._pages = pages

    def setup(self) -> None:
        self._poller = FeedPoller(self._fetch, self._pages)
        self._backend = open_backend(self._backend_settings)

    def process(
        self,
        keyed: tuple[str, Any],
        validators_state=beam.DoFn.StateParam(VALIDATORS),
        emitted_state=beam.DoFn.StateParam(EMITTED),
    ):
        url, _tick = keyed
        validators = validators_state.read()
        if validators is None:
            saved = self._backend.load_state(poll_state_key(url)).get("validators")
            validators = Validators(*json.loads(saved)) if saved else Validators()
        # Links this job emitted → article id until the index confirms it (then None).
        emitted: dict[str, str | None] = emitted_state.read() or {}
        counter("polls").inc()
        result = self._poller.poll(url, validators, skip=emitted)
        validators_state.write(result.validators)
        records = [item for item in result.items if isinstance(item, RawRecord)]
        ids = self._ids(records)
        unconfirmed = {link: i for link, i in emitted.items() if i is not None}
        known = self._backend.known_article_ids([*ids.values(), *unconfirmed.values()])
        for link, article in unconfirmed.items():
            if article in known:
                emitted[link] = None
        now = Timestamp.now()
        new = 0
        for item in result.items:
            if isinstance(item, DeadLetter):
                yield dead_letter(item, False)
                continue
            link = item.origin
            article = ids.get(link)
            if article in known:
                emitted[link] = None
                continue
            emitted[link] = article
            new += 1
            counter("fetched").inc()
            yield beam.window.TimestampedValue(item, now)
        if result.not_modified:
            counter("polls_not_modified").inc()
        settled = new == 0 and all(i is None for i in emitted.values())
        if settled and not result.not_modified:
            validators_part = {"validators": json.dumps(astuple(result.validators)).encode()}
            self._backend.save_state(poll_state_key(url), StateChanges(validators_part))
        elif not settled:
            self._backend.save_state(poll_state_key(url), StateChanges(deletes=frozenset({"validators"})))
        while len(emitted) > self.MAX_EMITTED:
            emitted.pop(next(iter(emitted)))
        emitted_state.write(emitted)

    @staticmethod
    def _ids(records: Sequence[RawRecord]) -> dict[str, str]:
        """Link → the article id it will get, for the records that will normalize."""
        ids = {}
        for record in records:
            try:
                ids[record.origin] = normalize_record(record.data).id
            except RecordError:
                continue  # the Normalize step dead-letters it with the reason
        return ids

    def teardown(self) -> None:
        self._poller.close()
        self._backend.close()


class DedupByUrlFn(beam.DoFn):
    """Let the first article of a canonical URL through; drop repeats within the horizon.

    The expiry timer is in event time (fetch time), so a key lives `horizon` after
    it was last seen, and state stays bounded by the arrival rate.
    """

    FIRST = ReadModifyWriteStateSpec("first", StrUtf8Coder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, horizon: timedelta) -> None:
        self._horizon = Duration(seconds=horizon.total_seconds())

    def process(
        self,
        keyed: tuple[str, Article],
        ts=beam.DoFn.TimestampParam,
        first=beam.DoFn.StateParam(FIRST),
        expiry=beam.DoFn.TimerParam(EXPIRY),
    ):
        _, article = keyed
        expiry.set(ts + self._horizon)
        if first.read() is not None:
            counter("duplicates_url").inc()
            return
        first.write(article.id)
        yield article

    @on_timer(EXPIRY)
    def expire(self, first=beam.DoFn.StateParam(FIRST)):
        first.clear()


def _replayed(assigner: OnlineAssigner, article: Article) -> IndexedArticle | None:
    """The decision already taken for `article`, when it comes back after a crash.

    The snapshot is saved before the writes it covers; if the job died in between,
    the poller sends those articles again and they must be re-written as decided,
    not counted as copies of themselves.
    """
    if assigner.exact.original_of(article) != article.id:
        return None
    for event in assigner.clusterer.events.values():
        if article.id in event.article_ids:
            return IndexedArticle(article, event.event_id, None)
    return None


def state_key(language: str) -> str:
    """The hot-state key, shared with the batch pipeline so either resumes the other."""
    return f"assign:{language}"


class AssignStreamFn(beam.DoFn):
    """Dedup and cluster under a coarse key with the shared online assigner.

    The assigner is a large object graph, so it lives in this DoFn's memory between
    bundles; Beam state holds only a generation number that says whether that
    memory is still current (a key that moved to another worker and back is
    reloaded from the index). Each bundle ends with snapshot → articles → events.
    """

    GENERATION = ReadModifyWriteStateSpec("generation", VarIntCoder())

    def __init__(self, config: AssignConfig, backend: BackendSettings) -> None:
        self._config = config
        self._backend_settings = backend

    def setup(self) -> None:
        self._backend = open_backend(self._backend_settings)
        self._assigners: dict[str, tuple[int, OnlineAssigner]] = {}

    def start_bundle(self) -> None:
        self._dirty: dict[str, OnlineAssigner] = {}
        self._articles: list[IndexedArticle] = []
        self._events: dict[str, Event] = {}

    def _assigner(self, key: str, generation: int) -> OnlineAssigner:
        cached = self._assigners.get(key)
        if cached is None or cached[0] != generation:
            parts = self._backend.load_state(state_key(key))
            cached = (generation, OnlineAssigner.restore(parts, self._config))
            self._assigners[key] = cached
        return cached[1]

    def process(
        self, keyed: tuple[str, Article], ts=beam.DoFn.TimestampParam, generation=beam.DoFn.StateParam(GENERATION)
    ):
        key, article = keyed
        current = generation.read() or 0
        assigner = self._assigner(key, current)
        if key not in self._dirty:
            generation.write(current + 1)
            self._assigners[key] = (current + 1, assigner)
            self._dirty[key] = assigner
        hot_window = timedelta(days=self._config.cluster.hot_window_days)
        fetched = datetime.fromtimestamp(float(ts), tz=timezone.utc)
        if article.published and fetched - article.published > hot_window:
            counter("late_articles").inc()
        decided = _replayed(assigner, article)
        if decided is not None:
            counter("replayed").inc()
        else:
            decision = assigner.process(article, featurize(article, self._config.features))
            if decision.duplicate_of:
                counter(f"duplicates_{decision.duplicate_kind}").inc()
            decided = IndexedArticle(article, decision.event_id, decision.duplicate_of)
        self._articles.append(decided)
        for event in assigner.drain_events():
            opened = event.event_id == event_id_for(article.id) and not decided.duplicate_of
            counter("events_new" if opened else "events_updated").inc()
            self._events[event.event_id] = event
        yield decided

    def finish_bundle(self) -> None:
        if not self._dirty:
            return
        for key, assigner in self._dirty.items():
            self._backend.save_state(state_key(key), assigner.state_changes())
        self._backend.write_articles(self._articles)
        self._backend.write_events(list(self._events.values()))
        counter("articles_indexed").inc(len(self._articles))
        counter("events_indexed").inc(len(self._events))

    def teardown(self) -> None:
        self._backend.close()


class StreamIngest(beam.PTransform):
    """The whole streaming composition, from a clock to the index."""

    def __init__(self, settings: StreamSettings) -> None:
        super().__init__()
        self._settings = settings

    def expand(self, pbegin):
        s = self._settings
        start = Timestamp.now()
        if s.run_for is None:
            stop = MAX_TIMESTAMP
        else:  # run_for=0 still polls once: the impulse fires at `start`
            stop = start + Duration(seconds=max(s.run_for, 0.001))
        feeds = list(s.feeds)
        polled = (
            pbegin
            | "Clock" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=stop, fire_interval=s.poll_interval)
            # Typed keys: stateful steps need a deterministic key coder.
            | "PerSource" >> beam.FlatMap(lambda tick: [(url, tick) for url in feeds]).with_output_types(tuple[str, Any])
            | "Poll" >> beam.ParDo(PollSourceFn(s.backend, s.fetch, s.pages)).with_outputs(DEAD, main="records")
        )
        normalized = polled.records | "Normalize" >> beam.ParDo(NormalizeFn(s.limits)).with_outputs(DEAD, main="articles")
        if s.dead_letter_path is not None:
            (
                (polled[DEAD], normalized[DEAD])
                | "AllDead" >> beam.Flatten()
                | "AppendDead" >> beam.ParDo(AppendJsonLinesFn(s.dead_letter_path))
            )
        return (
            normalized.articles
            | "ByUrl" >> beam.Map(lambda a: (a.canonical_url or a.id, a)).with_output_types(tuple[str, Article])
            | "DedupUrl" >> beam.ParDo(DedupByUrlFn(s.dedup_horizon))
            | "ByLanguage" >> beam.Map(lambda a, c=s.assign: (assignment_key(a, c), a)).with_output_types(tuple[str, Article])
            | "Assign" >> beam.ParDo(AssignStreamFn(s.assign, s.backend))
        )


class AppendJsonLinesFn(beam.DoFn):
    """Append each dead letter to a JSON Lines file as it comes: a stream has no end to wait for."""

    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self._path = path

    def process(self, letter: DeadLetter):
        line = json.dumps(letter.to_json(), ensure_ascii=False) + "\n"
        with self._lock:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as out:
                out.write(line)


def _live_metrics(result: PipelineResult) -> dict[str, int]:
    """Counter totals of a running job (the SDK caches the first answer; we want each)."""
    if hasattr(result, "_metrics"):
        result._metrics = None
    try:
        counters = result.metrics().query()["counters"]
    except Exception:  # a runner without live metrics: the log just stays quiet
        return {}
    totals: dict[str, int] = {}
    for item in counters:
        if item.key.metric.namespace == NAMESPACE:
            value = item.committed if item.committed is not None else item.attempted
            totals[item.key.metric.name] = totals.get(item.key.metric.name, 0) + (value or 0)
    return totals


def run(settings: StreamSettings, runner: RunnerSettings) -> dict[str, int]:
    """Run the streaming pipeline until it stops (run_for) or is cancelled; return the counters."""
    runner = dataclasses.replace(runner, streaming=True)
    with runner_session(runner) as options:
        pipeline = beam.Pipeline(options=options)
        _ = pipeline | "Stream" >> StreamIngest(settings)
        result = pipeline.run()
        stop = threading.Event()

        def log_metrics() -> None:
            while not stop.wait(settings.metrics_interval):
                if totals := _live_metrics(result):
                    _log.info("newsbeam metrics: %s", " ".join(f"{k}={v}" for k, v in sorted(totals.items())))

        logger = threading.Thread(target=log_metrics, name="newsbeam-metrics", daemon=True)
        logger.start()
        try:
            state = result.wait_until_finish()
        except KeyboardInterrupt:
            result.cancel()
            state = PipelineState.CANCELLED
        finally:
            stop.set()
        totals = _live_metrics(result)
        _log.info("newsbeam stream ended (%s): %s", state, totals)
        return totals
