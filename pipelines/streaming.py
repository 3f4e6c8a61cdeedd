"""The pipeline that never stops: poll sources, dedup, cluster, index, continuously.

    PeriodicImpulse ─► sources ─► Poll (several sources at once; validators, emitted links)
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

Restarts: Beam state and worker memory live only as long as the job (Prism keeps
state in memory), so everything a restart needs is in the index: which articles
exist (the poller skips them), the feeds' validators, and the assigners' hot
state, saved after the writes it covers
(`pipelines/core.py`, `commit`). An article that comes again anyway is answered
from the state with its recorded decision, never decided twice.

Operators: each source's health (`pipelines/feed_health.py`) is saved beside its
validators for `newsbeam status`; the DoFns count with Beam metrics, which `run`
serves to Prometheus from what the runner reports (`pipelines/stream_metrics.py`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import apache_beam as beam
from apache_beam.coders import StrUtf8Coder
from apache_beam.runners.runner import PipelineResult, PipelineState
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MAX_TIMESTAMP, Duration, Timestamp

from newsbeam.connectors.http import FetchSettings
from newsbeam.connectors.pages import PageSettings
from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.sinks import BackendSettings, IndexBackend, StateChanges, open_backend
from newsbeam.connectors.sinks.withdrawals import HeldVersions, held_versions, indexed
from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner, assignment_key
from newsbeam.pipelines.core import AssignmentCore, commit, load_assigner, saved_keys
from newsbeam.pipelines.feed_health import (
    HEALTH_PART,
    POLL_PREFIX,
    FeedHealth,
    after_poll,
    decode_health,
    encode_health,
    worth_saving,
)
from newsbeam.pipelines.features import ArticleFeatures, featurize
from newsbeam.pipelines.index_counts import IndexCounts
from newsbeam.pipelines.normalize import NormalizeLimits
from newsbeam.pipelines.runners import RunnerSettings, runner_session
from newsbeam.pipelines.stream_metrics import (
    JobMetrics,
    job_counters,
    observe_publish_latency,
    report_feed_health,
    report_hot_state,
    serve_metrics,
)
from newsbeam.pipelines.streaming_kafka import LEDGER, KafkaReader, KafkaSource, PollKafkaFn
from newsbeam.pipelines.streaming_sources import FeedPoller, Validators
from newsbeam.pipelines.transforms import DEAD, NormalizeFn, articles_to_come, count_all, counter, dead_letter, windowed
from newsbeam.schemas import Article, DeadLetter

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
    #: Seconds between two metrics lines in the log.
    metrics_interval: float = 30.0
    #: Serve Prometheus metrics on this port while the job runs (None: no endpoint).
    metrics_port: int | None = None
    #: The address the metrics endpoint listens on (0.0.0.0 in a container a scraper reaches from outside).
    metrics_host: str = "127.0.0.1"
    limits: NormalizeLimits = field(default_factory=NormalizeLimits)
    #: Where rejected records go, as JSON Lines appended while the job runs.
    dead_letter_path: Path | None = None
    #: How feeds and pages are fetched (politeness, guards) and pages extracted.
    fetch: FetchSettings = field(default_factory=FetchSettings)
    pages: PageSettings = field(default_factory=PageSettings)
    #: Sources read at once by a worker process (each still one request a second per host).
    concurrent_feeds: int = 8
    #: Load the saved hot states when a worker starts rather than at its first article. Each
    #: worker process loads every key's: on a runner with many workers and many languages, off.
    warm_start: bool = True
    #: A Kafka topic to read beside (or instead of) the feeds (`pipelines/streaming_kafka.py`).
    kafka: KafkaSource | None = None


def poll_state_key(url: str) -> str:
    return f"{POLL_PREFIX}{url}"


T = TypeVar("T")


def shared_in_process(job: str, name: str, make: Callable[[], T]) -> T:
    """The object `name` that every DoFn instance of job `job` shares in this worker process.

    A runner may process two bundles at once on two instances of a DoFn (Prism
    does, in one process), and two bundles of one key each read the key's Beam
    state as the last finished bundle left it. Work that must follow one another
    (a source's polls, a key's assignment) therefore keeps what it knows in the
    process, under a lock, keyed by job so that a second job in the same process
    starts afresh.
    """
    with _SHARED_GUARD:
        found = _SHARED.get((job, name))
        if found is None:
            found = _SHARED[(job, name)] = make()
        return found


def settle_consumed(job: str, article_ids: Sequence[str], one_each: bool = False) -> None:
    """Tell job `job`'s Kafka ledger in this process that these articles need nothing more (no ledger: no Kafka)."""
    with _SHARED_GUARD:
        ledger = _SHARED.get((job, LEDGER))
    if ledger is not None:
        ledger.settle(article_ids, one_each)


