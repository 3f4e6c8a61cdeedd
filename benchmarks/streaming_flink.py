"""Benchmark: the streaming pipeline on a runner (Flink by default) against a local site.

A local site publishes an article every `--interval` seconds; the pipeline polls
it and indexes into a fresh embedded index. Reports publish-to-searchable latency
(p50/p95/max), throughput (articles indexed per second of the run) and the engine
start-up time, and checks every article is indexed exactly once.

    python benchmarks/streaming_flink.py [--runner flink|prism] [--items 60] [--interval 1] [--poll 2]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "streaming"))

from feedserver import LOCAL_FETCH, NewsSite  # noqa: E402
from indexwatch import IndexWatcher, article_id, percentile  # noqa: E402

from newsbeam.connectors.sinks import BackendSettings, open_backend  # noqa: E402
from newsbeam.config import Configuration  # noqa: E402
from newsbeam.config.build import runner_settings  # noqa: E402
from newsbeam.pipelines.streaming import StreamSettings, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runner", default="flink", choices=["flink", "prism"])
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between two published articles")
    parser.add_argument("--poll", type=float, default=2.0, help="poll interval of the pipeline")
    parser.add_argument("--tail", type=float, default=20.0, help="seconds the job runs after the last article")
    parser.add_argument("--startup", type=float, default=120.0,
                        help="seconds allowed for the engine to start; the job's clock runs from submission")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("newsbeam").setLevel(logging.INFO)

    # The feed lists every item: a real feed drops old items, but here we measure the pipeline.
    site = NewsSite(total=args.items, interval=args.interval, feed_size=args.items)
    with tempfile.TemporaryDirectory(prefix="newsbeam-bench-") as tmp:
        backend = BackendSettings(data_dir=Path(tmp))
        settings = StreamSettings(
            feeds=(site.feed_url,), fetch=LOCAL_FETCH, backend=backend, poll_interval=args.poll,
            run_for=args.startup + args.items * args.interval + args.tail, metrics_interval=10,
        )
        watcher = IndexWatcher(site, backend).start()
        started = time.monotonic()
        publisher_started = [0.0]

        # Publish only once the job polls: engine start-up is reported on its own.
        def start_publishing_when_polled() -> None:
            while not site.feed_requests and time.monotonic() - started < 600:
                time.sleep(0.1)
            publisher_started[0] = time.monotonic()
            site.publish_all()

        import threading

        threading.Thread(target=start_publishing_when_polled, daemon=True).start()
        try:
            counters = run(settings, runner_settings(Configuration(), args.runner))
        finally:
            watcher.stop()
            site.close()
        index = open_backend(backend)
        try:
            ids = [article_id(site, item) for item in site.items]
            indexed = index.known_article_ids(ids)
            total = index.counts()["articles"]
        finally:
            index.close()

    latencies = watcher.latencies()
    startup = publisher_started[0] - started
    span = max(i.published for i in site.items) - min(i.published for i in site.items) if site.items else 0
    print(f"runner {args.runner}: engine start-up to first poll {startup:.1f}s")
    print(f"published {len(site.items)} articles over {span:.0f}s; indexed {len(indexed)} of them, "
          f"{total} documents, {counters.get('articles_indexed', 0)} writes")
    if latencies:
        print(f"publish-to-searchable latency: p50 {percentile(latencies, 0.5):.2f}s "
              f"p95 {percentile(latencies, 0.95):.2f}s max {latencies[-1]:.2f}s")
        first_published = min(i.published for i in site.items)
        busy = max(watcher.searchable_at.values()) - first_published
        print(f"throughput: {len(latencies) / busy:.2f} articles/s from first publish to last searchable "
              f"(the site published {1 / args.interval:.2f}/s)")
    ok = len(indexed) == len(site.items) == total == counters.get("articles_indexed", -1)
    print("exactly once: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
