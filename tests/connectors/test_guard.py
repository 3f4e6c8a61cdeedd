"""The address guard: which addresses a crawler may reach, judged on what DNS really answered."""

from __future__ import annotations

import socket

import pytest

from newsbeam.connectors.http import FetchError
from newsbeam.connectors.http.guard import address_allowed

PAGE = "<html><body><p>The harbour reopened on Monday.</p></body></html>"
DEFAULT = {"allow_loopback": False, "allow_private": False}


@pytest.mark.parametrize(
    "address, allowed",
    [("8.8.8.8", True), ("10.1.2.3", False), ("192.168.0.1", False), ("169.254.169.254", False),
     ("127.0.0.1", False), ("::1", False), ("fe80::1", False), ("::ffff:10.0.0.1", False),
     ("100.64.0.1", False), ("2606:4700::1111", True), ("::", False), ("0.0.0.0", False)],
)
def test_address_policy(address, allowed):
    assert address_allowed(address, **DEFAULT) is allowed


# Each IPv6 form that carries an IPv4 address, holding a private one and a public one.
EMBEDDED = {
    "ipv4-mapped": ("::ffff:10.0.0.1", "::ffff:8.8.8.8"),
    "ipv4-translated (SIIT)": ("::ffff:0:a00:1", "::ffff:0:808:808"),
    "ipv4-compatible": ("::10.0.0.1", "::8.8.8.8"),
    "nat64 well-known": ("64:ff9b::a00:1", "64:ff9b::808:808"),
    "6to4": ("2002:a00:1::1", "2002:808:808::1"),
    # server 10.0.0.1, client 8.8.8.8 (stored as ~8.8.8.8 = f7f7:f7f7)
    "teredo, private server": ("2001:0:a00:1::f7f7:f7f7", "2001:0:808:808::f7f7:f7f7"),
    # server 8.8.8.8, client 10.0.0.1 (stored as ~10.0.0.1 = f5ff:fffe)
    "teredo, private client": ("2001:0:808:808::f5ff:fffe", None),
}


@pytest.mark.parametrize("private, public", EMBEDDED.values(), ids=EMBEDDED.keys())
def test_ipv4_inside_ipv6_is_judged_as_ipv4(private, public):
    assert not address_allowed(private, **DEFAULT)
    assert address_allowed(private, allow_loopback=False, allow_private=True)
    if public is not None:
        assert address_allowed(public, **DEFAULT)


@pytest.mark.parametrize("address", ["::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "::ffff:0:7f00:1"])
def test_loopback_inside_ipv6_needs_allow_loopback(address):
    assert not address_allowed(address, **DEFAULT)
    assert address_allowed(address, allow_loopback=True, allow_private=False)


def test_nat64_local_use_is_read_at_every_prefix_length():
    """The translator's prefix length inside 64:ff9b:1::/48 is the operator's choice, so an
    address passes only if it reads as a permitted IPv4 at /48, /56, /64 and /96 alike."""
    # 10.0.0.1 after a /48 prefix (bits 48..63 and 72..87, the u octet 64..71 skipped), after a /96
    for address in ("64:ff9b:1:a00:0:100::", "64:ff9b:1::a00:1"):
        assert not address_allowed(address, **DEFAULT)
    assert address_allowed("64:ff9b:1:808:8:808:808:808", **DEFAULT)  # 8.8.8.8 at every length
    # 8.8.8.8 at /96, but 0.0.0.0 at /48: a /48 translator would not go to 8.8.8.8
    assert not address_allowed("64:ff9b:1::808:808", **DEFAULT)
    # 8.8.8.8 at /96, 10.0.0.1 at /48 (the suffix bits chosen to look public at /96)
    assert not address_allowed("64:ff9b:1:a00:0:100:808:808", **DEFAULT)
    # private readings pass with allow_private, 0.0.0.0 (here the /48 reading) never does
    assert address_allowed("64:ff9b:1:a00:a:a0a:a00:1", allow_loopback=False, allow_private=True)
    assert not address_allowed("64:ff9b:1::a00:1", allow_loopback=False, allow_private=True)


def test_ipv6_and_zone_ids_still_judged_as_ipv6():
    assert address_allowed("2a00:1450:4001:80b::200e", **DEFAULT)
    assert not address_allowed("fe80::1%eth0", **DEFAULT)
    assert address_allowed("::1", allow_loopback=True, allow_private=False)


@pytest.fixture
def dns(monkeypatch):
    """Names under `.test` resolve to the address the test gives them; everything else
    (the literal address the guard then connects to) goes to the real resolver."""
    answers: dict[str, str] = {}
    connected: list[str] = []
    real_getaddrinfo, real_create = socket.getaddrinfo, socket.create_connection

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return real_getaddrinfo(answers[host], port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    def create_connection(address, *args, **kwargs):
        connected.append(address[0])
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    answers["connected"] = connected  # type: ignore[assignment]
    return answers


@pytest.mark.parametrize("address", ["::ffff:127.0.0.1", "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1",
                                     "64:ff9b::a9fe:a9fe", "2001:0:a9fe:a9fe::f7f7:f7f7"])
def test_guard_judges_the_resolved_address(web, make_fetcher, dns, address):
    """A host name whose DNS answer hides loopback or the metadata address (169.254.169.254)
    inside IPv6 is refused before any connection is opened."""
    dns["news.test"] = address
    url = web.add("/a", PAGE).replace("127.0.0.1", "news.test")
    with pytest.raises(FetchError) as caught:
        make_fetcher(allow_loopback=False, respect_robots=False).get(url)
    assert caught.value.reason == "private_address"
    assert dns["connected"] == [] and web.requests == []


def test_allowed_embedded_address_is_the_one_connected_to(web, make_fetcher, dns):
    dns["news.test"] = "::ffff:127.0.0.1"
    url = web.add("/a", PAGE).replace("127.0.0.1", "news.test")
    response = make_fetcher(allow_loopback=True, respect_robots=False).get(url)
    assert response.status == 200 and b"harbour" in response.body
    assert dns["connected"] == ["::ffff:127.0.0.1"]