def release_shared(job: str) -> None:
    """Drop what job `job` shared in this process, closing what holds a connection.

    A job's assignment core holds its whole hot state: a process that runs one
    job after another (tests, a scheduler) must not keep every finished job's.
    """
    with _SHARED_GUARD:
        released = [_SHARED.pop(key) for key in [key for key in _SHARED if key[0] == job]]
    for shared in released:
        if isinstance(shared, (_ProcessAssigners, _Polling, KafkaReader)):
            shared.close()


_SHARED: dict[tuple[str, str], Any] = {}
_SHARED_GUARD = threading.Lock()


#: An emitted article: its id, and its version when it is a wire item.
Emitted = tuple[str, int | None]


class InFlight(NamedTuple):
    """An article emitted and not yet in the index, and when (`time.monotonic()`) it was emitted."""

    article: Emitted
    sent: float


@dataclass
class _SourceMemory:
    """What this process's polls of one source know: validators per feed read, and emitted links.

    `lock` is held for the whole of one poll, so two polls of a source never overlap.
    """

    lock: threading.Lock = field(default_factory=threading.Lock)
    validators: dict[str, Validators] | None = None
    #: The source's health as the last poll left it, and as last saved in the index.
    health: FeedHealth = field(default_factory=FeedHealth)
    saved_health: FeedHealth = field(default_factory=FeedHealth)
    #: Link → the article this job emitted for it, None once the index has it.
    emitted: dict[str, InFlight | None] = field(default_factory=dict)

    def forget(self, links: Sequence[str]) -> None:
        """Read `links` again at the next poll: their records never reached the index.

        The feeds' validators go too, or an unchanged feed would answer 304 and
        the next poll would not see the links at all.
        """
        with self.lock:
            self.drop(links)

    def drop(self, links: Sequence[str]) -> None:
        """`forget`, by the poll that holds the lock."""
        for link in links:
            self.emitted.pop(link, None)
        self.validators = {}


@dataclass
class _Polled:
    """One finished poll, handed from a pool thread back to the DoFn (which alone may count and emit)."""

    url: str
    records: list[RawRecord]
    dead: list[DeadLetter]
    not_modified: bool
    health: FeedHealth
    memory: _SourceMemory
    #: Links emitted earlier that the index still lacked after `resend_after`: read again by this poll.
    resent: int = 0


def encode_feed_validators(validators: dict[str, Validators]) -> bytes:
    return json.dumps({url: [v.etag, v.last_modified] for url, v in validators.items()}).encode()


def decode_feed_validators(data: bytes | None) -> dict[str, Validators]:
    return {url: Validators(*pair) for url, pair in json.loads(data).items()} if data else {}


