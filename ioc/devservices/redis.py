"""A real Redis server on a free loopback port, nothing persisted.

`--save ""` and `--appendonly no`: Redis is never the only copy of anything in this project, so a
restart here is a Redis loss — the live snapshot is gone and must be rebuilt from InfluxDB, which
is exactly what tests of that recovery need.
"""

from __future__ import annotations

import socket
from pathlib import Path

from ioc.devservices.ports import LOOPBACK, free_port
from ioc.devservices.process import ServiceProcess


class Redis(ServiceProcess):
    """redis-server in `workdir`; `restart()` keeps the port and loses the data."""

    name = "redis"
    binary = "redis-server"
    start_timeout = 15.0

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self._port: int | None = None

    @property
    def port(self) -> int:
        return self._require_port(self._port)

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def _prepare(self) -> None:
        if self._port is None:
            self._port = free_port()

    def _arguments(self) -> list[str]:
        return [
            "--port", str(self.port),
            "--bind", LOOPBACK,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", "",  # stdout, which goes to <workdir>/redis.log
        ]  # fmt: skip

    def _is_ready(self) -> bool:
        try:
            with socket.create_connection((LOOPBACK, self.port), timeout=1.0) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False
