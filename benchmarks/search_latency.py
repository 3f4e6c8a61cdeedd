"""Latency of `GET /search` under 50 concurrent clients on loopback, over a 100k-article index.

    python benchmarks/search_latency.py [--articles 100000] [--clients 50] [--requests 5000]
        [--single 600] [--workers 1] [--data-dir DIR] [--es-url URL]
        [--out benchmarks/results/search_latency.md]

Builds a synthetic index through the backend's own write methods (skipped when the data
dir already holds one of the right size), starts `newsbeam serve` in its own process,
then drives it from this process with async HTTP clients: first one client alone (the
cost of a query with nothing else running), then `--clients` at once, each sending its
next query as soon as the last one answered. Queries mix rare topic words (few events
match), frequent words (thousands match) and filtered searches, so the figures are not
those of a cache hit. The async clients are httpx's: install the `test` extra
(`pip install -e ".[test]"`); the connectors do not need httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx

from newsbeam.config import Configuration
from newsbeam.config.build import backend_settings
from newsbeam.connectors.sinks.base import IndexedArticle
from newsbeam.connectors.sinks.select import BackendSettings, open_backend
from newsbeam.schemas import Article, Event

SEED = 20251123
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "bra", "dor", "fen", "gul", "hap", "jin", "kor", "lum", "mor", "nis", "pol"]
OUTLETS = [f"Outlet {i:02d}" for i in range(60)]
START = datetime(2025, 1, 1, tzinfo=UTC)
WRITE_BATCH = 5_000
REQUEST_TIMEOUT = 120


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))))
    return sorted(words)


@dataclass(frozen=True)
class Corpus:
    common: list[str]  # Zipf-distributed background words
    topics: list[list[str]]  # per event, the words its articles share


def plan_corpus(articles: int, per_event: int) -> Corpus:
    """Vocabulary and event topics, the same on every run (so an index can be reused)."""
    rng = random.Random(SEED)
    words = vocabulary(20_000, rng)
    return Corpus(common=words[:4_000], topics=[rng.sample(words[4_000:], 6) for _ in range(articles // per_event)])


def batches(corpus: Corpus, per_event: int, rng: random.Random) -> Iterator[tuple[list[IndexedArticle], list[Event]]]:
    """The corpus's articles and events, in the batches `build_index` writes them in."""
    common, topics = corpus.common, corpus.topics
    weights = [1 / (rank + 1) for rank in range(len(common))]
    batch: list[IndexedArticle] = []
    events: list[Event] = []
    for e, topic in enumerate(topics):
        begin = START + timedelta(minutes=rng.randrange(90 * 24 * 60))
        members: list[Article] = []
        for _ in range(per_event):
            body = rng.choices(common, weights, k=140) + rng.choices(topic, k=40)
            rng.shuffle(body)
            members.append(Article(
                id=f"bench-{e:06d}-{len(members)}",
                url=f"https://bench.example/{e}/{len(members)}",
                title=" ".join(rng.sample(topic, 3) + rng.choices(common, weights, k=5)).capitalize(),
                text=" ".join(body) + ".",
                published=begin + timedelta(minutes=rng.randrange(48 * 60)),
                source=rng.choice(OUTLETS),
                language="en" if rng.random() < 0.9 else "de",
            ))
        members.sort(key=lambda a: a.sort_key)
        event_id = f"evt-bench-{e:06d}"
        batch.extend(IndexedArticle(a, event_id) for a in members)
        events.append(Event(
            event_id=event_id, title=members[0].title, representative_id=members[0].id,
            article_ids=[a.id for a in members], sources=sorted({a.source for a in members}),
            first_seen=members[0].published, last_seen=members[-1].published, keywords=topic[:5],
        ))
        if len(batch) >= WRITE_BATCH:
            yield batch, events
            batch, events = [], []
    if batch:
        yield batch, events


def build_index(settings: BackendSettings, corpus: Corpus, per_event: int, rng: random.Random) -> None:
    """Write the corpus through the backend's own methods, as the pipeline's sink does."""
    backend = open_backend(settings)
    try:
        for articles, events in batches(corpus, per_event, rng):
            backend.write_articles(articles)
            backend.write_events(events)
    finally:
        backend.close()


@dataclass(frozen=True)
class Request:
    kind: str  # rare | frequent | filtered
    params: dict[str, str]


