"""The collectors' part of `ioc demo` (entry-point group `ioc.demo`, see `ioc.demo`): one
collector with the KPI engine, subscribed before anything publishes."""

from __future__ import annotations

from collectors.collector import Collector
from ioc.demo import DemoContext
from ioc.errors import IocError
from ioc.kpis.runner import runner_from_settings
from ioc.notify import Notifier


class CollectorPart:
    order = 10  # consumers first: a new persistent session must exist before the back-fill

    def __init__(self) -> None:
        self._collector: Collector | None = None
        self._notifier: Notifier | None = None

    def start(self, ctx: DemoContext) -> None:
        settings = ctx.settings
        kpis = runner_from_settings(settings, ctx.live, ctx.storage)
        self._collector = Collector(settings, ctx.storage, ctx.live, kpis)
        self._notifier = kpis.notifier
        if self._notifier is not None:
            self._notifier.start()
            ctx.say("notify      alert notifications on (IOC_ALERT_RULES_FILE routes)")
        self._collector.start()
        if not self._collector.transport.wait_connected(15):
            raise IocError(f"the collector could not subscribe at {settings.mqtt_url}")
        ctx.say("collector   subscribed; KPI engine on")

    def stop(self) -> None:
        if self._collector is not None:
            self._collector.stop()
            self._collector = None
        if self._notifier is not None:
            self._notifier.stop()
            self._notifier = None
