"""Shared by the fault suite: a paced publisher of distinct valid readings, counting what the
broker acknowledged, and a collector wired to the real services.

Durations come from the environment so a documented run can use the issue's figures while CI
keeps the whole suite within its budget (see tests/faults/README.md):

    FAULTS_OUTAGE_S   InfluxDB outage (CI 12 s; the issue's run: 60)
    FAULTS_REDIS_S    Redis killed / frozen (CI 6 s; the issue's run: 30)
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ioc.devservices import Mosquitto
from ioc.model import NS_PER_MS
from ioc.storage.base import Storage, TimeRange

T0_MS = (time.time_ns() // NS_PER_MS) - 3_600_000  # an hour ago: inside every ingest check
SPAN = TimeRange((T0_MS - 86_400_000) * NS_PER_MS, (T0_MS + 2 * 86_400_000) * NS_PER_MS)
SOURCES = 40


def seconds(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def reading(i: int) -> tuple[str, bytes]:
    """The i-th distinct point: its own (source, ts) pair, so every message is one stored point."""
    topic = f"ioc/sensor/hoa-an/fault-{i % SOURCES}"
    payload = orjson.dumps({"ts": T0_MS + i, "kind": "air", "values": {"pm25": float(i % 500)}})
    return topic, payload


def wait_subscribed(port: int, storage: Storage, timeout: float = 30) -> None:
    """Wait until the collector stores what is published now: a `pm10` marker (not counted by the
    tests' `pm25` totals) is published every 0.2 s until one is stored. A load started before the
    collector's first SUBSCRIBE reached the broker would be routed to nobody — not lost by
    anyone, only never addressed to the collector (the first run of the SIGKILL test counted
    those 3,450 messages as "lost" and blamed a broker stall)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="fault-marker")
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        deadline = time.monotonic() + timeout
        while storage.count("sensor", "pm10", SPAN) == 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the collector stored no marker within {timeout:g} s")
            payload = orjson.dumps({"ts": T0_MS, "kind": "air", "values": {"pm10": 1.0}})
            client.publish("ioc/sensor/hoa-an/fault-marker", payload, qos=1)
            time.sleep(0.2)
    finally:
        client.loop_stop()
        client.disconnect()


def wait_saved(broker: Mosquitto, timeout: float = 15) -> None:
    """Wait for the broker's next save of its in-memory database (autosave_interval) after now.
    A kill -9 loses what came after the last save, including a session created since: a
    collector whose first session was never saved comes back to an empty broker, and what is
    published before it subscribes again reaches no one (that was the broker kill test's
    "335 of 2,902 lost": its collector had connected 2 s before the kill, before any save)."""
    db = broker.datadir / "mosquitto.db"
    after = time.time()
    deadline = time.monotonic() + timeout
    while not (db.exists() and db.stat().st_mtime > after):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the broker did not save {db} within {timeout:g} s")
        time.sleep(0.05)


class Load:
    """Publishes `reading(i)` for i = 0, 1, … at `rate` msg/s (QoS 1) in a thread until stopped;
    `acked` counts the broker's PUBACKs (paho retries unacknowledged ones after a reconnect)."""

    def __init__(self, port: int, rate: float, client_id: str = "fault-load") -> None:
        self.rate = rate
        self.sent = 0
        self.acked = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=False,
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(0.1, 1)
        self.client.on_publish = self._on_publish
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _on_publish(self, *args: object) -> None:
        with self._lock:
            self.acked += 1

    def _run(self) -> None:
        started = time.perf_counter()
        while not self._stop.is_set():
            due = started + self.sent / self.rate
            now = time.perf_counter()
            if now < due:
                time.sleep(min(due - now, 0.05))
                continue
            topic, payload = reading(self.sent)
            self.client.publish(topic, payload, qos=1)
            self.sent += 1

    def start(self) -> Load:
        self._thread.start()
        return self

    def stop(self) -> int:
        """Stop publishing; the number of messages published."""
        self._stop.set()
        self._thread.join(10)
        return self.sent

    def close(self) -> None:
        self._stop.set()
        self.client.loop_stop()
        self.client.disconnect()


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), in MB."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