@dataclass
class _Polling:
    """The feed reading of one job in a worker process, shared by its `PollSourceFn` instances.

    One `FeedPoller` (so the one-request-a-second per host holds across DoFn
    instances), one pool that reads several sources at once, and one index
    connection, used under a lock by the pool's threads.
    """

    poller: FeedPoller
    pool: ThreadPoolExecutor
    backend: IndexBackend
    index_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, backend: BackendSettings, fetch: FetchSettings, pages: PageSettings, concurrent: int) -> _Polling:
        return cls(FeedPoller(fetch, pages), ThreadPoolExecutor(max(1, concurrent), thread_name_prefix="newsbeam-poll"),
                   open_backend(backend))

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.poller.close()
        self.backend.close()


class PollSourceFn(beam.DoFn):
    """Poll the sources of a tick, several at once, emitting only items not yet handled.

    Each element is one source's turn. Reading a source takes seconds (its feed,
    then its new pages at one request a second per host), so a bundle's sources
    are read at once on the pool of `_Polling` (`concurrent` of them), and the
    bundle ends when the last one is read: a tick takes as long as its slowest
    source, not as long as all of them.

    What a source's polls know lives in the worker process (`_SourceMemory`):
    the validators of each feed it reads and the links it emitted. A source
    whose previous poll is still reading skips its turn (that poll finds what
    is new). The index decides what is new, so a restarted job, or a poll of
    the source on another worker, neither loses nor repeats an item: what the
    index already has is skipped, and an item in flight twice is dropped by
    `DedupByUrlFn`. That memory is outside the runner's transactions, so it
    forgets what a bundle emitted when the bundle fails (a runner that retries
    the bundle gets the items again), and a link the index still lacks
    `resend_after` seconds after it was emitted (its bundle was lost some other
    way) is read again. The validators are saved in the index (for the next job)
    only after a poll that found nothing new: a later 304 then means "unchanged
    since everything in it was indexed", which stays true even if this job dies
    with items in flight.
    """

    #: Links remembered per source; a feed shows its newest few dozen items.
    MAX_EMITTED = 2000
    #: Seconds after which an emitted link the index lacks is read again: far longer than
    #: a bundle takes to reach the index, so only a lost one comes twice.
    RESEND_AFTER = 600.0

    def __init__(self, backend: BackendSettings, fetch: FetchSettings, pages: PageSettings, job: str,
                 concurrent: int = 8, resend_after: float = RESEND_AFTER,
                 limits: NormalizeLimits = NormalizeLimits()) -> None:
        self._backend_settings = backend
        self._limits = limits
        self._fetch = fetch
        self._pages = pages
        self._job = job
        self._concurrent = concurrent
        self._resend_after = resend_after

    def setup(self) -> None:
        self._polling = shared_in_process(
            self._job, "poll",
            lambda: _Polling.open(self._backend_settings, self._fetch, self._pages, self._concurrent))

    def start_bundle(self) -> None:
        self._running: list[Future[_Polled]] = []

    def process(self, keyed: tuple[str, Any]):
        url, _tick = keyed
        memory = shared_in_process(self._job, f"poll:{url}", _SourceMemory)
        if not memory.lock.acquire(blocking=False):
            counter("polls_busy").inc()
            return
        try:
            self._running.append(self._polling.pool.submit(self._poll, url, memory))
        except BaseException:
            memory.lock.release()
            raise

    def finish_bundle(self):
        running, self._running = self._running, []
        polls: list[_Polled] = []
        failure: BaseException | None = None
        for future in running:
            try:
                polls.append(future.result())
            except Exception as error:  # the other polls' items are not lost with the bundle
                failure = failure or error
        if failure is not None:
            for polled in polls:
                polled.memory.forget([record.origin for record in polled.records])
            raise failure
        now = Timestamp.now()
        for polled in polls:
            counter("polls").inc()
            counter("resent").inc(polled.resent)
            if polled.not_modified:
                counter("polls_not_modified").inc()
            if polled.health.failing:
                counter("polls_failed").inc()
            report_feed_health(polled.url, polled.health)
            for letter in polled.dead:
                yield windowed(dead_letter(letter, False), now, GlobalWindow())
            counter("fetched").inc(len(polled.records))
            for record in polled.records:
                yield windowed(record, now, GlobalWindow())

    def _poll(self, url: str, memory: _SourceMemory) -> _Polled:
        """One poll of `url`, in a pool thread, holding `memory.lock` (released here)."""
        try:
            return self._poll_locked(url, memory)
        finally:
            memory.lock.release()

    def _poll_locked(self, url: str, memory: _SourceMemory) -> _Polled:
        polling = self._polling
        if memory.validators is None:
            with polling.index_lock:
                saved = polling.backend.load_state(poll_state_key(url))
            memory.validators = decode_feed_validators(saved.get("feeds"))
            memory.health = memory.saved_health = decode_health(saved.get(HEALTH_PART))
        emitted = memory.emitted
        resent = self._forget_lost(memory)
        started = time.perf_counter()
        try:
            result = polling.poller.poll(url, memory.validators, skip=emitted)
        except Exception as error:  # the bundle fails and is retried; the source's health says why
            memory.health = after_poll(memory.health, time.time(), f"{type(error).__name__}: {error}", 0)
            raise
        read_seconds = time.perf_counter() - started
        memory.validators = result.validators
        records = [item for item in result.items if isinstance(item, RawRecord)]
        ids = self._ids(records)
        unconfirmed = {link: flight.article for link, flight in emitted.items() if flight is not None}
        # An emitted item is confirmed once the index holds it. A read one is sent unless this job
        # confirmed it before or reading it adds nothing (`nothing_to_add`): a wire item at the version
        # the index holds goes once more after a restart, for the core's replay to re-apply to the state.
        # One lookup of what the index holds answers both.
        asked = [*unconfirmed.values(), *ids.values()]
        held = HeldVersions({})
        if asked:
            with polling.index_lock:
                held = held_versions(polling.backend, asked)
        known = held.indexed(unconfirmed.values())
        settled_before = held.nothing_to_add(ids.values())
        for link, article in unconfirmed.items():
            if article in known:
                emitted[link] = None
        new: list[RawRecord] = []
        sent = time.monotonic()
        for record in records:
            article = ids.get(record.origin)
            confirmed = record.origin in emitted and emitted[record.origin] is None
            if confirmed or article in settled_before:
                emitted[record.origin] = None
                continue
            # A record normalize will dead-letter has no article for the index to confirm: sent once.
            emitted[record.origin] = None if article is None else InFlight(article, sent)
            new.append(record)
        settled = not new and all(i is None for i in emitted.values())
        parts: dict[str, bytes] = {}
        deletes: frozenset[str] = frozenset()
        if settled and not result.not_modified:
            parts["feeds"] = encode_feed_validators(result.validators)
        elif not settled:
            deletes = frozenset({"feeds"})
        memory.health = after_poll(memory.health, time.time(), result.error, len(new))
        if worth_saving(memory.saved_health, memory.health):
            parts[HEALTH_PART] = encode_health(memory.health)
        if parts or deletes:
            try:
                with polling.index_lock:
                    polling.backend.save_state(poll_state_key(url), StateChanges(parts, deletes=deletes))
            except Exception:  # the bundle fails, and this poll's items are not emitted
                memory.drop([record.origin for record in new])
                raise
            memory.saved_health = memory.health
        while len(emitted) > self.MAX_EMITTED:
            emitted.pop(next(iter(emitted)))
        dead = [item for item in result.items if isinstance(item, DeadLetter)]
        _log.debug("polled %s in %.1f s: %d new, %d dead letters%s", url, read_seconds, len(new), len(dead),
                   " (not modified)" if result.not_modified else "")
        return _Polled(url, new, dead, result.not_modified, memory.health, memory, resent)

    def _forget_lost(self, memory: _SourceMemory) -> int:
        """Forget the links emitted over `resend_after` ago that the index still lacks; how many."""
        deadline = time.monotonic() - self._resend_after
        overdue = {link: flight.article for link, flight in memory.emitted.items()
                   if flight is not None and flight.sent < deadline}
        if not overdue:
            return 0
        with self._polling.index_lock:
            known = indexed(self._polling.backend, list(overdue.values()))
        lost = []
        for link, article in overdue.items():
            if article in known:
                memory.emitted[link] = None
            else:
                lost.append(link)
        if lost:
            memory.drop(lost)
            _log.warning("%d items emitted %.0f s ago are not in the index; reading them again", len(lost),
                         self._resend_after)
        return len(lost)

    def _ids(self, records: Sequence[RawRecord]) -> dict[str, Emitted]:
        """Link → the article it will be (id, wire version), for the records that will normalize."""
        return {record.origin: (article.id, article.version)
                for record, article in articles_to_come(records, self._limits)}


