"""Bulk indexing throughput: our Elasticsearch sink beside `helpers.parallel_bulk`.

    python benchmarks/es_bulk.py [--docs 100000] [--es-url URL] [--rounds 2]

Both write the same synthetic articles (same ids, same JSON) into indices made from the
same template, on the same node, in the same run, alternating so neither gets a
warmer node. Without --es-url a local node is started with deploy/elasticsearch/node.py
and stopped afterwards. Results go to benchmarks/results/es_bulk.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
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

from newsbeam.connectors.sinks import BackendSettings, IndexedArticle
from newsbeam.connectors.sinks.elasticsearch import BulkLimits, ElasticsearchBackend
from newsbeam.schemas import Article

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "es_bulk.md"
#: The pipeline hands the sink batches of this many articles (WriteToIndex's BatchElements).
PIPELINE_BATCH = 500


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


def run_ours(backend: ElasticsearchBackend, docs: list[IndexedArticle], batch: int | None) -> None:
    step = batch or len(docs)
    for start in range(0, len(docs), step):
        dead = backend.write_articles(docs[start : start + step])
        assert not dead, dead[:3]


def run_parallel_bulk(client: Elasticsearch, index: str, docs: list[IndexedArticle]) -> None:
    actions = ({"_index": index, "_id": d.article.id, "_source": d.to_json()} for d in docs)
    for ok, info in helpers.parallel_bulk(client, actions, thread_count=4, chunk_size=500, raise_on_error=True):
        assert ok, info


def timed(run: Callable[[], None], backend: ElasticsearchBackend, n: int) -> float:
    started = time.perf_counter()
    run()
    backend.refresh()
    seconds = time.perf_counter() - started
    count = backend.counts()["articles"]
    assert count == n, f"expected {n} documents, found {count}"
    return n / seconds


def fresh_backend(url: str, prefix: str) -> ElasticsearchBackend:
    client = Elasticsearch(url, request_timeout=120)
    client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)
    return ElasticsearchBackend.from_settings(BackendSettings(data_dir=Path(tempfile.gettempdir()), es_url=url, es_index_prefix=prefix))


def warm_up(url: str, docs: list[IndexedArticle]) -> None:
    """Index some documents both ways first, so neither writer pays for a cold JVM."""
    backend = fresh_backend(url, "bench-warm")
    run_ours(backend, docs, None)
    run_parallel_bulk(backend.client, backend.names.articles, docs)
    backend.client.indices.delete(index="bench-warm-*")
    backend.client.close()


def benchmark(url: str, n: int, rounds: int) -> dict[str, list[float]]:
    docs = synthetic_articles(n)
    warm_up(url, docs[: min(n, 20_000)])
    rates: dict[str, list[float]] = {"ours (one call)": [], f"ours ({PIPELINE_BATCH}-article calls)": [], "parallel_bulk": []}
    for r in range(rounds):
        for name in rates:
            backend = fresh_backend(url, f"bench-{r}-{len(rates[name])}-{abs(hash(name)) % 10_000}")
            if name == "parallel_bulk":
                run = lambda: run_parallel_bulk(backend.client, backend.names.articles, docs)  # noqa: E731
            else:
                batch = PIPELINE_BATCH if "calls" in name else None
                run = lambda: run_ours(backend, docs, batch)  # noqa: E731
            rate = timed(run, backend, n)
            rates[name].append(rate)
            print(f"round {r + 1}: {name:28s} {rate:9.0f} docs/s", flush=True)
            backend.client.indices.delete(index=f"{backend.names.prefix}-*")
            backend.client.close()
    return rates


def write_report(rates: dict[str, list[float]], n: int, url: str, command: str) -> str:
    reference = statistics.median(rates["parallel_bulk"])
    lines = [
        "# Elasticsearch bulk indexing: our sink vs `helpers.parallel_bulk`",
        "",
        f"Run `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {n:,} synthetic articles "
        f"(~1 KB each) per run, same documents and template for all; node at {url}.",
        f"Machine: {platform.machine()}, {sys.version.split()[0]}, {_cores()} cores; "
        "the node is the local single node from deploy/elasticsearch/node.py (heap 1 GB).",
        "",
        "| writer | median docs/s | runs (docs/s) | vs parallel_bulk |",
        "| --- | ---: | --- | ---: |",
    ]
    for name, values in rates.items():
        median = statistics.median(values)
        lines.append(f"| {name} | {median:,.0f} | {', '.join(f'{v:,.0f}' for v in values)} | {median / reference:.2f}× |")
    lines += [
        "",
        f"Ours: `BulkWriter` with its defaults ({BulkLimits().max_actions} actions or "
        f"{BulkLimits().max_bytes // 2**20} MB per request, {BulkLimits().concurrency} requests in flight); "
        f"'{PIPELINE_BATCH}-article calls' is how the Beam pipeline calls it. parallel_bulk: 4 threads, 500 per chunk.",
        "Times include a final refresh and are checked against the document count; both writers",
        "first index 20,000 documents unmeasured, so neither pays for a cold JVM.",
        f"Load average (1 min) at the end: {os.getloadavg()[0]:.1f}; on a shared machine the runs vary a lot,",
        "so compare writers within a round, not across runs.",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    return text


def _cores() -> int:
    return os.cpu_count() or 0


def _node_script():
    spec = importlib.util.spec_from_file_location("newsbeam_deploy_es_node", ROOT / "deploy" / "elasticsearch" / "node.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--es-url", help="an existing node (default: start a local one)")
    parser.add_argument("--port", type=int, default=9250)
    args = parser.parse_args()
    command = "python benchmarks/es_bulk.py " + " ".join(sys.argv[1:])
    node, data_dir = None, None
    url = args.es_url
    if url is None:
        node = _node_script()
        data_dir = Path(tempfile.mkdtemp(prefix="newsbeam-bench-es-"))
        url = node.start(data_dir, port=args.port).url
    try:
        rates = benchmark(url, args.docs, args.rounds)
        print(write_report(rates, args.docs, url, command.strip()))
    finally:
        if node is not None:
            node.stop(data_dir)
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
