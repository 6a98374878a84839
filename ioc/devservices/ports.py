"""Free loopback ports for the dev services."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    The kernel picks it (bind to port 0); the socket is closed before returning, so there is a
    small window in which another process could take it. The services bind it within milliseconds.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def accepts_connections(port: int, host: str = LOOPBACK, timeout: float = 0.2) -> bool:
    """True when something listens on host:port.

    A connect to a free port in the ephemeral range can "succeed" by connecting to itself (the
    kernel picks that very port as the local end: TCP simultaneous open); that does not count.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            return bool(sock.getsockname() != sock.getpeername())
    except OSError:
        return False
