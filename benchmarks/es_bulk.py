"""Bulk indexing throughput: our sink called as the pipeline calls it, beside `helpers.parallel_bulk`.

    python -m benchmarks.es_bulk [--docs 30000] [--rounds 6] [--es-url URL] [--writers ...] [--profile]

The sink gets the articles the way `WriteToIndex` hands them over: `write_articles` in
calls of 500 articles one after another, each call returning its refused documents once
all of its articles are stored or refused. `parallel_bulk` (4 threads, 500 per chunk) gets the same documents (same ids, same JSON)
in one stream. Each round runs every writer on fresh indices made from the same template,
on the same node, a different writer first each round, and reports the ratios of their
rates: on a shared machine the rates drift a lot from minute to minute, the ratios
within a round much less. Without --es-url a local node is started
with deploy/elasticsearch/node.py and stopped afterwards. Results go to
benchmarks/results/es_bulk.md.

--profile adds where the calling thread's time goes in one sink run (cProfile): building
documents, encoding them, and waiting for the node.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from elasticsearch import Elasticsearch, helpers

from newsbeam.benchmarks import machine
from newsbeam.connectors.sinks import BackendSettings, IndexedArticle
from newsbeam.connectors.sinks.elasticsearch import BulkLimits, ElasticsearchBackend
from newsbeam.schemas import Article

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "es_bulk.md"
#: The pipeline hands the sink batches of at most this many articles (WriteToIndex's BatchElements).
PIPELINE_BATCH = 500
SINK = "write_articles"
PARALLEL_BULK = "parallel_bulk"
WRITERS = (SINK, PARALLEL_BULK)


def synthetic_articles(n: int, seed: int = 7) -> list[IndexedArticle]:
    """News-like articles: a 4,000-word vocabulary, 12-word titles, ~150-word bodies (~1 KB)."""
    rng = random.Random(seed)
    vocabulary = [f"{rng.choice('bcdfghklmnprstvz')}{rng.choice('aeiou')}{rng.choice('lmnrst')}{rng.choice('aeiou')}{i}" for i in range(4000)]
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    articles = []
    for i in range(n):
        title = " ".join(rng.choices(vocabulary, k=12))
        text = " ".join(rng.choices(vocabulary, k=150))
        article = Article(
            id=f"bench-{i:07d}", url=f"https://news{i % 50}.example/{i}", title=title, text=text,
            published=start + timedelta(minutes=i), source=f"news{i % 50}.example", language="en",
            canonical_url=f"https://news{i % 50}.example/{i}", content_hash=f"{i:016x}",
        )
        articles.append(IndexedArticle(article, event_id=f"ev-{i // 5}"))
    return articles


def run_sink(backend: ElasticsearchBackend, docs: list[IndexedArticle]) -> None:
    """`write_articles` per batch, each call answered (written or refused) before the next."""
    for start in range(0, len(docs), PIPELINE_BATCH):
        refused = backend.write_articles(docs[start : start + PIPELINE_BATCH])
        assert not refused, refused[:3]


def run_parallel_bulk(client: Elasticsearch, index: str, docs: list[IndexedArticle]) -> None:
    actions = ({"_index": index, "_id": d.article.id, "_source": d.to_json()} for d in docs)
    for ok, info in helpers.parallel_bulk(client, actions, thread_count=4, chunk_size=500, raise_on_error=True):
        assert ok, info


def fresh_backend(url: str, prefix: str) -> ElasticsearchBackend:
    drop_indices(url, prefix)
    return ElasticsearchBackend.from_settings(BackendSettings(data_dir=Path(tempfile.gettempdir()), es_url=url, es_index_prefix=prefix))


def drop_indices(url: str, prefix: str) -> None:
    with Elasticsearch(url, request_timeout=120) as client:
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) of process `pid` so far; 0 when there is no such process to read."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(url: str, prefix: str, writer: str, docs: list[IndexedArticle], node_pid: int | None = None) -> dict[str, float]:
    """One run into fresh indices, up to a refresh, count checked: docs/s, and client and node CPU µs per doc.

    CPU per document depends much less on what else the machine runs than the rate does.
    """
    backend = fresh_backend(url, prefix)
    try:
        runs: dict[str, Callable[[], None]] = {
            SINK: lambda: run_sink(backend, docs),
            PARALLEL_BULK: lambda: run_parallel_bulk(backend.client, backend.names.articles, docs),
        }
        run = runs[writer]
        started, client, node = time.perf_counter(), time.process_time(), cpu_seconds(node_pid)
        run()
        backend.refresh()
        seconds = time.perf_counter() - started
        client, node = time.process_time() - client, cpu_seconds(node_pid) - node
        count = backend.counts()["articles"]
        assert count == len(docs), f"{writer}: expected {len(docs)} documents, found {count}"
        return {"rate": len(docs) / seconds, "client_us": 1e6 * client / len(docs), "node_us": 1e6 * node / len(docs)}
    finally:
        backend.close()
        drop_indices(url, prefix)


def warm_up(url: str, writers: tuple[str, ...], docs: list[IndexedArticle]) -> None:
    """Index some documents every way first, so no writer pays for a cold JVM."""
    for writer in writers:
        measure(url, "bench-warm", writer, docs)


def benchmark(url: str, docs: list[IndexedArticle], writers: tuple[str, ...], rounds: int, node_pid: int | None) -> list[dict]:
    """Per round: each writer's measurements and the 1-minute load average before the round."""
    results = []
    for r in range(rounds):
        load = os.getloadavg()[0]
        order = writers[r % len(writers):] + writers[: r % len(writers)]
        runs = {writer: measure(url, f"bench-{r}-{i}", writer, docs, node_pid) for i, writer in enumerate(order)}
        rates = {writer: run["rate"] for writer, run in runs.items()}
        results.append({"load": load, "first": order[0], "cpu": runs, **rates})
        print(f"round {r + 1}: " + ", ".join(f"{w} {rates[w]:,.0f}/s" for w in writers)
              + "".join(f"; {w} {rates[w] / rates[PARALLEL_BULK]:.2f}x" for w in writers if w != PARALLEL_BULK)
              + f" (load {load:.1f})", flush=True)
    return results


