"""The KPI engine's own view of every message when collectors share the load.

Behind a `$share/<group>/…` subscription each collector stores only its share, but the one
KPI engine of a deployment must fold every reading. So the collector that runs it also holds a
second, non-shared subscription (client id `<IOC_MQTT_CLIENT_ID>-kpi`, clean session) and folds
what it decodes there; storing and acknowledging stay with the shared subscription. Clean
session on purpose: after a restart the engine rebuilds from storage, and a persistent session
would fold the backlog a second time. Messages that do not decode are skipped here: the
collector whose share they are dead-letters them.
"""

from __future__ import annotations

import queue
from collections.abc import Callable

from collectors.decode import decode
from collectors.mqtt import MqttTransport
from ioc.errors import PayloadRejected
from ioc.feeds import FEEDS
from ioc.kpis.runner import KpiRunner
from ioc.model import Message, Reading
from ioc.settings import Settings

MAX_DRAIN = 20_000


class KpiFeed:
    def __init__(
        self, settings: Settings, runner: KpiRunner, enrich: Callable[[Reading], Reading]
    ) -> None:
        self._inbox: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self._runner = runner
        self._enrich = enrich
        self.transport = MqttTransport(
            settings.mqtt,
            f"{settings.mqtt_client_id}-kpi",
            [spec.topic_filter for spec in FEEDS.values()],
            self._inbox.put,
            protocol=settings.mqtt_protocol,
            receive_maximum=settings.inbox_size,
            persistent=False,
        )

    def start(self) -> None:
        self.transport.start()

    def stop(self) -> None:
        self.transport.stop()

    def drain(self) -> int:
        """Fold what has arrived (at most MAX_DRAIN messages); returns how many messages."""
        messages: list[Message] = []
        readings: list[Reading] = []
        while len(messages) < MAX_DRAIN:
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                break
            messages.append(message)
            try:
                decoded = decode(message.topic, message.payload, message.received_ns)
            except PayloadRejected:
                continue
            readings.extend(self._enrich(r) for r in decoded)
        if readings:
            self._runner.add(readings)
        self.transport.ack(messages)
        return len(messages)