KINDS = {"rare": "one to three topic words (a handful of events match)",
         "frequent": "two of the 200 most frequent words (thousands of articles match)",
         "filtered": "a topic word with an outlet and a ten-day date window"}


def queries(corpus: Corpus, count: int, rng: random.Random) -> list[Request]:
    """70% rare, 20% frequent, 10% filtered (see KINDS)."""
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.7:
            out.append(Request("rare", {"q": " ".join(rng.sample(rng.choice(corpus.topics), rng.randint(1, 3)))}))
        elif roll < 0.9:
            out.append(Request("frequent", {"q": " ".join(rng.sample(corpus.common[:200], 2))}))
        else:
            day = START + timedelta(days=rng.randrange(80))
            out.append(Request("filtered", {
                "q": rng.choice(rng.choice(corpus.topics)), "source": rng.choice(OUTLETS),
                "from": day.date().isoformat(), "to": (day + timedelta(days=10)).date().isoformat()}))
    return out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(settings: BackendSettings, port: int, workers: int) -> subprocess.Popen:
    """`newsbeam serve`, as a user starts it."""
    command = [sys.executable, "-m", "newsbeam", "serve", "--data-dir", str(settings.data_dir), "--port", str(port)]
    if workers != 1:
        command += ["--workers", str(workers)]
    if settings.es_url:
        command += ["--es-url", settings.es_url]
    server = subprocess.Popen(command)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not answer /health within 60 s")


@dataclass
class Measured:
    latencies: dict[str, list[float]]  # seconds, by query kind
    failures: Counter[str]  # by kind: an HTTP status or a transport error's class name
    wall: float
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after
    client_cpu: float = 0.0  # seconds of CPU this process (the clients) used
    server_cpu: float | None = None  # seconds of CPU the server's processes used (Linux only)

    @property
    def all(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]


async def drive(base: str, plan: list[Request], clients: int) -> Measured:
    """Run `plan` with `clients` concurrent clients, each sending its next request on an answer."""
    measured = Measured({kind: [] for kind in KINDS}, Counter(), 0.0)
    cursor = iter(plan)
    address = httpx.URL(base)

    async def client() -> None:
        connection: Connection | None = None
        for request in cursor:
            began = time.perf_counter()
            try:
                connection = connection or await Connection.open(address.host, address.port)
                status = await connection.get("/search?" + urlencode(request.params))
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                measured.failures[type(error).__name__] += 1
                if connection:
                    connection.close()
                connection = None
                continue
            measured.latencies[request.kind].append(time.perf_counter() - began)
            if status != 200:
                measured.failures[f"HTTP {status}"] += 1
        if connection:
            connection.close()

    began = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(client() for _ in range(clients))), REQUEST_TIMEOUT * len(plan))
    measured.wall = time.perf_counter() - began
    return measured