def profile_sink(url: str, docs: list[IndexedArticle]) -> str:
    """The calling thread's cumulative times in one sink run, the heaviest first."""
    backend = fresh_backend(url, "bench-profile")
    profiler = cProfile.Profile()
    try:
        profiler.runcall(run_sink, backend, docs)
    finally:
        backend.close()
        drop_indices(url, "bench-profile")
    stats = pstats.Stats(profiler)
    total = max(stats.total_tt, 1e-9)
    rows = sorted(
        ((cumulative, f"{Path(file).name}:{line}({name})") for (file, line, name), (_, _, _, cumulative, _) in stats.stats.items()),
        reverse=True,
    )
    lines = ["| calling thread, cumulative | seconds | share |", "| --- | ---: | ---: |"]
    lines += [f"| `{where}` | {seconds:.2f} | {seconds / total:.0%} |" for seconds, where in rows[:15]]
    return "\n".join(lines)


def write_report(results: list[dict[str, float]], writers: tuple[str, ...], n: int, url: str, command: str, profile: str | None) -> str:
    sinks = [w for w in writers if w != PARALLEL_BULK]
    ratios = {w: [r[w] / r[PARALLEL_BULK] for r in results] for w in sinks}
    limits = BulkLimits()
    lines = [
        "# Elasticsearch bulk indexing: the sink as the pipeline calls it vs `helpers.parallel_bulk`",
        "",
        f"Run `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {n:,} synthetic articles "
        f"(~1 KB each) per run, the same documents and template for every writer; node at {url} "
        "(the local single node from deploy/elasticsearch/node.py, heap 1 GB, on the same machine).",
        f"Machine: {machine.describe()}.",
        "",
        *(f"- **`{w}` / parallel_bulk: median {statistics.median(v):.2f}×, range {min(v):.2f}–{max(v):.2f}× "
          f"over {len(v)} rounds.**" for w, v in ratios.items()),
        "",
        "| round | first | " + " | ".join(f"{w} docs/s" for w in writers) + " | " + " | ".join(f"{w} / parallel_bulk" for w in sinks) + " | load (1 min) before |",
        "| ---: | --- | " + " | ".join("---:" for _ in (*writers, *sinks)) + " | ---: |",
    ]
    for i, r in enumerate(results):
        lines.append(f"| {i + 1} | {r['first']} | " + " | ".join(f"{r[w]:,.0f}" for w in writers) + " | "
                     + " | ".join(f"{ratios[w][i]:.2f}×" for w in sinks) + f" | {r['load']:.1f} |")
    cpu = {w: {k: statistics.median(r["cpu"][w][k] for r in results) for k in ("client_us", "node_us")} for w in writers}
    lines += [
        "",
        "CPU per document, median over the rounds (client: this process, all threads; node: the Elasticsearch JVM"
        + ("" if any(c["node_us"] for c in cpu.values()) else ", not measured: pass --node-pid") + "):",
        "",
        "| writer | client µs/doc | node µs/doc |",
        "| --- | ---: | ---: |",
        *(f"| {w} | {c['client_us']:.0f} | {c['node_us']:.0f} |" for w, c in cpu.items()),
    ]
    lines += [
        "",
        f"`write_articles`: batches of {PIPELINE_BATCH}, each call returning only once its articles are stored or "
        f"refused, as the pipeline's `_WriteBatches` calls it, with the `BulkLimits` defaults ({limits.max_actions} actions or "
        f"{limits.max_bytes // 2**20} MB per request, {limits.concurrency} requests in flight; each call is split "
        f"into {limits.concurrency}). parallel_bulk: 4 threads, 500 per chunk, one generator over all documents.",
        "Times run from the first document to a refresh and are checked against the document count. Every",
        "writer first indexes the documents once unmeasured, so none pays for a cold JVM. The writers take",
        "turns going first. The node shares the machine with the client and, on a shared machine, with other",
        "people's work: the load column says how much; compare the writers within a round.",
    ]
    if profile:
        lines += ["", "Where one `write_articles` run spends the calling thread's time (cProfile, so slower than unprofiled):", "", profile]
    text = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    return text


