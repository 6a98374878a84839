"""The collector process: MQTT transport + pipeline, run until stopped.

The transport's network thread only puts messages on an in-memory inbox; the pipeline thread
takes them in batches (by size and by time). The broker never has more unacknowledged messages
out to us than the session's receive maximum (MQTT 5, `IOC_INBOX_SIZE`) or its
`max_inflight_messages` (3.1.1), and we acknowledge only after storing; the inbox bounds their
bytes as well (`IOC_INBOX_MAX_BYTES`, collectors/inbox.py).

Collectors only collect: one subscription shape (per feed, `$share/<group>/…` when sharing the
load), no KPI engine. What they store reaches the engine through the stored-batch stream the
pipeline appends to (`ioc engine`, see `ioc.engine`). Each collector publishes its heartbeat
(`collector:<IOC_MQTT_CLIENT_ID>`) about once a second and refreshes the districts the engine
publishes (so a `status` point gets its source's district even when the source's data readings
went to another collector of the group).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from collectors.guard import Guard
from collectors.inbox import Inbox
from collectors.mqtt import MqttTransport
from collectors.pipeline import Pipeline, Stopping
from ioc.errors import BrokerError, LiveStateError
from ioc.feeds import FEEDS
from ioc.live import LiveState
from ioc.live.heartbeat import HEARTBEAT_EVERY_MS, collector_component
from ioc.metrics import PipelineMetrics, Probe, live_probe, storage_probe
from ioc.model import NS_PER_MS, Message
from ioc.settings import Settings
from ioc.sources import load_sources
from ioc.storage import Storage

log = logging.getLogger(__name__)

IDLE_GAP_S = 0.02
DISTRICTS_EVERY_S = 30.0


def topic_filters(share_group: str, feeds: Sequence[str] = tuple(FEEDS)) -> list[str]:
    """One subscription per feed (never `ioc/#`, which would feed us our own dead letters)."""
    filters = [FEEDS[name].topic_filter for name in feeds]
    return [f"$share/{share_group}/{f}" for f in filters] if share_group else filters


class Collector:
    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        live: LiveState,
        metrics: PipelineMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.inbox = Inbox(settings.inbox_max_bytes)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.transport = MqttTransport(
            settings.mqtt,
            settings.mqtt_client_id,
            topic_filters(settings.mqtt_share_group),
            self.inbox.put,
            protocol=settings.mqtt_protocol,
            receive_maximum=settings.inbox_size,
            publish_window=settings.deadletter_inflight,
            publish_wait_s=settings.deadletter_wait_ms / 1000,
        )
        self.live = live
        self.component = collector_component(settings.mqtt_client_id)
        self._next_beat = 0.0
        self._next_districts = 0.0
        self.pipeline = Pipeline(
            storage,
            live,
            publish=self.transport.publish_many,
            ack=self.transport.ack,
            window_len=settings.window_len,
            stop_event=self._stop,
            writer=self.component,
            metrics=metrics,
            release=self.inbox.release,
            probe_s=settings.storage_probe_ms / 1000,
            guard=Guard(load_sources(settings.sources_file or None), settings.max_future_s),
        )
        if metrics is not None:
            metrics.watch_inbox(self.inbox.__len__, lambda: self.inbox.held_bytes)
        self._storage = storage
        self._live = live

    def probes(self) -> dict[str, Probe]:
        """Readiness: the broker (subscribed), storage and live state answer."""

        def broker() -> str:
            address = self.settings.mqtt
            where = f"{address.host}:{address.port}"
            if not self.transport.connected:
                raise BrokerError(f"not connected to the MQTT broker at {where}")
            return f"subscribed at {where}"

        return {
            "broker": broker,
            "storage": storage_probe(self._storage),
            "live_state": live_probe(self._live),
        }

    def run(self) -> None:
        """Consume until `stop()`; raises BrokerAuthError on bad credentials."""
        self.transport.start()
        try:
            while not self._stop.is_set():
                self.transport.raise_if_fatal()
                batch = self._take_batch()
                if batch:
                    try:
                        self.pipeline.process(batch)
                    except Stopping:
                        log.info(
                            "stopping: %d messages unstored, the broker keeps them", len(batch)
                        )
                        break
                else:
                    self.pipeline.flush_live_backlog()
                self._beat()
                if time.monotonic() >= self._next_districts:
                    self.pipeline.load_districts()
                    self._next_districts = time.monotonic() + DISTRICTS_EVERY_S
        finally:
            self.inbox.close()
            self.transport.stop()

    def _beat(self) -> None:
        """Publish our heartbeat about once a second (skipped while the live state is down)."""
        now = time.monotonic()
        if now < self._next_beat:
            return
        self._next_beat = now + HEARTBEAT_EVERY_MS / 1000
        stats = self.pipeline.stats
        info = {
            "received": stats.received,
            "stored": stats.stored_readings,
            "acked": stats.acked,
            "connected": self.transport.connected,
            "share_group": self.settings.mqtt_share_group,
        }
        try:
            self.live.set_heartbeat(self.component, time.time_ns() // NS_PER_MS, info)
        except LiveStateError as exc:
            log.debug("heartbeat not published: %s", exc)

    def start(self) -> None:
        """Run in a background thread (tests, the embedded demo)."""
        self._thread = threading.Thread(target=self.run, name="ioc-collector", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _take_batch(self) -> list[Message]:
        """Up to batch_size messages; flushed early after batch_wait_ms, or as soon as the inbox
        stays empty for IDLE_GAP_S (the broker may be holding the rest back until we ack)."""
        first = self.inbox.get(timeout=0.1)
        if first is None:
            return []
        batch = [first]
        size = self.settings.batch_size
        deadline = time.monotonic() + self.settings.batch_wait_ms / 1000
        while len(batch) < size:
            more = self.inbox.take(size - len(batch))
            if more:
                batch += more
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            message = self.inbox.get(timeout=min(remaining, IDLE_GAP_S))
            if message is None:
                break
            batch.append(message)
        return batch
