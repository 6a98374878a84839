"""`ioc bench ingest`: how fast does the collector drain a persistent-session backlog?

On its own Mosquitto, InfluxDB (1.6 + v2 shim) and Redis (ioc.devservices, free loopback ports):
1. three persistent sessions subscribe to `ioc/sensor/#` and go offline: `mosquitto_sub` (the
   broker's own C client, the limit of this machine), a bare paho client that only counts, and
   the collector;
2. N QoS 1 sensor messages (≈ 200-byte JSON, distinct timestamps) are published — the broker
   queues a copy for each session;
3. each consumer drains its copy, one after the other, timed from connect to the last message
   (the collector, KPI engine included as `ioc collect` runs it: to the last acknowledgement,
   i.e. stored in InfluxDB and Redis);
4. InfluxDB's point count and the live-state counters are checked: nothing lost.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collectors.collector import Collector
from ioc.devservices import DevServices
from ioc.live.redis import RedisLiveState
from ioc.localtime import local_datetime
from ioc.model import NS_PER_MS
from ioc.settings import Settings, load_settings
from ioc.storage.base import TimeRange
from ioc.storage.influx import InfluxStorage

TOPIC_FILTER = "ioc/sensor/#"
OUTSTANDING = 5000
T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
Progress = Callable[[str], None]


@dataclass
class IngestFigures:
    messages: int
    payload_bytes: float
    mosquitto_sub_msg_s: float
    paho_msg_s: float
    collector_msg_s: float
    stored_points: int
    live_stored: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "payload_bytes": round(self.payload_bytes, 1),
            "msg_per_s": {
                "mosquitto_sub": round(self.mosquitto_sub_msg_s),
                "paho_bare": round(self.paho_msg_s),
                "collector": round(self.collector_msg_s),
            },
            "collector_vs_paho": round(self.collector_msg_s / self.paho_msg_s, 3),
            "collector_vs_mosquitto_sub": round(self.collector_msg_s / self.mosquitto_sub_msg_s, 3),
            "stored_points": self.stored_points,
            "lost": self.messages - self.stored_points,
        }


def sensor_message(i: int) -> tuple[str, bytes]:
    source = f"cb-air-station-{i % 50:02d}"
    ts_s = T0_MS // 1000 + i
    stamp = local_datetime(ts_s).isoformat(timespec="milliseconds")
    payload = {
        "ts": stamp,
        "kind": "air",
        "values": {
            "pm25": round(20 + (i % 97) * 0.5137, 3),
            "pm10": round(35 + (i % 89) * 0.7371, 3),
            "no2": round(10 + (i % 13) * 1.1713, 3),
            "so2": round(3 + (i % 7) * 0.3331, 3),
            "co": round(400 + (i % 31) * 4.0173, 3),
            "o3": round(40 + (i % 17) * 1.5191, 3),
        },
    }
    return f"ioc/sensor/hoa-an/{source}", orjson.dumps(payload)


def _v5_client(client_id: str) -> mqtt.Client:
    return mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)


def _session_properties() -> Properties:
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 3600
    properties.ReceiveMaximum = 20_000
    return properties


def _register_v5_session(host: str, port: int, client_id: str) -> None:
    """Connect, subscribe at QoS 1 and leave, so the broker queues for this session."""
    client = _v5_client(client_id)
    subscribed = threading.Event()
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect(host, port, clean_start=True, properties=_session_properties())
    client.loop_start()
    client.subscribe(TOPIC_FILTER, qos=1)
    if not subscribed.wait(10):
        raise RuntimeError(f"{client_id}: no SUBACK")
    client.disconnect()
    client.loop_stop()


def _publish_backlog(host: str, port: int, n: int, progress: Progress) -> float:
    """Publish at QoS 1 with at most OUTSTANDING unacknowledged (paho's own queue scans its
    pending messages on every acknowledgement: an unbounded backlog there grows quadratic)."""
    client = _v5_client("bench-publisher")
    client.max_inflight_messages_set(1000)
    acked = threading.Semaphore(0)
    client.on_publish = lambda *args: acked.release()
    client.connect(host, port)
    client.loop_start()
    size = 0
    last = time.monotonic()
    for i in range(n):
        if i >= OUTSTANDING and not acked.acquire(timeout=60):
            raise RuntimeError(f"broker stopped acknowledging at message {i}")
        topic, payload = sensor_message(i)
        size += len(payload)
        client.publish(topic, payload, qos=1)
        if time.monotonic() - last > 1:
            progress(f"publishing backlog: {i + 1:,}/{n:,}")
            last = time.monotonic()
    for _ in range(min(n, OUTSTANDING)):
        if not acked.acquire(timeout=60):
            raise RuntimeError("broker did not acknowledge the whole backlog")
    client.disconnect()
    client.loop_stop()
    return size / n


def _mosquitto_sub(host: str, port: int) -> list[str]:
    binary = shutil.which("mosquitto_sub")
    if binary is None:
        raise RuntimeError("mosquitto_sub not found: apt-get install mosquitto-clients")
    return [binary, "-h", host, "-p", str(port), "-i", "bench-sub", "-q", "1", "-t", TOPIC_FILTER]


def _register_mosquitto_sub(host: str, port: int) -> None:
    subprocess.run([*_mosquitto_sub(host, port), "-c", "-E"], check=True, timeout=30)


def _drain_mosquitto_sub(host: str, port: int, n: int) -> float:
    args = _mosquitto_sub(host, port)
    started = time.perf_counter()
    subprocess.run([*args, "-c", "-C", str(n)], check=True, timeout=600, stdout=subprocess.DEVNULL)
    return n / (time.perf_counter() - started)


def _drain_paho(host: str, port: int, n: int) -> float:
    client = _v5_client("bench-paho")
    count = [0]
    done = threading.Event()

    def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        count[0] += 1
        if count[0] >= n:
            done.set()

    client.on_message = on_message
    started = time.perf_counter()
    client.connect(host, port, clean_start=False, properties=_session_properties())
    client.loop_start()
    if not done.wait(600):
        raise RuntimeError(f"bare paho received only {count[0]} of {n}")
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return n / elapsed


def run_ingest(n: int, progress: Progress, batch_size: int = 5000) -> IngestFigures:
    with DevServices() as services:
        services.influxdb.create_database("bench")
        env = services.env(database="bench")
        settings: Settings = load_settings(
            **{k.removeprefix("IOC_").lower(): v for k, v in env.items()},
            mqtt_client_id="bench-collector",
            batch_size=batch_size,
        )
        host, port = settings.mqtt.host, settings.mqtt.port
        progress("registering persistent sessions (collector, bare paho, mosquitto_sub)")
        _register_v5_session(host, port, "bench-collector")
        _register_v5_session(host, port, "bench-paho")
        subprocess.run(
            [
                "mosquitto_sub",
                "-h",
                host,
                "-p",
                str(port),
                "-i",
                "bench-sub",
                "-q",
                "1",
                "-t",
                TOPIC_FILTER,
                "-c",
                "-E",
            ],
            check=True,
            timeout=30,
        )
        payload_bytes = _publish_backlog(host, port, n, progress)
        progress(f"backlog of {n:,} messages queued for 3 sessions; draining with mosquitto_sub")
        sub_rate = _drain_mosquitto_sub(host, port, n)
        progress(f"mosquitto_sub: {sub_rate:,.0f} msg/s; draining with bare paho")
        paho_rate = _drain_paho(host, port, n)
        progress(f"bare paho: {paho_rate:,.0f} msg/s; draining with the collector")

        storage = InfluxStorage(settings.influx_url, "bench", "ioc", "bench")
        live = RedisLiveState(settings.redis_url)
        collector = Collector(settings, storage, live)
        started = time.perf_counter()
        collector.start()
        last = time.monotonic()
        stats = collector.pipeline.stats
        while stats.acked < n:
            if time.monotonic() - last > 1:
                progress(f"collector: {stats.acked:,}/{n:,} stored and acknowledged")
                last = time.monotonic()
            if time.perf_counter() - started > 600:
                raise RuntimeError(f"collector stored only {stats.acked} of {n} in 600 s")
            time.sleep(0.005)
        collector_rate = n / (time.perf_counter() - started)
        collector.stop()
        span = TimeRange(T0_MS * NS_PER_MS, (T0_MS + n * 1000 + 1) * NS_PER_MS)
        stored = storage.count("sensor", "pm25", span)
        live_stored = live.counters().get("stored:sensor", 0)
        storage.close()
        live.close()
        return IngestFigures(
            n, payload_bytes, sub_rate, paho_rate, collector_rate, stored, live_stored
        )