def url_key(article: Article) -> str:
    """What `DedupByUrlFn` lets through once: a canonical URL, or an id; a wire item's id at each version."""
    if article.version is not None:
        return f"{article.id}@{article.version}"
    return article.canonical_url or article.id


class DedupByUrlFn(beam.DoFn):
    """Let the first article of a canonical URL through; drop repeats within the horizon.

    The expiry timer is in event time (fetch time), so a key lives `horizon` after
    it was last seen, and state stays bounded by the arrival rate.
    """

    FIRST = ReadModifyWriteStateSpec("first", StrUtf8Coder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, horizon: timedelta, job: str = "") -> None:
        self._horizon = Duration(seconds=horizon.total_seconds())
        self._job = job

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
            settle_consumed(self._job, [article.id], one_each=True)
            return
        first.write(article.id)
        yield article

    @on_timer(EXPIRY)
    def expire(self, first=beam.DoFn.StateParam(FIRST)):
        first.clear()


@dataclass
class _ProcessAssigners:
    """The assignment core of one job in a worker process, shared by its DoFn instances.

    Two bundles of one key, each deciding from the same saved state, would each
    save a state that lacks the other's decisions. One core per process,
    committed under one lock, decides each article after the last one. `name`
    tells this process's core from another worker's in the runner's state.
    """

    backend: IndexBackend
    config: AssignConfig
    core: AssignmentCore = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)
    name: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: States loaded from the index and not yet counted (`state_loads`; a counter counts in a bundle).
    loads: int = 0
    _warming: threading.Thread | None = None
    _warm_guard: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.core = AssignmentCore(self.config, self._load, reject_repeated_ids=False,
                                   stored=self.backend.stored_versions)

    @classmethod
    def of(cls, job: str, settings: BackendSettings, config: AssignConfig) -> _ProcessAssigners:
        """Job `job`'s core in this process, over a backend of its own that lives as long as the job."""
        return shared_in_process(job, "assign", lambda: cls(open_backend(settings), config))

    def _load(self, key: str) -> OnlineAssigner:
        self.loads += 1
        return load_assigner(self.backend, key, self.config)

    def warm(self) -> None:
        """Load every saved hot state in the background, once: the first bundle would wait for it."""
        with self._warm_guard:
            if self._warming is not None:
                return
            self._warming = threading.Thread(target=self._warm, name="newsbeam-warm-state", daemon=True)
        self._warming.start()

    def _warm(self) -> None:
        started = time.perf_counter()
        try:
            with self.lock:
                keys = saved_keys(self.backend)
                for key in keys:
                    self.core.assigner(key)
        except Exception:  # the first bundle of the key loads it again, and reports what fails
            _log.exception("loading the saved hot state ahead of the first bundle failed")
            return
        _log.info("hot state of %s loaded in %.1f s", ", ".join(keys) or "no key", time.perf_counter() - started)

    def close(self) -> None:
        with self.lock:  # after a state still loading
            self.backend.close()


