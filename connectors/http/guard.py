"""Refuse connections to addresses a crawler must never reach (SSRF protection).

The check runs where the socket is opened, on the addresses DNS actually returned,
and the connection then goes to the checked address. Checking a URL's hostname
earlier would leave a gap: DNS could answer differently a moment later
(rebinding), and every redirect hop would need its own check.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import typing

import certifi
import httpcore
import httpx


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


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, resolving and vetting every address before connecting."""

    def __init__(self, *, allow_loopback: bool, allow_private: bool) -> None:
        self._allow = {"allow_loopback": allow_loopback, "allow_private": allow_private}

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        # One forbidden answer refuses the host: a name that resolves to both a
        # public and a private address is exactly what a rebinding attack looks like.
        refused = [a for a in addresses if not address_allowed(a, **self._allow)]
        if refused or not addresses:
            raise PrivateAddressError(f"{host} resolves to non-public address {', '.join(refused) or '(none)'}")
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


class GuardedTransport(httpx.HTTPTransport):
    """`httpx.HTTPTransport` whose connections go through `GuardedBackend`.

    httpx does not take a network backend as an argument, so the connection pool
    is rebuilt here with the same options httpx would use, plus the backend.
    Proxies are not supported on purpose: through a proxy we could not see the
    address really connected to.
    """

    def __init__(self, *, allow_loopback: bool, allow_private: bool, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl.create_default_context(cafile=certifi.where()),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_loopback=allow_loopback, allow_private=allow_private),
        )
