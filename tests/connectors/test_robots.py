"""robots.txt as RFC 9309 has it, against a real local server, with a clock the tests move."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from newsbeam.connectors.http import FetchError, Fetcher
from newsbeam.connectors.http.politeness import SWEEP_AT

PAGE = "<html><body><p>The harbour reopened on Monday.</p></body></html>"
RULES = "User-agent: *\nDisallow: /private/\n"
DAY = 24 * 3600.0


class Clock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def reason_of(fetcher: Fetcher, url: str) -> str:
    with pytest.raises(FetchError) as caught:
        fetcher.get(url)
    return caught.value.reason


def serve_pages(web) -> None:
    web.add("/a", PAGE)
    web.add("/private/a", PAGE)


def test_robots_disallow(web, fetcher):
    web.add("/robots.txt", RULES, content_type="text/plain")
    serve_pages(web)
    assert reason_of(fetcher, web.url("/private/a")) == "robots_disallowed"
    assert fetcher.get(web.url("/a")).status == 200
    assert "/private/a" not in web.paths_requested()
    assert web.paths_requested().count("/robots.txt") == 1


def test_robots_checked_on_every_redirect_hop(web, fetcher):
    web.add("/robots.txt", "User-agent: *\nDisallow: /secret\n", content_type="text/plain")
    web.add("/go", status=302, headers={"Location": "/secret"})
    web.add("/secret", PAGE)
    assert reason_of(fetcher, web.url("/go")) == "robots_disallowed"


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_robots_client_error_allows_everything(web, make_fetcher, status):
    web.add("/robots.txt", "no", status=status)
    serve_pages(web)
    fetcher = make_fetcher()
    assert fetcher.get(web.url("/private/a")).status == 200
    assert fetcher.get(web.url("/a")).status == 200
    assert web.paths_requested().count("/robots.txt") == 1


def test_robots_server_error_closes_the_host_until_the_backoff_ends(web, make_fetcher, clock):
    web.add("/robots.txt", "down", status=500)
    serve_pages(web)
    fetcher = make_fetcher(clock=clock, retries=0, robots_backoff=60)
    assert reason_of(fetcher, web.url("/a")) == "robots_unreachable"
    clock.advance(59)
    assert reason_of(fetcher, web.url("/a")) == "robots_unreachable"
    assert web.paths_requested().count("/robots.txt") == 1  # no fetch within the back-off
    assert "/a" not in web.paths_requested()

    web.add("/robots.txt", RULES, content_type="text/plain")
    clock.advance(1)
    assert fetcher.get(web.url("/a")).status == 200
    assert reason_of(fetcher, web.url("/private/a")) == "robots_disallowed"
    assert web.paths_requested().count("/robots.txt") == 2


def test_robots_backoff_doubles_up_to_its_cap(web, make_fetcher, clock):
    web.add("/robots.txt", "down", status=500)
    serve_pages(web)
    fetcher = make_fetcher(clock=clock, retries=0, robots_backoff=60, robots_max_backoff=200)

    def robots_fetches_after(seconds: float) -> int:
        clock.advance(seconds)
        assert reason_of(fetcher, web.url("/a")) == "robots_unreachable"
        return web.paths_requested().count("/robots.txt")

    assert robots_fetches_after(0) == 1
    assert robots_fetches_after(60) == 2  # waited 60 s
    assert robots_fetches_after(119) == 2
    assert robots_fetches_after(1) == 3  # waited 120 s
    assert robots_fetches_after(199) == 3  # 240 s, capped at 200
    assert robots_fetches_after(1) == 4
    assert robots_fetches_after(200) == 5


def test_robots_network_error_closes_the_host_then_is_retried(start_web, make_fetcher, clock, monkeypatch):
    down = start_web()
    port = down.port
    down.close()  # nothing listens on the port: connections are refused
    attempts: list[tuple[str, int]] = []
    real_create = socket.create_connection

    def counting(address, *args, **kwargs):
        attempts.append(address)
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", counting)
    fetcher = make_fetcher(clock=clock, retries=0, robots_backoff=60)
    url = f"http://127.0.0.1:{port}/a"
    assert reason_of(fetcher, url) == "robots_unreachable"
    assert len(attempts) == 1
    clock.advance(59)
    assert reason_of(fetcher, url) == "robots_unreachable"
    assert len(attempts) == 1  # not even a connection attempt within the back-off
    clock.advance(1)
    assert reason_of(fetcher, url) == "robots_unreachable"
    assert len(attempts) == 2

    back = start_web(port)
    back.add("/robots.txt", RULES, content_type="text/plain")
    serve_pages(back)
    clock.advance(119)
    assert reason_of(fetcher, url) == "robots_unreachable"  # second back-off: 120 s
    clock.advance(1)
    assert fetcher.get(url).status == 200
    assert back.paths_requested() == ["/robots.txt", "/a"]


def test_robots_reread_after_max_age(web, make_fetcher, clock):
    web.add("/robots.txt", RULES, content_type="text/plain")
    serve_pages(web)
    fetcher = make_fetcher(clock=clock)
    assert reason_of(fetcher, web.url("/private/a")) == "robots_disallowed"

    web.add("/robots.txt", "User-agent: *\nDisallow:\n", content_type="text/plain")
    clock.advance(DAY - 1)
    assert reason_of(fetcher, web.url("/private/a")) == "robots_disallowed"
    assert web.paths_requested().count("/robots.txt") == 1
    clock.advance(1)
    assert fetcher.get(web.url("/private/a")).status == 200
    assert web.paths_requested().count("/robots.txt") == 2


def test_last_rules_stand_in_while_robots_is_unreachable(web, make_fetcher, clock):
    web.add("/robots.txt", RULES, content_type="text/plain")
    serve_pages(web)
    fetcher = make_fetcher(clock=clock, retries=0, robots_backoff=60)
    assert fetcher.get(web.url("/a")).status == 200

    web.add("/robots.txt", "down", status=500)
    clock.advance(DAY)
    assert fetcher.get(web.url("/a")).status == 200
    assert reason_of(fetcher, web.url("/private/a")) == "robots_disallowed"
    assert web.paths_requested().count("/robots.txt") == 2
    clock.advance(59)
    fetcher.get(web.url("/a"))
    assert web.paths_requested().count("/robots.txt") == 2  # the back-off holds
    clock.advance(1)
    fetcher.get(web.url("/a"))
    assert web.paths_requested().count("/robots.txt") == 3


@pytest.mark.timeout(20)
def test_robots_redirect_within_the_origin(web, fetcher):
    """robots.txt's own redirects are followed without asking robots.txt about them."""
    web.add("/robots.txt", status=301, headers={"Location": "/robots-current.txt"})
    web.add("/robots-current.txt", RULES, content_type="text/plain")
    serve_pages(web)
    assert reason_of(fetcher, web.url("/private/a")) == "robots_disallowed"
    assert fetcher.get(web.url("/a")).status == 200