class AssignStreamFn(beam.DoFn):
    """Dedup and cluster under a coarse key with the shared assignment core.

    The assigners are large object graphs, so they live in the worker's memory
    between bundles (`_ProcessAssigners`). The runner's state of a key says which
    worker process decided last under it: memory is current unless another
    process did since, and then the key is reloaded from the index (it moved to
    another worker and back). Two bundles of one key in one process (Prism runs
    them at once, each reading the state the last finished bundle left) share
    the process's memory and never reload for each other. A bundle's articles
    are featurized as they come and decided at its end, in one commit: articles
    and events written, then the state of the keys it touched saved. A commit
    that fails leaves the keys it touched to be reloaded. What the index refuses
    goes to the `dead` output with the index's reason.
    """

    DECIDED_BY = ReadModifyWriteStateSpec("decided_by", StrUtf8Coder())

    def __init__(self, config: AssignConfig, backend: BackendSettings, job: str) -> None:
        self._config = config
        self._backend_settings = backend
        self._job = job

    def setup(self) -> None:
        self._shared = _ProcessAssigners.of(self._job, self._backend_settings, self._config)

    def start_bundle(self) -> None:
        #: The keys of this bundle, each with whether another process decided under it last.
        self._keys: dict[str, bool] = {}
        self._pending: list[tuple[str, Article, ArticleFeatures]] = []

    def process(
        self, keyed: tuple[str, Article], ts=beam.DoFn.TimestampParam, decided_by=beam.DoFn.StateParam(DECIDED_BY)
    ):
        key, article = keyed
        if key not in self._keys:
            last = decided_by.read()
            self._keys[key] = last is not None and last != self._shared.name
            decided_by.write(self._shared.name)
        hot_window = timedelta(days=self._config.cluster.hot_window_days)
        fetched = datetime.fromtimestamp(float(ts), tz=timezone.utc)
        if article.published and fetched - article.published > hot_window:
            counter("late_articles").inc()
        self._pending.append((key, article, featurize(article, self._config.features)))

    def finish_bundle(self):
        if not self._pending:
            return
        shared = self._shared
        with shared.lock:
            started = time.perf_counter()
            core = shared.core
            try:
                for key, elsewhere in self._keys.items():
                    if elsewhere:
                        core.forget(key)
                    core.assigner(key)
                loaded = time.perf_counter()
                core.look_up_versions(article for _, article, _ in self._pending)
                outcomes = [core.offer(key, article, features)
                            for key, article, features in versions_in_order(self._pending)]
                # A wire item older than the version taken is refused, not indexed.
                articles = [outcome for outcome in outcomes if not isinstance(outcome, DeadLetter)]
                superseded = [outcome for outcome in outcomes if isinstance(outcome, DeadLetter)]
                events = core.drain_events(self._keys)
                decided = time.perf_counter()
                report = commit(shared.backend, articles, events, {key: core.assigner(key) for key in self._keys})
            except BaseException:
                for key in self._keys:  # decided in memory, not (all) saved: the index has the truth
                    core.forget(key)
                raise
            settle_consumed(self._job, [article.id for _, article, _ in self._pending])
            count_all(core.take_counts())
            for key in self._keys:
                report_hot_state(key, len(core.assigner(key).near))
            counter("state_loads").inc(shared.loads)
            shared.loads = 0
        _log.debug("bundle of %d articles (keys %s): state ready in %.0f ms, decided in %.0f ms, "
                   "index written in %.0f ms, state saved in %.0f ms", len(articles), sorted(self._keys),
                   (loaded - started) * 1000, (decided - loaded) * 1000, report.write_seconds * 1000,
                   report.state_seconds * 1000)
        now = Timestamp.now()
        for letter in report.refused:
            _log.warning("the index refused %s: %s (%s)", letter.origin, letter.reason, letter.detail)
            yield windowed(dead_letter(letter, False), now, GlobalWindow())
        for letter in superseded:
            yield windowed(dead_letter(letter, False), now, GlobalWindow())
        counter("index_write_errors").inc(len(report.refused))
        written = time.time()
        refused = {letter.origin for letter in report.refused_articles}
        observe_publish_latency(written - indexed.article.published.timestamp() for indexed in articles
                                if indexed.article.published and (indexed.article.url or indexed.article.id) not in refused)
        counter("articles_indexed").inc(len(articles) - len(report.refused_articles))
        counter("events_indexed").inc(len(events))
        counter("commits").inc()
        counter("index_write_ms").inc(round(report.write_seconds * 1000))
        counter("state_save_ms").inc(round(report.state_seconds * 1000))