class Connection:
    """One keep-alive HTTP/1.1 connection that reads whole responses.

    httpx's async client spent 6-8 ms of CPU per request at 50 connections, as much as
    the server it measured on the same two CPUs; this needs a fraction of a millisecond,
    which leaves the CPUs to the server. It speaks only what `newsbeam serve` answers
    here: GET, a status line, headers with Content-Length, a body.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, host)

    async def get(self, target: str) -> int:
        """Send GET `target`, read the whole answer, return its status code."""
        self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode("ascii"))
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
        length = {name.strip().lower(): value.strip() for name, value in headers.items()}.get("content-length")
        if length is None:
            raise ValueError("an answer without Content-Length")
        await asyncio.wait_for(self.reader.readexactly(int(length)), REQUEST_TIMEOUT)
        return int(lines[0].split()[1])

    def close(self) -> None:
        self.writer.close()


def measure(base: str, plan: list[Request], clients: int, server_pid: int) -> Measured:
    load_before, cpu_before, server_before = os.getloadavg()[0], time.process_time(), process_tree_cpu(server_pid)
    measured = asyncio.run(drive(base, plan, clients))
    measured.load = (load_before, os.getloadavg()[0])
    measured.client_cpu = time.process_time() - cpu_before
    server_after = process_tree_cpu(server_pid)
    if server_before is not None and server_after is not None:
        measured.server_cpu = server_after - server_before
    return measured


def process_tree_cpu(pid: int) -> float | None:
    """CPU seconds used so far by `pid` and its descendants (uvicorn's workers), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    seconds += process_tree_cpu(int(child)) or 0.0
        return seconds
    except (OSError, ValueError, IndexError):
        return None


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def summary_row(label: str, seconds: list[float]) -> str:
    if not seconds:
        return f"| {label} | 0 | | | | |"
    ms = [1000 * x for x in seconds]
    return (f"| {label} | {len(ms):,} | {percentile(ms, 50):.0f} | {percentile(ms, 95):.0f} "
            f"| {percentile(ms, 99):.0f} | {max(ms):.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--per-event", type=int, default=5)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=5_000, help="requests of the concurrent run")
    parser.add_argument("--single", type=int, default=600, help="requests of the one-client run")
    parser.add_argument("--workers", type=int, default=1, help="`newsbeam serve --workers`")
    parser.add_argument("--data-dir", type=Path, help="keep the index here (reused when it has the right size)")
    parser.add_argument("--es-url", help="benchmark an Elasticsearch backend instead of the embedded one")
    parser.add_argument("--out", type=Path, help="write a Markdown report here")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="newsbeam-bench-"))
    settings = backend_settings(Configuration(), data_dir=data_dir, es_url=args.es_url)
    backend = open_backend(settings)
    indexed = backend.counts().get("articles", 0)
    backend.close()
    if indexed not in (0, args.articles):
        sys.exit(f"{settings.description} holds {indexed} articles, not {args.articles}: use an empty --data-dir")
    corpus = plan_corpus(args.articles, args.per_event)
    build_seconds = float("nan")  # reused index: not built by this run
    if indexed == 0:
        began = time.perf_counter()
        build_index(settings, corpus, args.per_event, random.Random(SEED + 3))
        build_seconds = time.perf_counter() - began
    print(f"index: {args.articles:,} articles ready (build {build_seconds:.1f} s)", flush=True)

    plan = queries(corpus, args.requests, random.Random(SEED + 1))
    single_plan = queries(corpus, args.single, random.Random(SEED + 4))
    warmup = queries(corpus, 200, random.Random(SEED + 2))
    port = free_port()
    server = start_server(settings, port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}"
        asyncio.run(drive(base, warmup, args.clients))
        single = measure(base, single_plan, 1, server.pid)
        measured = measure(base, plan, args.clients, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    report = render(args, settings, build_seconds, single, measured)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")


def table(measured: Measured) -> str:
    rows = "\n".join(summary_row(f"{kind}: {KINDS[kind]}", measured.latencies[kind]) for kind in KINDS)
    failed = ", ".join(f"{n} {kind}" for kind, n in measured.failures.most_common()) or "none"
    return f"""| queries | requests | p50 ms | p95 ms | p99 ms | max ms |
|---|---:|---:|---:|---:|---:|
{summary_row("**all**", measured.all)}
{rows}

Throughput {len(measured.all) / measured.wall:.1f} requests/s; failed requests: {failed}. CPU per request:
server {cpu_ms(measured.server_cpu, measured)}, clients {cpu_ms(measured.client_cpu, measured)}. Load average (1 min)
before/after: {measured.load[0]:.1f} / {measured.load[1]:.1f}."""


def cpu_ms(seconds: float | None, measured: Measured) -> str:
    return "unknown" if seconds is None else f"{1000 * seconds / max(len(measured.all), 1):.1f} ms"


def render(args, settings: BackendSettings, build_seconds: float, single: Measured, measured: Measured) -> str:
    backend = "Elasticsearch" if settings.es_url else "embedded SQLite FTS5"
    built = f"{build_seconds:.0f} s" if build_seconds == build_seconds else "reused from an earlier run"
    return f"""# `/search` latency

Over {args.articles:,} synthetic articles in {args.articles // args.per_event:,} events
({backend}; index built through `write_articles`/`write_events`: {built}).
Server: `newsbeam serve --workers {args.workers}` on loopback. Latency is measured at the client,
from sending the request to reading the whole response.

## One client

{len(single.all):,} requests, each sent when the last one answered: the cost of a query on an
otherwise idle server.

{table(single)}

## {args.clients} concurrent clients

{len(measured.all):,} requests after 200 warm-up, {args.clients} clients each sending its next
request as soon as the last one answered.

{table(measured)}

Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. The clients
run on the same machine and share its CPUs with the server; a load average above the CPU
count means other work shared them too, and the figures are pessimistic.

Reproduce: `python benchmarks/search_latency.py --workers {args.workers} --out benchmarks/results/search_latency.md`
"""


if __name__ == "__main__":
    main()
