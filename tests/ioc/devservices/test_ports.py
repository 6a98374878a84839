"""free_port: a loopback port nothing listens on."""

from __future__ import annotations

import socket

from ioc.devservices import free_port


def test_free_port_can_be_bound_on_loopback() -> None:
    port = free_port()
    assert 1024 < port < 65536
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
