"""CPU of the embedded index's writes and searches, in one process, over `search_latency.py`'s corpus.

    python benchmarks/search_cpu.py [--articles 20000] [--rounds 3] [--index DIR]
    PYTHONPATH=BASE python benchmarks/search_cpu.py ...

Times `write_articles` alone over `--articles` of the benchmark's articles (made before
the clock starts, written into a fresh index each round) and, with `--index` (a data dir
`search_latency.py --data-dir` built), `search` over its one-client queries by kind;
each figure is the least CPU time of `--rounds`. The server benchmark's CPU per request
also holds the HTTP layer's; this holds only the index's work, so a change to it shows
with less noise.

To compare with an earlier commit, put its package first on the path (BASE holds a
`newsbeam` folder: `git worktree add /tmp/base COMMIT; ln -s /tmp/base BASE/newsbeam`) and
run this script from the checkout under test, alternating the two on a shared machine.
The corpus and queries come from this checkout's `search_latency.py`, so both write
and search the same things.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

import newsbeam
from newsbeam.config import Configuration
from newsbeam.config.build import backend_settings
from newsbeam.connectors.sinks.base import SearchQuery
from newsbeam.connectors.sinks.select import open_backend
from newsbeam.search.params import parse_window

from search_latency import SEED, Request, batches, plan_corpus, queries

PER_EVENT = 5


def write_cpu(articles: int, rounds: int) -> float:
    """Least CPU seconds per article of `write_articles` over the first `articles` of the corpus."""
    written = [batch for batch, _ in batches(plan_corpus(articles, PER_EVENT), PER_EVENT, random.Random(SEED + 3))]
    best = float("inf")
    for _ in range(rounds):
        data_dir = Path(tempfile.mkdtemp(prefix="newsbeam-search-cpu-"))
        try:
            backend = open_backend(backend_settings(Configuration(), data_dir=data_dir))
            began = time.process_time()
            for batch in written:
                backend.write_articles(batch)
            best = min(best, time.process_time() - began)
            backend.close()
        finally:
            shutil.rmtree(data_dir)
    return best / articles


def search_query(request: Request) -> SearchQuery:
    """The query `GET /search` makes of the request's parameters."""
    window = parse_window(request.params.get("from"), request.params.get("to"))
    return SearchQuery(request.params["q"], date_from=window.date_from, date_to=window.date_to,
                       source=request.params.get("source"))


def search_cpu(index: Path, indexed: int, count: int, rounds: int) -> dict[str, float]:
    """Least CPU seconds per search, by kind of query, over the one-client plan of `search_latency.py`."""
    plan = queries(plan_corpus(indexed, PER_EVENT), count, random.Random(SEED + 4))
    by_kind: dict[str, list[SearchQuery]] = {}
    for request in plan:
        by_kind.setdefault(request.kind, []).append(search_query(request))
    backend = open_backend(backend_settings(Configuration(), data_dir=index))
    try:
        for query in queries(plan_corpus(indexed, PER_EVENT), 200, random.Random(SEED + 2)):
            backend.search(search_query(query))  # warm-up, as the server benchmark's
        best = {kind: float("inf") for kind in by_kind}
        for _ in range(rounds):
            for kind, kind_queries in by_kind.items():
                began = time.process_time()
                for query in kind_queries:
                    backend.search(query)
                best[kind] = min(best[kind], (time.process_time() - began) / len(kind_queries))
        return best
    finally:
        backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=20_000, help="articles written per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--index", type=Path, help="a data dir search_latency.py built: also time searches on it")
    parser.add_argument("--indexed", type=int, default=100_000, help="articles that index was built with")
    parser.add_argument("--queries", type=int, default=600, help="as search_latency.py's --single")
    args = parser.parse_args()

    print(f"newsbeam from {Path(newsbeam.__file__).resolve().parent}")
    print(f"write_articles: {write_cpu(args.articles, args.rounds) * 1e6:.1f} µs CPU per article "
          f"({args.articles:,} articles, least of {args.rounds} rounds)")
    if args.index:
        for kind, seconds in search_cpu(args.index, args.indexed, args.queries, args.rounds).items():
            print(f"search, {kind}: {seconds * 1e3:.3f} ms CPU per query (least of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
