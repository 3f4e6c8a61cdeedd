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
import platform
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

WORDS = ("harbour council river market ferry bridge library school budget vote storm repair road train station "
         "museum festival hospital water power prices workers union strike court judge police fire weather farm "
         "harvest bakery club match season coach mayor plan housing rent tenants residents survey report minister "
         "island canal lock boat fishing fleet catch quota inspector engineer contract tender delay cost").split()
SURNAMES = "Calder Bakare Lindqvist Penhale Wrona Okafor Moreau Tanaka Ruiz Novak".split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
    return " ".join(words).capitalize() + "."


def article_page(feed: int, item: int) -> str:
    """An invented, deterministic news page with the chrome real sites have."""
    rng = random.Random(feed * 1000 + item)
    title = " ".join(rng.choice(WORDS) for _ in range(7)).capitalize()
    paragraphs = "\n".join(f"<p>{' '.join(sentence(rng) for _ in range(rng.randint(3, 5)))}</p>"
                           for _ in range(rng.randint(8, 14)))
    nav = " ".join(f'<li><a href="/section/{w}">{w.title()}</a></li>' for w in WORDS[:30])
    related = " ".join(f'<li><a href="/f{feed}/{(item + k) % 50}.html">{sentence(rng)}</a></li>' for k in range(1, 8))
    day = 1 + item % 28
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Gazette {feed}</title>
<meta property="og:site_name" content="Gazette {feed}">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{title}",
"datePublished":"2026-03-{day:02d}T08:00:00Z","author":{{"@type":"Person","name":"A. {rng.choice(SURNAMES)}"}}}}</script>
<style>body{{font-family:serif}} .nav li{{display:inline}}</style></head>
<body><header><ul class="nav">{nav}</ul><form><input name="q"></form></header>
<main><article><h1>{title}</h1><p class="byline">By A. {rng.choice(SURNAMES)}</p>
{paragraphs}
</article><aside><h2>Related</h2><ul>{related}</ul></aside></main>
<footer><p>Gazette {feed}. All rights reserved.</p><ul>{nav}</ul></footer></body></html>"""


def feed_document(base: str, feed: int, items: int) -> str:
    entries = "\n".join(
        f"<item><title>Story {item}</title><link>{base}/f{feed}/{item}.html</link><guid>f{feed}-{item}</guid>"
        f"<pubDate>{2 + item % 27:02d} Mar 2026 08:00:00 GMT</pubDate><description>Summary {item}.</description></item>"
        for item in range(items))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette {feed}</title>{entries}</channel></rss>'


def serve(port_queue, feeds: int, items: int) -> None:
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
        pages[f"/f{feed}/feed.xml"] = feed_document(base, feed, items).encode()
        for item in range(items):
            pages[f"/f{feed}/{item}.html"] = article_page(feed, item).encode()
    port_queue.put(base)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--items", type=int, default=25, help="items per feed (news feeds carry 20-50)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="page workers for the concurrent pass")
    args = parser.parse_args()

    import trafilatura

    from newsbeam.connectors.feeds import FeedSettings, iter_feed_records
    from newsbeam.connectors.http import Fetcher, FetchSettings
    from newsbeam.connectors.pages import PageSettings
    from newsbeam.connectors.records import RawRecord
    from newsbeam.connectors.state import ConnectorState

    queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(queue, args.feeds, args.items), daemon=True)
    server.start()
    base = queue.get(timeout=30)
    feed_urls = [f"{base}/f{feed}/feed.xml" for feed in range(args.feeds)]
    pages = [(f"{base}/f{f}/{i}.html", article_page(f, i)) for f in range(args.feeds) for i in range(args.items)]
    total = len(pages)
    fetch = FetchSettings(allow_loopback=True, min_interval=0.0, max_per_host=args.workers)

    def extract(page: tuple[str, str]) -> None:
        trafilatura.bare_extraction(page[1], url=page[0], with_metadata=True, include_comments=False,
                                    favor_precision=True)

    def extract_alone(workers: int) -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
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

    extract_alone(1)  # warm-up: imports, lxml and trafilatura caches
    alone, alone_threads, sequential, concurrent = [], [], [], []
    for _ in range(args.repeat):  # interleaved, so drift hits all passes alike
        alone.append(extract_alone(1))
        sequential.append(connector(1))
        alone_threads.append(extract_alone(args.workers))
        concurrent.append(connector(args.workers))
    server.terminate()

    def median(runs: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)

    (a, a_cpu), (s, s_cpu) = median(alone), median(sequential)
    (at, at_cpu), (c, c_cpu) = median(alone_threads), median(concurrent)
    print(f"# fetch + extract: {args.feeds} feeds x {args.items} pages = {total} articles, median of {args.repeat}")
    print(f"python {platform.python_version()}, {platform.machine()}, {multiprocessing.cpu_count()} CPUs; "
          "server in its own process\n")
    print("| pass | wall s | articles/s | wall ms/article | CPU ms/article |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds, cpu in (("trafilatura extraction alone, 1 thread", a, a_cpu),
                               ("connector, 1 page worker", s, s_cpu),
                               (f"trafilatura extraction alone, {args.workers} threads", at, at_cpu),
                               (f"connector, {args.workers} page workers (default)", c, c_cpu)):
        print(f"| {name} | {seconds:.2f} | {total / seconds:,.1f} | {1000 * seconds / total:.2f} "
              f"| {1000 * cpu / total:.2f} |")
    cpu = (s_cpu - a_cpu) / a_cpu
    print(f"\nconnector overhead, CPU time, 1 page worker vs extraction in 1 thread: {100 * cpu:+.1f}% "
          f"({1000 * (s_cpu - a_cpu) / total:.2f} ms/article)")
    print(f"connector overhead, wall time, 1 page worker (each fetch waited for in turn): {100 * (s - a) / a:+.1f}%")
    print(f"connector overhead, wall time, {args.workers} page workers vs extraction in {args.workers} threads: "
          f"{100 * (c - at) / at:+.1f}%")
    print(f"target: CPU overhead <= 10% of extraction: {'met' if cpu <= 0.10 else 'NOT met'}")

if __name__ == "__main__":
    main()
