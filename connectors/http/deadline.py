"""A deadline for a whole HTTP exchange, enforced on every read from the socket.

A socket timeout bounds one read, not an exchange: a server that sends one byte
of its headers or body every second never lets a read time out, and a buffered
reader asking for 64 kB waits for all of them. So the sockets the guard opens
are `DeadlineSocket`s (and TLS is wrapped in `DeadlineSSLSocket`s), which shorten
each read's timeout to what is left of the exchange the calling thread opened
with `deadline`, and time out at once when nothing is left. Outside `deadline`
(archive streams) they are ordinary sockets.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_current = threading.local()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Let every socket read of this thread end by `seconds` from now."""
    _current.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _current.at = None


def _remaining() -> float | None:
    at = getattr(_current, "at", None)
    return None if at is None else at - time.monotonic()


class _DeadlineReads:
    """`recv_into` (what buffered readers call) with the socket's timeout cut to the thread's deadline."""

    def recv_into(self, *args, **kwargs) -> int:
        left = _remaining()
        if left is None:
            return super().recv_into(*args, **kwargs)
        if left <= 0:
            raise TimeoutError("the exchange's total deadline has passed")
        timeout = self.gettimeout()
        self.settimeout(left if timeout is None else min(timeout, left))
        try:
            return super().recv_into(*args, **kwargs)
        finally:
            self.settimeout(timeout)


class DeadlineSocket(_DeadlineReads, socket.socket):
    """A plain socket whose reads keep the thread's deadline (`deadline`)."""

    @classmethod
    def adopt(cls, sock: socket.socket) -> DeadlineSocket:
        """`sock`'s connection, as a `DeadlineSocket` with the same timeout."""
        timeout = sock.gettimeout()
        adopted = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        adopted.settimeout(timeout)
        return adopted


class DeadlineSSLSocket(_DeadlineReads, ssl.SSLSocket):
    """A TLS socket whose reads keep the thread's deadline; set as an `SSLContext.sslsocket_class`."""
