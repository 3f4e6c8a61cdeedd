"""Fetch + extract throughput of the feed connector, beside trafilatura alone on the same pages.

Serves N feeds of M article pages each from a local HTTP server (in a separate
process, as a real site would be), then in the same run:

  extract   trafilatura.bare_extraction on every page's HTML, nothing else
  connector iter_feed_records: feed fetch and parse, robots.txt, state store,
            page fetch through the guarded HTTP layer, charset decoding, wall
            and date checks, trafilatura, record assembly

Both run once sequentially and once with the same number of threads (the
connector's default of 4 page workers), so each comparison is like for like.
The headline is CPU time (`time.process_time`, all threads): what the connector
itself costs, and steady on a shared machine where wall time is not. Wall times
are printed too; on loopback there is no network wait for threads to overlap.

    python benchmarks/fetch_extract.py --feeds 20 --items 25 --repeat 3
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from benchmarks.news_pages import KINDS, article_page, feed_document


def serve(port_queue, kind: str, seed: int, feeds: int, items: int) -> None:
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each header/body write pair waits 40 ms for a delayed ACK

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            kind = "application/rss+xml" if self.path.endswith(".xml") else "text/html; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pages["/robots.txt"] = b"User-agent: *\nDisallow: /private/\n"
    for feed in range(feeds):
        pages[f"/f{feed}/feed.xml"] = feed_document(base, seed, feed, items).encode()
        for item in range(items):
            pages[f"/f{feed}/{item}.html"] = article_page(kind, seed, feed, item).encode()
    port_queue.put(base)
    server.serve_forever()


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def _cpu(fn, *args) -> float:
    started = time.process_time()
    fn(*args)
    return time.process_time() - started


def run_kind(kind: str, args: argparse.Namespace) -> dict:
    """All passes on one kind of page; returns the figures for the summary."""
    import trafilatura

    from newsbeam.connectors.feeds import FeedSettings, iter_feed_records, parse_feed
    from newsbeam.connectors.http import HTML_TYPES, Fetcher, FetchSettings
    from newsbeam.connectors.pages import PageSettings, extract_article
    from newsbeam.connectors.records import RawRecord
    from newsbeam.connectors.state import ConnectorState

    queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(queue, kind, args.seed, args.feeds, args.items), daemon=True)
    server.start()
    base = queue.get(timeout=120)
    feed_urls = [f"{base}/f{feed}/feed.xml" for feed in range(args.feeds)]
    pages = [(f"{base}/f{f}/{i}.html", article_page(kind, args.seed, f, i))
             for f in range(args.feeds) for i in range(args.items)]
    total = len(pages)
    fetch = FetchSettings(allow_loopback=True, min_interval=0.0, max_per_host=args.workers)

    def extract(page: tuple[str, str]) -> None:
        trafilatura.bare_extraction(page[1], url=page[0], with_metadata=True, include_comments=False,
                                    favor_precision=True)

    def extract_alone(workers: int) -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        if workers == 1:
            for page in pages:
                extract(page)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(extract, pages))
        return time.perf_counter() - started, time.process_time() - cpu

    def connector(workers: int) -> tuple[float, float]:
        state = ConnectorState()  # fresh: every item is new
        settings = FeedSettings(pages=PageSettings(workers=workers))
        with Fetcher(fetch) as fetcher:
            started, cpu = time.perf_counter(), time.process_time()
            records = sum(isinstance(o, RawRecord) for o in iter_feed_records(
                feed_urls, fetcher=fetcher, state=state, settings=settings))
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        state.close()
        assert records == total, f"expected {total} records, got {records}"
        return seconds, cpu_seconds

    def pieces() -> dict[str, float]:
        """CPU ms per article of the connector's parts, each alone, for the breakdown."""
        with Fetcher(fetch) as fetcher:
            fetcher.get(f"{base}/robots.txt")
            feeds = [fetcher.get(url) for url in feed_urls]
            responses = []
            get = _cpu(lambda: responses.extend(fetcher.get(url, accept=HTML_TYPES) for url, _ in pages))
        texts = []
        decode = _cpu(lambda: texts.extend(r.text() for r in responses))
        parse = _cpu(lambda: [parse_feed(r.body, r.url, r.headers.get("content-type")) for r in feeds])
        vetted = _cpu(lambda: [extract_article(t, r.url) for t, r in zip(texts, responses)])
        alone = _cpu(lambda: [extract(p) for p in pages])
        return {"HTTP GET through `Fetcher` (guard, caps, gate, robots check)": get,
                "feed parse (feedparser + item hints), per item": parse,
                "body decode (charset check + UTF-8 decode)": decode,
                "`extract_article` minus trafilatura alone (vetting, dates, walls)": vetted - alone}

    if args.profile:
        import cProfile
        import pstats
        extract_alone(1)
        profile = cProfile.Profile()
        profile.enable()
        connector(1)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(40)

    extract_alone(1)  # warm-up: imports, lxml and trafilatura caches
    alone, alone_threads, sequential, concurrent, parts = [], [], [], [], []
    for _ in range(args.repeat):  # interleaved, so drift hits all passes alike
        alone.append(extract_alone(1))
        sequential.append(connector(1))
        alone_threads.append(extract_alone(args.workers))
        concurrent.append(connector(args.workers))
        parts.append(pieces())
    server.terminate()
    sizes = sorted(len(html.encode()) / 1024 for _, html in pages)
    words = sorted(len(trafilatura.extract(html, favor_precision=True).split()) for _, html in pages[:: max(1, total // 50)])
    return {"kind": kind, "total": total, "alone": _median(alone), "sequential": _median(sequential),
            "alone_threads": _median(alone_threads), "concurrent": _median(concurrent),
            "parts": {name: statistics.median(p[name] for p in parts) for name in parts[0]},
            "sizes": sizes, "words": words}


def _quantiles(values: list[float]) -> str:
    n = len(values) - 1
    return " / ".join(f"{values[round(q * n)]:,.0f}" for q in (0, 0.1, 0.5, 0.9, 1))


def report(result: dict, args: argparse.Namespace) -> float:
    total = result["total"]
    (a, a_cpu), (s, s_cpu) = result["alone"], result["sequential"]
    (at, at_cpu), (c, c_cpu) = result["alone_threads"], result["concurrent"]
    print(f"## {result['kind']} pages: {args.feeds} feeds x {args.items} pages = {total} articles, "
          f"median of {args.repeat}\n")
    print(f"page size kB (min / p10 / median / p90 / max): {_quantiles(result['sizes'])}; "
          f"words extracted (same quantiles, every {max(1, total // 50)}th page): {_quantiles(result['words'])}\n")
    print("| pass | wall s | articles/s | wall ms/article | CPU ms/article |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds, cpu in (("trafilatura extraction alone, 1 thread", a, a_cpu),
                               ("connector, 1 page worker", s, s_cpu),
                               (f"trafilatura extraction alone, {args.workers} threads", at, at_cpu),
                               (f"connector, {args.workers} page workers (default)", c, c_cpu)):
        print(f"| {name} | {seconds:.2f} | {total / seconds:,.1f} | {1000 * seconds / total:.2f} "
              f"| {1000 * cpu / total:.2f} |")
    overhead = (s_cpu - a_cpu) / a_cpu
    print(f"\nconnector overhead, CPU time, 1 page worker vs extraction in 1 thread: **{100 * overhead:+.1f}%** "
          f"({1000 * (s_cpu - a_cpu) / total:.2f} ms/article)")
    print(f"connector overhead, CPU time, {args.workers} page workers vs extraction in {args.workers} threads: "
          f"{100 * (c_cpu - at_cpu) / at_cpu:+.1f}%")
    print(f"connector overhead, wall time, 1 page worker (each fetch waited for in turn): {100 * (s - a) / a:+.1f}%")
    print(f"connector overhead, wall time, {args.workers} page workers vs extraction in {args.workers} threads: "
          f"{100 * (c - at) / at:+.1f}%\n")
    print("| piece, measured alone on the same pages | CPU ms/article |")
    print("|---|---:|")
    accounted = 0.0
    for name, seconds in result["parts"].items():
        per = 1000 * seconds / total
        accounted += per
        print(f"| {name} | {per:.2f} |")
    print(f"| remainder (state store, feed fetches, record assembly, GC/caches) | "
          f"{1000 * (s_cpu - a_cpu) / total - accounted:.2f} |\n")
    return overhead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--items", type=int, default=25, help="items per feed (news feeds carry 20-50)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="page workers for the concurrent pass")
    parser.add_argument("--page-kind", choices=KINDS, action="append",
                        help="small (3-4 kB) or realistic (50-300 kB) pages; repeat for both (default: both)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one connector pass first")
    args = parser.parse_args()
    kinds = args.page_kind or list(KINDS)

    print(f"# fetch + extract, CPU time per article\n\npython {platform.python_version()}, {platform.machine()}, "
          f"{multiprocessing.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          "at start; server in its own process\n")
    verdicts = {kind: report(run_kind(kind, args), args) for kind in kinds}
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for kind, overhead in verdicts.items():
        print(f"target (CPU overhead <= 10% of extraction), {kind} pages: "
              f"{'met' if overhead <= 0.10 else 'NOT met'} ({100 * overhead:+.1f}%)")


if __name__ == "__main__":
    main()
