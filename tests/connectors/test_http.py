"""The shared HTTP layer against a real local server: every hostile case ends as a reason code."""

from __future__ import annotations

import email.utils
import gzip
import pickle
import threading
import time
from urllib.parse import urlsplit

import pytest

from newsbeam.connectors.http import HTML_TYPES, FetchError, Fetcher
from newsbeam.connectors.http.decode import decode_text

PAGE = "<html><head><title>Harbour reopens</title></head><body><p>The harbour reopened on Monday.</p></body></html>"


def reason_of(fetcher: Fetcher, url: str, **options) -> str:
    with pytest.raises(FetchError) as caught:
        fetcher.get(url, **options)
    return caught.value.reason


def test_plain_fetch_sends_user_agent(web, make_fetcher):
    url = web.add("/a", PAGE)
    response = make_fetcher(user_agent="newsbeam-test/1").get(url, accept=HTML_TYPES)
    assert response.status == 200 and "harbour reopened" in response.text()
    headers = web.requests[-1][1]
    assert headers["user-agent"] == "newsbeam-test/1"
    assert headers["accept"] == "*/*" and headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize("status", [404, 500, 410])
def test_error_statuses(web, fetcher, status):
    url = web.add("/e", "nope", status=status)
    assert reason_of(fetcher, url) == f"http_{status}"


@pytest.mark.parametrize(("status", "retry_after"), [
    (429, lambda: "1"),
    (503, lambda: email.utils.formatdate(time.time() + 2, usegmt=True)),  # whole seconds: at least one is waited
])
def test_retry_after_is_honoured(web, fetcher, status, retry_after):
    calls = []

    def limited(handler):
        calls.append(time.monotonic())
        if len(calls) == 1:
            handler.send_response(status)
            handler.send_header("Retry-After", retry_after())
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        body = PAGE.encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    web.routes["/busy"] = limited
    response = fetcher.get(web.url("/busy"))
    assert response.status == 200
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.95


def test_429_forever_gives_up_with_reason(web, make_fetcher):
    url = web.add("/busy", "", status=429, headers={"Retry-After": "0"})
    assert reason_of(make_fetcher(retries=2), url) == "http_429"
    assert web.paths_requested().count("/busy") == 3


def test_retry_after_beyond_limit_is_not_waited_for(web, make_fetcher):
    url = web.add("/later", "", status=503, headers={"Retry-After": "3600"})
    started = time.monotonic()
    assert reason_of(make_fetcher(max_retry_after=10), url) == "http_503"
    assert time.monotonic() - started < 10  # not the hour it asked for


def test_redirects_followed_and_loop_detected(web, fetcher):
    web.add("/r1", status=302, headers={"Location": "/r2"})
    web.add("/r2", status=301, headers={"Location": web.url("/final")})
    web.add("/final", PAGE)
    response = fetcher.get(web.url("/r1"))
    assert response.url == web.url("/final") and len(response.redirects) == 2

    web.add("/loop-a", status=302, headers={"Location": "/loop-b"})
    web.add("/loop-b", status=302, headers={"Location": "/loop-a"})
    assert reason_of(fetcher, web.url("/loop-a")) == "redirect_loop"


def test_a_redirect_without_location_is_its_status_not_a_page(web, fetcher):
    url = web.add("/nowhere", "<html><body>Moved</body></html>", status=302)
    assert reason_of(fetcher, url) == "http_302"


def test_more_than_five_redirects_refused(web, fetcher):
    for hop in range(7):
        web.add(f"/hop{hop}", status=307, headers={"Location": f"/hop{hop + 1}"})
    web.add("/hop7", PAGE)
    assert reason_of(fetcher, web.url("/hop0")) == "redirect_loop"
    assert "/hop6" not in web.paths_requested()


def test_redirect_to_private_address_refused_before_connecting(web, fetcher, monkeypatch):
    import socket

    connected = []
    real_create = socket.create_connection

    def spy(address, *args, **kwargs):
        connected.append(address[0])
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    web.add("/out", status=302, headers={"Location": "http://10.0.0.1/admin"})
    assert reason_of(fetcher, web.url("/out")) == "private_address"
    assert "10.0.0.1" not in connected and set(connected) == {"127.0.0.1"}