def test_robots_fetched_once_for_concurrent_first_requests(web, make_fetcher):
    def slow_robots(handler):
        time.sleep(0.3)
        body = RULES.encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    web.routes["/robots.txt"] = slow_robots
    serve_pages(web)
    fetcher = make_fetcher(max_per_host=8)
    results: list[int | str] = []

    def fetch() -> None:
        try:
            results.append(fetcher.get(web.url("/a")).status)
        except FetchError as error:
            results.append(error.reason)

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [200] * 6
    assert web.paths_requested().count("/robots.txt") == 1


def test_a_robots_txt_over_the_body_cap_is_read_to_its_first_512_kib(web, make_fetcher):
    padding = "# " + "x" * 98 + "\n"
    web.add("/robots.txt", RULES + padding * 15_000, content_type="text/plain")  # 1.5 MB
    serve_pages(web)
    fetcher = make_fetcher(max_body_bytes=1024 * 1024)
    assert reason_of(fetcher, web.url("/private/a")) == "robots_disallowed"
    assert fetcher.get(web.url("/a")).status == 200
    with pytest.raises(FetchError) as caught:  # the cap still holds for everything else
        fetcher.get(web.url("/robots.txt"))
    assert caught.value.reason == "too_large"


def test_crawl_delay_spaces_requests_up_to_its_cap(web, make_fetcher):
    web.add("/robots.txt", "User-agent: *\nCrawl-delay: 0.4\n", content_type="text/plain")
    serve_pages(web)
    fetcher = make_fetcher(min_interval=0.0)
    started = time.monotonic()
    for _ in range(3):
        fetcher.get(web.url("/a"))
    assert time.monotonic() - started >= 0.75  # two delays between three pages
    web.add("/robots.txt", "User-agent: *\nCrawl-delay: 3600\n", content_type="text/plain")
    capped = make_fetcher(min_interval=0.0, max_crawl_delay=0.2)
    started = time.monotonic()
    for _ in range(3):
        capped.get(web.url("/a"))
    assert 0.35 <= time.monotonic() - started < 5