def versions_in_order(pending: list[tuple[str, Article, ArticleFeatures]]) -> list[tuple[str, Article, ArticleFeatures]]:
    """A bundle's articles in arrival order, except that versions of one wire item come oldest first.

    A correction may reach a bundle before the story it corrects; taken in
    that order, the story would be refused as older than its correction.
    """
    places: dict[str, list[int]] = {}
    for place, (_, article, _) in enumerate(pending):
        if article.version is not None:
            places.setdefault(article.id, []).append(place)
    ordered = list(pending)
    for taken in places.values():
        for place, entry in zip(taken, sorted((pending[p] for p in taken), key=lambda e: e[1].version)):
            ordered[place] = entry
    return ordered


class WarmStateFn(beam.DoFn):
    """Start loading the saved hot states as the job starts, beside its first poll.

    Runs with the clock, whose stage starts first; the assign step's first bundle
    then finds the states loaded (or loading) instead of reading seconds of JSON
    (200k hot articles) while its articles wait.
    """

    def __init__(self, config: AssignConfig, backend: BackendSettings, job: str) -> None:
        self._config = config
        self._backend_settings = backend
        self._job = job

    def setup(self) -> None:
        _ProcessAssigners.of(self._job, self._backend_settings, self._config).warm()

    def process(self, tick: Any):
        return ()


