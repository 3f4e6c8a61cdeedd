"""A Kafka topic as a source of the streaming pipeline, with offsets committed only past indexed records.

Each record's value is an article input record (JSON), a ninjs item or list, or
a NewsML-G2 document: the same readers as files and HTTP pulls
(`connectors.iptc.read_iptc_document`). The consumer commits no offset by itself.
An `OffsetLedger` in the worker process counts, per consumed record, the
articles it brought that are not yet settled; the assignment step settles them
once its commit (index writes, then state) has landed, and the URL dedup step
settles those it drops as copies. Each poll first commits, per partition, the
offset past the last record whose every earlier record is settled. A job that
stops or dies leaves the rest uncommitted: the next job reads it again, and the
index and the assignment core answer what was already done (upserts by id,
recorded decisions, wire versions), so nothing is lost or doubled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import apache_beam as beam
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import Timestamp

from newsbeam.connectors.iptc import read_iptc_document
from newsbeam.connectors.records import RawRecord
from newsbeam.pipelines.normalize import NormalizeLimits
from newsbeam.pipelines.transforms import articles_to_come, counter, dead_letter, windowed
from newsbeam.schemas import DeadLetter

_log = logging.getLogger(__name__)

#: Seconds a poll waits for records to arrive (a small part of the tick interval).
_WAIT = 0.1
#: The name under which a job's ledger is shared in a worker process (`shared_in_process`).
LEDGER = "kafka-ledger"


@dataclass(frozen=True, slots=True)
class KafkaSource:
    """Where `newsbeam run --kafka` reads: plain data, so Beam can ship it to workers."""

    brokers: str
    topic: str
    group: str = "newsbeam"
    #: Records taken in one poll, and seconds between polls.
    max_records: int = 500
    poll_seconds: float = 1.0
    #: How long the first poll waits for the group to hand this consumer its partitions.
    join_seconds: float = 30.0


@dataclass
class OffsetLedger:
    """Consumed records (partition, offset) → articles of theirs not yet settled."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    _open: dict[int, dict[int, int]] = field(default_factory=dict)
    _records_of: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    _next: dict[int, int] = field(default_factory=dict)

    def taken(self, partition: int, offset: int, article_ids: Iterable[str]) -> None:
        """A record was consumed; it is settled once each of `article_ids` is (at once when none)."""
        ids = list(dict.fromkeys(article_ids))
        with self.lock:
            self._open.setdefault(partition, {})[offset] = len(ids)
            for article_id in ids:
                self._records_of.setdefault(article_id, []).append((partition, offset))
            self._next[partition] = max(self._next.get(partition, 0), offset + 1)

    def settle(self, article_ids: Iterable[str], one_each: bool = False) -> None:
        """These articles are indexed: their records need nothing more.

        `one_each` settles one record per id (the latest): an article dropped as a
        copy of one with the same id leaves the other record waiting for it.
        """
        with self.lock:
            for article_id in article_ids:
                records = self._records_of.get(article_id, [])
                settled = [records.pop()] if one_each and records else records[:]
                if not records or not one_each:
                    self._records_of.pop(article_id, None)
                for partition, offset in settled:
                    records = self._open.get(partition, {})
                    if offset in records:
                        records[offset] = max(records[offset] - 1, 0)

    def committable(self) -> dict[int, int]:
        """Per partition, the offset to commit: the first record not settled, else past the last taken."""
        with self.lock:
            offsets = {}
            for partition, records in self._open.items():
                waiting = [offset for offset, left in records.items() if left > 0]
                first = min(waiting) if waiting else self._next[partition]
                for offset in [o for o in records if o < first]:
                    del records[offset]
                offsets[partition] = first
            return offsets


class BrokersUnreachable(Exception):
    """No broker of a `KafkaSource` answered: its consumers would wait for partitions and take nothing."""


#: How long `check_brokers` waits for the cluster to answer.
BROKER_CHECK_SECONDS = 10.0