def test_a_redirect_to_another_host_asks_that_hosts_robots_txt(start_web, fetcher):
    first, second = start_web(), start_web()
    first.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    second.add("/robots.txt", RULES, content_type="text/plain")
    second.add("/private/a", PAGE)
    first.add("/go", status=301, headers={"Location": second.url("/private/a")})
    assert reason_of(fetcher, first.url("/go")) == "robots_disallowed"
    assert second.paths_requested() == ["/robots.txt"]


def test_robots_answered_with_429_closes_the_host(web, make_fetcher, clock):
    web.add("/robots.txt", "slow down", status=429, headers={"Retry-After": "0"})
    serve_pages(web)
    fetcher = make_fetcher(clock=clock, retries=1)
    assert reason_of(fetcher, web.url("/private/a")) == "robots_unreachable"
    assert "/private/a" not in web.paths_requested()
    assert web.paths_requested().count("/robots.txt") == 2  # the retry after Retry-After, then no more


def test_robots_cache_keeps_at_most_max_origins(start_web, make_fetcher):
    servers = [start_web() for _ in range(10)]
    for server in servers:
        server.add("/robots.txt", RULES, content_type="text/plain")
        serve_pages(server)
    fetcher = make_fetcher(robots_max_origins=4)
    for server in servers:
        assert fetcher.get(server.url("/a")).status == 200
    assert len(fetcher._robots._entries) == 4
    assert not fetcher._robots._fetching
    assert fetcher.get(servers[-1].url("/a")).status == 200  # kept: not read again
    assert servers[-1].paths_requested().count("/robots.txt") == 1
    assert reason_of(fetcher, servers[0].url("/private/a")) == "robots_disallowed"  # forgotten: read again
    assert servers[0].paths_requested().count("/robots.txt") == 2
    assert len(fetcher._robots._entries) == 4


def test_robots_entries_due_for_a_refresh_are_dropped(start_web, make_fetcher, clock):
    first, second = start_web(), start_web()
    for server in (first, second):
        server.add("/robots.txt", RULES, content_type="text/plain")
        serve_pages(server)
    fetcher = make_fetcher(clock=clock)
    fetcher.get(first.url("/a"))
    clock.advance(DAY + 1)
    fetcher.get(second.url("/a"))
    assert len(fetcher._robots._entries) == 1
    assert reason_of(fetcher, first.url("/private/a")) == "robots_disallowed"
    assert first.paths_requested().count("/robots.txt") == 2


def test_crawl_delay_outlives_the_gate_forgetting_the_host(web, make_fetcher):
    web.add("/robots.txt", "User-agent: *\nCrawl-delay: 0.3\n", content_type="text/plain")
    serve_pages(web)
    fetcher = make_fetcher(min_interval=0.0)
    fetcher.get(web.url("/a"))
    time.sleep(0.35)
    gate, host = fetcher._gate, f"127.0.0.1:{web.port}"
    for index in range(4 * SWEEP_AT):  # other hosts until a sweep forgets this one
        if host not in gate._hosts:
            break
        with gate.slot(f"h{index}.example"):
            pass
    assert host not in gate._hosts
    started = time.monotonic()
    fetcher.get(web.url("/a"))
    fetcher.get(web.url("/a"))
    assert time.monotonic() - started >= 0.3
    assert web.paths_requested().count("/robots.txt") == 1
