"""Refuse connections to addresses a crawler must never reach (SSRF protection).

The check runs where the socket is opened, on the addresses DNS actually returned,
and the connection then goes to the checked address. Checking a URL's hostname
earlier would leave a gap: DNS could answer differently a moment later
(rebinding), and every redirect hop would need its own check. Every connection
the pool opens, for the first hop or the fifth, plain or TLS, goes through
`_GuardedConnect._new_conn`.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from typing import ClassVar

import certifi
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager, Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from newsbeam.connectors.http.deadline import DeadlineSocket, DeadlineSSLSocket


class PrivateAddressError(Exception):
    """A host resolved to an address the settings do not allow."""


#: IPv6 prefixes, besides IPv4-mapped, that carry an IPv4 address in their last 32
#: bits and whose packets a translator or the host's own stack may deliver to it:
#: IPv4-translated (SIIT, RFC 2765), the NAT64 well-known prefix (RFC 6052) and
#: IPv4-compatible (RFC 4291, deprecated, still routed by some stacks; `::` and
#: `::1` are excluded, they are IPv6's own unspecified and loopback addresses).
_IPV4_IN_LAST_32_BITS = tuple(ipaddress.IPv6Network(prefix) for prefix in ("::ffff:0:0:0/96", "64:ff9b::/96", "::/96"))
#: Local-use NAT64 (RFC 8215): the operator picks the prefix length inside it, and
#: RFC 6052 places the IPv4 address differently for each length that fits.
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
_NAT64_LOCAL_USE_LENGTHS = (48, 56, 64, 96)


def _rfc6052_ipv4(ip: ipaddress.IPv6Address, prefix_length: int) -> ipaddress.IPv4Address:
    """The IPv4 address RFC 6052 embeds after a `prefix_length`-bit prefix.

    It takes the 32 bits after the prefix, stepping over bits 64..71 (the
    "u" octet, always zero), so a /48 prefix puts it in bits 48..63 and 72..87.
    """
    n = int(ip)
    without_u_octet = (n >> 64) << 56 | (n & ((1 << 56) - 1))  # 120 bits
    start = prefix_length if prefix_length <= 64 else prefix_length - 8
    return ipaddress.IPv4Address((without_u_octet >> (120 - start - 32)) & 0xFFFFFFFF)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses a connection to `ip` may reach through a transition mechanism.

    Empty for an ordinary IPv6 address. Teredo (RFC 4380) yields its server and its
    client (stored XORed with 0xffffffff); local-use NAT64 yields one reading per
    prefix length the operator may have chosen, since the one in use cannot be
    known from outside.
    """
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo
    if ip in _NAT64_LOCAL_USE:
        return tuple(dict.fromkeys(_rfc6052_ipv4(ip, length) for length in _NAT64_LOCAL_USE_LENGTHS))
    if any(ip in prefix for prefix in _IPV4_IN_LAST_32_BITS) and int(ip) > 1:
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    return ()


def address_allowed(address: str, *, allow_loopback: bool, allow_private: bool) -> bool:
    """Whether a crawler may connect to `address` (an IP literal).

    An IPv6 address that embeds IPv4 addresses (`embedded_ipv4`) is judged by
    them alone, every one by the rule for a plain IPv4 address: `64:ff9b::a00:1`
    reaches 10.0.0.1 through a NAT64 translator, whatever the IPv6 range itself
    is called.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inside = embedded_ipv4(ip)
        if inside:
            return all(_ip_allowed(v4, allow_loopback=allow_loopback, allow_private=allow_private) for v4 in inside)
    return _ip_allowed(ip, allow_loopback=allow_loopback, allow_private=allow_private)


def _ip_allowed(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool, allow_private: bool
) -> bool:
    if ip.is_global:
        return True
    if ip.is_loopback:
        return allow_loopback or allow_private
    return allow_private and not (ip.is_multicast or ip.is_unspecified)


class _GuardedConnect:
    """urllib3's socket opening, resolving and vetting every address before connecting.

    A mixin for urllib3's connection classes: `_new_conn` is where they open the
    socket (TLS is wrapped around it afterwards, still verified against the host
    name). The socket is a `DeadlineSocket`, so the fetcher's total deadline holds
    on every read.
    """

    #: `address_allowed` keywords, set on the subclass `guarded_pool_manager` makes.
    allow: ClassVar[dict[str, bool]] = {"allow_loopback": False, "allow_private": False}

    def _new_conn(self) -> socket.socket:
        host, port = self._dns_host, self.port
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        # One forbidden answer refuses the host: a name that resolves to both a
        # public and a private address is exactly what a rebinding attack looks like.
        refused = [a for a in addresses if not address_allowed(a, **self.allow)]
        if refused or not addresses:
            raise PrivateAddressError(f"{host} resolves to non-public address {', '.join(refused) or '(none)'}")
        try:
            sock = socket.create_connection((addresses[0], port), self.timeout, source_address=self.source_address)
        except TimeoutError as error:
            raise ConnectTimeoutError(self, f"connection to {host} timed out ({self.timeout}s)") from error
        except OSError as error:
            raise NewConnectionError(self, f"cannot connect to {host}: {error}") from error
        for option in self.socket_options or ():
            sock.setsockopt(*option)
        return DeadlineSocket.adopt(sock)


def guarded_pool_manager(
    *, allow_loopback: bool, allow_private: bool, connect_timeout: float, read_timeout: float, per_host: int
) -> PoolManager:
    """A urllib3 `PoolManager` whose every connection goes through the address guard.

    Keep-alive connections are pooled per origin (`per_host` kept, more opened
    when needed). Proxies are not supported on purpose: through a proxy we could
    not see the address really connected to (urllib3 reads no proxy settings
    from the environment).
    """
    allow = {"allow_loopback": allow_loopback, "allow_private": allow_private}
    http = type("GuardedHTTPConnection", (_GuardedConnect, HTTPConnection), {"allow": allow})
    https = type("GuardedHTTPSConnection", (_GuardedConnect, HTTPSConnection), {"allow": allow})
    tls = ssl.create_default_context(cafile=certifi.where())
    tls.sslsocket_class = DeadlineSSLSocket
    manager = PoolManager(
        num_pools=64,
        maxsize=per_host,
        timeout=Timeout(connect=connect_timeout, read=read_timeout),
        ssl_context=tls,
    )
    manager.pool_classes_by_scheme = {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
    }
    return manager