class StreamIngest(beam.PTransform):
    """The whole streaming composition, from a clock to the index."""

    def __init__(self, settings: StreamSettings) -> None:
        super().__init__()
        self._settings = settings
        #: Names what this job's DoFn instances share in a worker process (`shared_in_process`).
        self.job = uuid.uuid4().hex

    def expand(self, pbegin):
        s = self._settings
        start = Timestamp.now()
        if s.run_for is None:
            stop = MAX_TIMESTAMP
        else:  # run_for=0 still polls once: the impulse fires at `start`
            stop = start + Duration(seconds=max(s.run_for, 0.001))
        feeds = list(s.feeds)
        job = self.job
        clock = pbegin | "Clock" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=stop,
                                                    fire_interval=s.poll_interval)
        if s.warm_start:
            _ = clock | "WarmState" >> beam.ParDo(WarmStateFn(s.assign, s.backend, job))
        polled = (
            clock
            | "PerSource" >> beam.FlatMap(lambda tick: [(url, tick) for url in feeds]).with_output_types(tuple[str, Any])
            | "Poll" >> beam.ParDo(PollSourceFn(s.backend, s.fetch, s.pages, job, s.concurrent_feeds, limits=s.limits))
            .with_outputs(DEAD, main="records")
        )
        records, dead = polled.records, [polled[DEAD]]
        if s.kafka is not None:
            consumed = (
                pbegin
                | "KafkaClock" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=stop,
                                                  fire_interval=s.kafka.poll_seconds)
                | "PollKafka" >> beam.ParDo(PollKafkaFn(s.kafka, job, s.limits)).with_outputs(DEAD, main="records")
            )
            records = (records, consumed.records) | "AllRecords" >> beam.Flatten()
            dead.append(consumed[DEAD])
        normalized = records | "Normalize" >> beam.ParDo(NormalizeFn(s.limits)).with_outputs(DEAD, main="articles")
        assigned = (
            normalized.articles
            | "ByUrl" >> beam.Map(lambda a: (url_key(a), a)).with_output_types(tuple[str, Article])
            | "DedupUrl" >> beam.ParDo(DedupByUrlFn(timedelta(days=s.assign.dedup_horizon_days), job))
            | "ByLanguage" >> beam.Map(lambda a, c=s.assign: (assignment_key(a, c), a)).with_output_types(tuple[str, Article])
            | "Assign" >> beam.ParDo(AssignStreamFn(s.assign, s.backend, job)).with_outputs(DEAD, main="done")
        )
        if s.dead_letter_path is not None:
            (
                (*dead, normalized[DEAD], assigned[DEAD])
                | "AllDead" >> beam.Flatten()
                | "AppendDead" >> beam.ParDo(AppendJsonLinesFn(s.dead_letter_path))
            )
        return assigned.done