def _node_script():
    spec = importlib.util.spec_from_file_location("newsbeam_deploy_es_node", ROOT / "deploy" / "elasticsearch" / "node.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--es-url", help="an existing node (default: start a local one)")
    parser.add_argument("--port", type=int, default=9250)
    parser.add_argument("--node-pid", type=int, help="the node's process, to report its CPU per document (known when started here)")
    parser.add_argument("--writers", nargs="+", choices=WRITERS, default=list(WRITERS), help="parallel_bulk is always measured")
    parser.add_argument("--profile", action="store_true", help="also profile the calling thread in one write_articles run")
    args = parser.parse_args()
    command = " ".join(["python -m benchmarks.es_bulk", *sys.argv[1:]])
    node, data_dir = None, None
    url, node_pid = args.es_url, args.node_pid
    if url is None:
        node = _node_script()
        data_dir = Path(tempfile.mkdtemp(prefix="newsbeam-bench-es-"))
        started = node.start(data_dir, port=args.port)
        url, node_pid = started.url, started.pid
    try:
        writers = tuple(w for w in WRITERS if w in args.writers or w == PARALLEL_BULK)
        docs = synthetic_articles(args.docs)
        warm_up(url, writers, docs[: min(args.docs, 20_000)])
        results = benchmark(url, docs, writers, args.rounds, node_pid)
        profile = profile_sink(url, docs) if args.profile else None
        print(write_report(results, writers, args.docs, url, command, profile))
    finally:
        if node is not None:
            node.stop(data_dir)
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