def check_brokers(source: KafkaSource, timeout: float = BROKER_CHECK_SECONDS) -> None:
    """Raise `BrokersUnreachable` unless a broker of `source` answers within `timeout` seconds.

    A consumer whose brokers never answer does not fail: it retries the connection
    and its polls come back empty, so a run over it ends having read nothing, and a
    wrong address looks like a quiet topic. Asking the cluster for its metadata once,
    before the job starts, tells the two apart. librdkafka's own connection messages
    of this one probe go to a logger below the warning level.
    """
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    client = AdminClient({"bootstrap.servers": source.brokers, "logger": _probe_log})
    try:
        client.list_topics(timeout=timeout)
    except KafkaException as error:
        raise BrokersUnreachable(f"no Kafka broker answered at {source.brokers} within {timeout:g} s "
                                 f"({error.args[0].str() if error.args else error})") from None


_probe_log = logging.getLogger(f"{__name__}.probe")


class KafkaReader:
    """One consumer of the topic per worker process, used under `lock`."""

    def __init__(self, source: KafkaSource) -> None:
        from confluent_kafka import Consumer

        self.source = source
        self.lock = threading.Lock()
        self.consumer = Consumer({
            "bootstrap.servers": source.brokers, "group.id": source.group, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "enable.partition.eof": False,
            # A consumer that died holds its partitions until this runs out: its successor waits that long.
            "session.timeout.ms": 10_000,
        })
        self.consumer.subscribe([source.topic])
        self._committed: dict[int, int] = {}

    def commit(self, offsets: dict[int, int]) -> None:
        from confluent_kafka import TopicPartition

        changed = [TopicPartition(self.source.topic, p, o) for p, o in offsets.items() if self._committed.get(p) != o]
        if changed:
            self.consumer.commit(offsets=changed, asynchronous=False)
            self._committed.update({tp.partition: tp.offset for tp in changed})

    def take(self) -> list:
        """The records waiting, up to `max_records`; the first call waits for the partitions.

        A later call waits at most `_WAIT` seconds for records: the clock's ticks
        are handled one after another in one bundle while they fall due, and a
        poll that takes as long as the tick interval would keep that bundle, and
        the records it took, from ever ending.
        """
        deadline = time.monotonic() + self.source.join_seconds
        messages = self.consumer.consume(self.source.max_records, timeout=_WAIT)
        while not messages and not self.consumer.assignment() and time.monotonic() < deadline:
            messages = self.consumer.consume(self.source.max_records, timeout=_WAIT)
        return messages

    def close(self) -> None:
        self.consumer.close()


class PollKafkaFn(beam.DoFn):
    """At each tick: commit what is settled, then take the records waiting in the topic."""

    def __init__(self, source: KafkaSource, job: str, limits: NormalizeLimits = NormalizeLimits()) -> None:
        self._source = source
        self._job = job
        self._limits = limits

    def setup(self) -> None:
        from newsbeam.pipelines.streaming import shared_in_process

        self._reader = shared_in_process(self._job, "kafka-reader", lambda: KafkaReader(self._source))
        self._ledger = shared_in_process(self._job, LEDGER, OffsetLedger)

    def process(self, tick):
        with self._reader.lock:
            self._reader.commit(self._ledger.committable())
            messages = self._reader.take()
        now = Timestamp.now()
        for message in messages:
            if message.error() is not None:
                _log.warning("Kafka: %s", message.error())
                continue
            origin = f"kafka:{message.topic()}/{message.partition()}@{message.offset()}"
            items = list(read_iptc_document(message.value() or b"", origin))
            records = [item for item in items if isinstance(item, RawRecord)]
            self._ledger.taken(message.partition(), message.offset(),
                               [article.id for _, article in articles_to_come(records, self._limits)])
            counter("kafka_records").inc()
            for item in items:
                if isinstance(item, DeadLetter):
                    yield windowed(dead_letter(item, False), now, GlobalWindow())
                else:
                    counter("fetched").inc()
                    yield windowed(item, now, GlobalWindow())

    def teardown(self) -> None:
        with self._reader.lock:
            self._reader.commit(self._ledger.committable())
