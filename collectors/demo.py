"""The collectors' part of `ioc demo` (entry-point group `ioc.demo`, see `ioc.demo`): one
collector, subscribed before anything publishes (the KPI engine is the core's own)."""

from __future__ import annotations

from collectors.collector import Collector
from ioc.demo import DemoContext
from ioc.errors import IocError


class CollectorPart:
    order = 10  # consumers first: a new persistent session must exist before the back-fill

    def __init__(self) -> None:
        self._collector: Collector | None = None

    def start(self, ctx: DemoContext) -> None:
        settings = ctx.settings
        self._collector = Collector(settings, ctx.storage, ctx.live)
        self._collector.start()
        if not self._collector.transport.wait_connected(15):
            raise IocError(f"the collector could not subscribe at {settings.mqtt_url}")
        ctx.say("collector   subscribed")

    def stop(self) -> None:
        if self._collector is not None:
            self._collector.stop()
            self._collector = None
