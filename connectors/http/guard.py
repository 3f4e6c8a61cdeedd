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


class PrivateAddressError(Exception):
    """A host resolved to an address the settings do not allow."""


def address_allowed(address: str, *, allow_loopback: bool, allow_private: bool) -> bool:
    """Whether a crawler may connect to `address` (an IP literal)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_global:
        return True
    if ip.is_loopback:
        return allow_loopback or allow_private
    return allow_private and not (ip.is_multicast or ip.is_unspecified)


class _GuardedConnect:
    """urllib3's socket opening, resolving and vetting every address before connecting.

    A mixin for urllib3's connection classes: `_new_conn` is where they open the
    socket (TLS is wrapped around it afterwards, still verified against the host
    name).
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
        return sock


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
    manager = PoolManager(
        num_pools=64,
        maxsize=per_host,
        timeout=Timeout(connect=connect_timeout, read=read_timeout),
        ssl_context=ssl.create_default_context(cafile=certifi.where()),
    )
    manager.pool_classes_by_scheme = {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
    }
    return manager
