"""An MQTT broker inside our own process (amqtt), for `ioc demo` when no broker is reachable.

amqtt speaks MQTT 3.1.1 only (no shared subscriptions) and moves a few thousand messages a
second: plenty for the demo's simulated province, not a production broker — production uses
Mosquitto with the repository's mosquitto.conf.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

from ioc.errors import BrokerError

log = logging.getLogger(__name__)


class EmbeddedBroker:
    """amqtt on `host:port`, run on its own event-loop thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 1883) -> None:
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Any = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name="amqtt", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout) or self._error is not None:
            raise BrokerError(f"embedded MQTT broker failed to start on {self.url}: {self._error}")

    def stop(self) -> None:
        if self._loop is None or self._broker is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
        try:
            future.result(timeout=10)
        except Exception as exc:  # best effort: the process is ending anyway
            log.warning("embedded broker did not shut down cleanly: %s", exc)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _serve(self, ready: threading.Event) -> None:
        from amqtt.broker import Broker

        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }

        async def start() -> None:
            self._broker = Broker(config)
            await self._broker.start()

        try:
            loop.run_until_complete(start())
        except BaseException as exc:
            self._error = exc
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.close()


def reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
