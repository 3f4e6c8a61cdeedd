"""A local news site that publishes a new article every `interval` seconds.

It serves an RSS feed of its newest items (teaser only, so the pipeline must fetch
and extract each page) and the article pages, and remembers when each item went
live, so tests can measure publish-to-searchable latency.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from dataclasses import dataclass
from email.utils import format_datetime
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from newsbeam.connectors.http import FetchSettings

#: The test site is ours and on 127.0.0.1: allow loopback, no politeness delay.
LOCAL_FETCH = FetchSettings(allow_loopback=True, min_interval=0.0, max_per_host=8)

TOPICS = [
    "harbour", "election", "vaccine", "wildfire", "satellite", "tariff", "glacier", "museum", "railway",
    "drought", "festival", "merger", "earthquake", "orchestra", "pipeline", "reactor", "marathon", "lottery",
    "volcano", "parliament", "submarine", "vineyard", "bakery", "telescope", "cyclone", "library", "airline",
    "copper", "dolphin", "bridge", "strike", "startup", "embassy", "refinery", "tunnel", "carnival",
]
WORDS = (
    "council officials residents reported measures spokesperson statement morning evening district regional "
    "national minister agency budget investigation committee community families workers engineers analysts "
    "estimated thousands hundreds percent weekly quarter authorities confirmed announced planned delayed "
    "expanded reduced approved rejected funding schedule inspection volunteers visitors market prices"
).split()


@dataclass
class Item:
    number: int
    title: str
    body: str
    published: float  # wall-clock seconds when it appeared in the feed


def _make_item(number: int, rng: random.Random) -> Item:
    topic_a, topic_b = rng.sample(TOPICS, 2)
    title = f"{topic_a.title()} {number}: {topic_b} report from district {rng.randint(1, 999)}"
    # Words of its own, so every item is its own story (not a near copy of the others).
    own = ["".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(12)]
    sentences = []
    for _ in range(14):
        words = rng.sample(WORDS, 4) + rng.sample(own, 6) + [topic_a, topic_b]
        rng.shuffle(words)
        sentences.append(" ".join(words).capitalize() + ".")
    return Item(number, title, " ".join(sentences), 0.0)


class NewsSite:
    """Publishes `total` items, one per `interval` seconds, on 127.0.0.1."""

    def __init__(self, total: int, interval: float = 1.0, feed_size: int = 50, seed: int = 7, start_number: int = 0) -> None:
        self.total = total
        self.interval = interval
        self.feed_size = feed_size
        self._rng = random.Random(seed)
        self._pending = [_make_item(start_number + n, self._rng) for n in range(total)]
        self.items: list[Item] = []
        #: The If-None-Match of every feed request, in order (None: unconditional).
        self.feed_requests: list[str | None] = []
        #: When each request came (time.monotonic()) and its path, in order.
        self.requests: list[tuple[float, str]] = []
        #: The User-Agent of every request, in order.
        self.user_agents: list[str | None] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                site.requests.append((time.monotonic(), self.path))
                site.user_agents.append(self.headers.get("User-Agent"))
                if self.path == "/feed.xml":
                    body = site.feed_xml()
                    etag = '"%s"' % hashlib.sha1(body.encode()).hexdigest()
                    site.feed_requests.append(self.headers.get("If-None-Match"))
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.end_headers()
                        return
                    self._send(200, "application/rss+xml", body, {"ETag": etag})
                elif self.path.startswith("/articles/") and self.path.endswith(".html"):
                    page = site.page(int(self.path.removeprefix("/articles/").removesuffix(".html")))
                    self._send(*((200, "text/html; charset=utf-8", page) if page else (404, "text/plain", "gone")))
                else:
                    self._send(404, "text/plain", "not found")

            def _send(self, status: int, kind: str, body: str, headers: dict[str, str] | None = None) -> None:
                data = body.encode("utf-8")
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def feed_url(self) -> str:
        return f"{self.base}/feed.xml"

    def link(self, item: Item) -> str:
        return f"{self.base}/articles/{item.number}.html"

    def publish_all(self) -> threading.Thread:
        """Start publishing in the background; the thread ends after the last item."""

        def publish() -> None:
            for item in self._pending:
                if self._stop.wait(self.interval):
                    return
                with self._lock:
                    item.published = time.time()
                    self.items.append(item)

        thread = threading.Thread(target=publish, daemon=True)
        thread.start()
        return thread

    def publish_now(self, count: int) -> None:
        """Publish the next `count` items at once (for batch tests)."""
        with self._lock:
            for item in self._pending[len(self.items) : len(self.items) + count]:
                item.published = time.time()
                self.items.append(item)

    def feed_xml(self) -> str:
        with self._lock:
            newest = list(reversed(self.items[-self.feed_size :]))
        entries = "".join(
            f"<item><title>{escape(i.title)}</title><link>{self.link(i)}</link><guid>{self.link(i)}</guid>"
            f"<pubDate>{format_datetime(datetime.fromtimestamp(i.published, timezone.utc))}</pubDate>"
            f"<description>{escape(i.body[:120])}</description></item>"
            for i in newest
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Local Gazette</title>'
            f"<link>{self.base}/</link><description>test</description>{entries}</channel></rss>"
        )

    def page(self, number: int) -> str | None:
        with self._lock:
            item = next((i for i in self.items if i.number == number), None)
        if item is None:
            return None
        paragraphs = "".join(f"<p>{escape(part)}.</p>" for part in item.body.split(". "))
        return (
            f"<html><head><title>{escape(item.title)}</title></head><body><nav>Home | World | Sport</nav>"
            f"<article><h1>{escape(item.title)}</h1>{paragraphs}</article><footer>© Local Gazette</footer></body></html>"
        )

    def close(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