class AppendJsonLinesFn(beam.DoFn):
    """Append each dead letter, with the time, to a JSON Lines file as it comes: a stream has no end to wait for."""

    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self._path = path

    def process(self, letter: DeadLetter):
        # The time it was written: `newsbeam status` counts a stream's dead letters of the last day.
        stamped = {**letter.to_json(), "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        line = json.dumps(stamped, ensure_ascii=False) + "\n"
        with self._lock:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as out:
                out.write(line)


class _JobQuery:
    """Asks the runner for a running job's metrics, for the log and for `/metrics` (one at a time)."""

    def __init__(self) -> None:
        self.result: PipelineResult | None = None
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, list] | None:
        """Beam's `MetricResults.query()` answer, fresh, or None before the job starts."""
        if self.result is None:
            return None
        with self._lock:
            if hasattr(self.result, "_metrics"):
                self.result._metrics = None  # the SDK caches the first answer; we want each
            return self.result.metrics().query()

    def totals(self) -> dict[str, int]:
        """Counter totals of the job's own (`newsbeam`) counters; empty on a runner without live metrics."""
        try:
            return job_counters(self() or {})
        except Exception:  # the log just stays quiet
            return {}


class _IndexCountsReader:
    """The index's counts for the metrics endpoint, from one backend opened at the first scrape.

    Opening a backend checks its tables or templates (writes, on Elasticsearch): work
    that a scrape every few seconds need not repeat. Scrapes come on threads of their
    own, so the backend is used under a lock; one that failed is closed, and the next
    scrape opens another.
    """

    def __init__(self, settings: BackendSettings) -> None:
        self._settings = settings
        self._backend: IndexBackend | None = None
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, int]:
        with self._lock:
            if self._backend is None:
                self._backend = open_backend(self._settings)
            try:
                return self._backend.counts()
            except Exception:
                self._close()
                raise

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()


def run(settings: StreamSettings, runner: RunnerSettings) -> dict[str, int]:
    """Run the streaming pipeline until it stops (run_for) or is cancelled; return the counters."""
    runner = dataclasses.replace(runner, streaming=True)
    query = _JobQuery()
    index_counts = _IndexCountsReader(settings.backend)
    server = None
    if settings.metrics_port is not None:
        server, _ = serve_metrics(settings.metrics_port, settings.metrics_host,
                                  [JobMetrics(query), IndexCounts(index_counts)])
        _log.info("metrics on http://%s:%d/metrics", settings.metrics_host, server.server_port)
    try:
        with runner_session(runner) as options:
            pipeline = beam.Pipeline(options=options)
            stream = StreamIngest(settings)
            _ = pipeline | "Stream" >> stream
            query.result = result = pipeline.run()
            stop = threading.Event()

            def log_metrics() -> None:
                while not stop.wait(settings.metrics_interval):
                    if totals := query.totals():
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
                release_shared(stream.job)
            totals = query.totals()
            _log.info("newsbeam stream ended (%s): %s", state, totals)
            return totals
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        index_counts.close()