def test_loopback_refused_unless_allowed(web, make_fetcher):
    url = web.add("/a", PAGE)
    assert reason_of(make_fetcher(allow_loopback=False), url) == "private_address"
    localhost = url.replace("127.0.0.1", "localhost")  # the DNS answer is what counts
    assert reason_of(make_fetcher(allow_loopback=False), localhost) == "private_address"
    # TLS connections are opened through the same guard
    assert reason_of(make_fetcher(allow_loopback=False), url.replace("http://", "https://")) == "private_address"
    assert web.requests == []


def test_server_that_never_answers_times_out(web, make_fetcher):
    web.routes["/hang"] = lambda handler: web.stop.wait(30)
    started = time.monotonic()
    assert reason_of(make_fetcher(read_timeout=0.5), web.url("/hang")) == "timeout"
    assert time.monotonic() - started < 15  # not the 30 s the server hangs


def test_declared_huge_body_refused_without_reading(web, fetcher):
    def huge(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(50 * 1024 * 1024))
        handler.end_headers()
        chunk = b"x" * 65536
        for _ in range(800):
            handler.wfile.write(chunk)

    web.routes["/huge"] = huge
    assert reason_of(fetcher, web.url("/huge")) == "too_large"


def test_undeclared_50mb_body_is_cut_at_the_cap(web, fetcher):
    def streamed(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b"y" * 65536
        for _ in range(800):  # 50 MB, no Content-Length: only the streamed count can stop it
            handler.wfile.write(chunk)

    web.routes["/stream"] = streamed
    assert reason_of(fetcher, web.url("/stream")) == "too_large"


def test_a_body_shorter_than_its_content_length_is_a_protocol_error(web, fetcher):
    def short(handler):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n<html>cut")
        handler.close_connection = True

    web.routes["/short"] = short
    assert reason_of(fetcher, web.url("/short")) == "protocol_error"


@pytest.mark.parametrize("headers", [[("X-Long", "v" * 200_000)], [(f"X-{n}", "v") for n in range(300)]])
def test_oversized_headers_are_a_protocol_error(web, fetcher, headers):
    def bloated(handler):
        handler.send_response(200)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")

    web.routes["/bloated"] = bloated
    assert reason_of(fetcher, web.url("/bloated")) == "protocol_error"


def test_gzip_bomb_stopped_on_decompressed_size(web, fetcher):
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 200_000
    url = web.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    assert reason_of(fetcher, url) == "too_large"


def test_gzip_body_decoded(web, fetcher):
    url = web.add("/gz", gzip.compress(PAGE.encode()), headers={"Content-Encoding": "gzip"})
    assert fetcher.get(url).body == PAGE.encode()


def test_content_type_checked_before_body(web, fetcher):
    url = web.add("/pic", b"\x89PNG" + b"\0" * 100, content_type="image/png")
    assert reason_of(fetcher, url, accept=HTML_TYPES) == "not_html"


def test_per_host_interval(web, make_fetcher):
    url = web.add("/a", PAGE)
    fetcher = make_fetcher(min_interval=0.3, respect_robots=False)
    started = time.monotonic()
    for _ in range(3):
        fetcher.get(url)
    assert time.monotonic() - started >= 0.6


def test_a_host_override_sets_that_hosts_interval(web, make_fetcher):
    url = web.add("/a", PAGE)
    host = urlsplit(url).hostname
    slow_here = make_fetcher(min_interval=0.0, host_intervals=((host, 0.3),), respect_robots=False)
    started = time.monotonic()
    for _ in range(3):
        slow_here.get(url)
    assert time.monotonic() - started >= 0.6
    fast_here = make_fetcher(min_interval=5.0, host_intervals=((host, 0.0),), respect_robots=False)
    started = time.monotonic()
    for _ in range(3):
        fast_here.get(url)
    assert time.monotonic() - started < 2.0


def test_per_host_concurrency_cap(web, make_fetcher):
    def slow(handler):
        time.sleep(0.2)
        handler.send_response(200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")

    web.routes["/slow"] = slow
    fetcher = make_fetcher(max_per_host=2, respect_robots=False)
    threads = [threading.Thread(target=fetcher.get, args=(web.url("/slow"),)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert web.paths_requested().count("/slow") == 6
    assert web.max_in_flight == 2


def test_conditional_get(web, fetcher):
    url = web.add("/feed", "<rss/>", etag='"v1"', last_modified="Mon, 02 Mar 2026 10:00:00 GMT")
    first = fetcher.get(url)
    again = fetcher.get(url, etag=first.headers["etag"], last_modified=first.headers["last-modified"])
    assert again.not_modified
    assert web.requests[-1][1]["if-none-match"] == '"v1"'


def test_fetcher_pickles_as_its_settings(make_fetcher):
    fetcher = make_fetcher(user_agent="ua-x")
    copy = pickle.loads(pickle.dumps(fetcher))
    assert copy.settings == fetcher.settings
    copy.close()


def test_charset_decoding_trusts_bytes_over_labels():
    text = "Café déjà vu – naïve"
    assert decode_text(text.encode("cp1252"), "text/html; charset=utf-8")[0] == text
    assert decode_text(text.encode("utf-8"), "text/html; charset=iso-8859-1")[0] == text
    assert decode_text(text.encode("cp1252"), "text/html; charset=windows-1252")[0] == text
    meta = b'<html><head><meta charset="iso-8859-2"></head><body>' + "Zaj\u0105c".encode("iso-8859-2")
    assert "Zając" in decode_text(meta, "text/html")[0]


def trickling(web, *, part: str):
    """A handler that sends its headers (`part="headers"`) or its body, plain or
    chunked, one byte every 0.2 s: no single read ever waits long enough to time out."""

    def handler(request) -> None:
        if part == "headers":
            request.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
            pieces = [b"X" for _ in range(200)]
        else:
            request.send_response(200)
            request.send_header("Content-Type", "text/html")
            if part == "chunked":
                request.send_header("Transfer-Encoding", "chunked")
            else:
                request.send_header("Content-Length", "200")
            request.end_headers()
            pieces = [b"1\r\nx\r\n" if part == "chunked" else b"x" for _ in range(200)]
        for piece in pieces:
            request.wfile.flush()
            if web.stop.wait(0.2):
                return
            request.wfile.write(piece)

    return handler


@pytest.mark.parametrize("part", ["headers", "body", "chunked"])
def test_a_server_that_trickles_is_cut_at_the_total_deadline(web, make_fetcher, part):
    web.routes["/drip"] = trickling(web, part=part)
    fetcher = make_fetcher(read_timeout=1.0, total_timeout=1.0, respect_robots=False)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetcher.get(web.url("/drip"))
    assert caught.value.reason == "timeout" and "within 1.0s" in caught.value.detail
    assert time.monotonic() - started < 2.5  # not the 40 s the server would take


@pytest.mark.parametrize("location", ["http://[oops/", "http://127.0.0.1:99999/"])
def test_a_redirect_to_an_unparseable_url_is_bad_url(web, fetcher, location):
    url = web.add("/out", status=302, headers={"Location": location})
    assert reason_of(fetcher, url) == "bad_url"
    assert reason_of(fetcher, location) == "bad_url"


def test_user_info_does_not_make_another_host(web, make_fetcher):
    url = web.add("/a", PAGE)
    spellings = [url, url.replace("://", "://reader@"), url.replace("://", "://other:pw@")]
    polite = make_fetcher(min_interval=0.3, respect_robots=False)
    started = time.monotonic()
    for spelling in spellings:
        polite.get(spelling)
    assert time.monotonic() - started >= 0.55  # one host: two intervals between three requests
    fetcher = make_fetcher()
    for spelling in spellings:
        fetcher.get(spelling)
    assert web.paths_requested().count("/robots.txt") == 1
