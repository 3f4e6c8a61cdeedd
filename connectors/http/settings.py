"""How politely and how defensively the shared HTTP layer fetches."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_USER_AGENT = "newsbeam/0.1 (+https://github.com/newsbeam/newsbeam)"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Everything a `Fetcher` needs, as plain data so Beam can pickle it to workers.

    The defaults are what a polite crawler of news sites should do; tests and
    benchmarks loosen them explicitly (`allow_loopback`, `min_interval`).
    """

    user_agent: str = DEFAULT_USER_AGENT
    #: Seconds to open a connection / wait for the next bytes / the whole exchange.
    #: The total bound stops a server that trickles one byte a second forever.
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_redirects: int = 5
    #: Bodies above this size, compressed or not, end as `too_large`.
    max_body_bytes: int = 5 * 1024 * 1024
    #: Seconds between two requests to the same host; robots.txt `Crawl-delay` may raise it.
    min_interval: float = 1.0
    #: Per-host `min_interval` overrides, as (host, seconds) pairs; an entry covers the
    #: host's subdomains too, and the longest matching host wins.
    host_intervals: tuple[tuple[str, float], ...] = ()
    #: Requests in flight to one host at once.
    max_per_host: int = 2
    #: Upper bound on a robots.txt `Crawl-delay` we accept, so one site cannot stall a run.
    max_crawl_delay: float = 30.0
    #: Retries after 429/503 or a failed connection; the wait doubles each time
    #: from `backoff` seconds unless the server sends `Retry-After`.
    retries: int = 2
    backoff: float = 1.0
    #: A `Retry-After` longer than this is not waited for: the fetch fails as it is.
    max_retry_after: float = 120.0
    respect_robots: bool = True
    #: Seconds a fetched robots.txt is trusted before it is read again (RFC 9309: 24 h at most).
    robots_max_age: float = 24 * 3600.0
    #: After robots.txt could not be read (5xx, network failure) the host is not crawled
    #: and robots.txt is tried again after `robots_backoff` seconds, doubling with each
    #: failure in a row up to `robots_max_backoff`. The last rules the host gave, if
    #: any, apply meanwhile.
    robots_backoff: float = 60.0
    robots_max_backoff: float = 30 * 60.0
    #: Origins whose robots.txt is kept; past it the least recently asked is forgotten
    #: (and read again if it comes back). Raise it for a crawl whose hot window spans
    #: more origins than this.
    robots_max_origins: int = 1024
    #: Private, loopback, link-local and other non-global addresses are refused
    #: (also after DNS and after redirects) unless allowed here.
    allow_loopback: bool = False
    allow_private: bool = False
