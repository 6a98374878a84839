"""`ioc bench broker-crash`: what a Mosquitto `kill -9` loses, and what saving more often costs.

Mosquitto keeps queued messages in memory and writes its whole database every
`autosave_interval` seconds (or, with `autosave_on_changes true`, after that many changes). A
crash loses what the broker acknowledged to publishers since the last save. For each setting:

1. Mosquitto (the project's mosquitto.conf with only the autosave lines changed) on its own port;
   a persistent-session subscriber — a collector that is behind — subscribes and goes offline,
   so every message is queued for it;
2. a publisher sends QoS 1 messages at `rate` msg/s for `seconds` s (its PUBACK latency is
   recorded: saving blocks the broker's single thread) while the broker's CPU time is read
   from /proc;
3. `kill -9` the broker, restart it on the same data, drain the subscriber's session and count
   what the broker had acknowledged but lost.

This needs no InfluxDB or Redis: it measures the broker alone.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ioc.devservices import Mosquitto
from ioc.devservices.mosquitto import REPO_CONF

TOPIC = "ioc/sensor/hoa-an/bench-autosave"
SETTINGS: dict[str, tuple[str, ...]] = {
    "interval 60 s (before)": ("autosave_interval 60",),
    "interval 1 s": ("autosave_interval 1",),
    "on changes, 2000": ("autosave_interval 2000", "autosave_on_changes true"),
    "on changes, 500": ("autosave_interval 500", "autosave_on_changes true"),
}
Progress = Callable[[str], None]


@dataclass
class CrashFigures:
    setting: str
    published: int  # acknowledged by the broker before the crash
    recovered: int
    broker_cpu_pct: float
    puback_p50_ms: float
    puback_p99_ms: float
    puback_max_ms: float

    @property
    def lost(self) -> int:
        return self.published - self.recovered

    def as_dict(self) -> dict[str, Any]:
        return {
            "setting": self.setting,
            "acknowledged": self.published,
            "lost": self.lost,
            "broker_cpu_pct": round(self.broker_cpu_pct, 1),
            "puback_ms": {
                "p50": round(self.puback_p50_ms, 2),
                "p99": round(self.puback_p99_ms, 2),
                "max": round(self.puback_max_ms, 2),
            },
        }


def autosave_conf(source: str, lines: tuple[str, ...]) -> str:
    """The project config with its autosave lines replaced by `lines`."""
    kept = [
        line
        for line in source.splitlines()
        if not re.match(r"\s*autosave_(interval|on_changes)", line)
    ]
    return "\n".join([*kept, *lines]) + "\n"


def _client(port: int, client_id: str = "", clean: bool = True) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=clean,
    )
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    return client


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_one(
    name: str, lines: tuple[str, ...], rate: float, seconds: float, workdir: Path
) -> CrashFigures:
    conf = workdir / "mosquitto.conf"
    conf.write_text(autosave_conf(REPO_CONF.read_text(encoding="utf-8"), lines), encoding="utf-8")
    broker = Mosquitto(workdir / "broker", conf=conf)
    broker.start()
    try:
        behind = _client(broker.port, "bench-behind", clean=False)
        subscribed = threading.Event()
        behind.on_subscribe = lambda *args: subscribed.set()
        behind.loop_start()
        behind.subscribe(TOPIC, qos=1)
        if not subscribed.wait(10):
            raise RuntimeError("no SUBACK from the bench broker")
        behind.disconnect()
        behind.loop_stop()

        sent_at: dict[int, float] = {}  # mid -> when published (fewer than 65,536: no reuse)
        acked_at: dict[int, float] = {}  # mid -> when the PUBACK came (network thread)
        publisher = _client(broker.port)
        publisher.on_publish = lambda c, u, mid, rc, p: acked_at.__setitem__(
            mid, time.perf_counter()
        )
        publisher.loop_start()
        pid = broker.pid
        assert pid is not None
        cpu0, wall0 = _cpu_seconds(pid), time.monotonic()
        interval = 1.0 / rate
        count = min(int(rate * seconds), 65_000)
        next_at = time.perf_counter()
        numbers: dict[int, int] = {}
        for i in range(count):
            now = time.perf_counter()
            if now < next_at:
                time.sleep(next_at - now)
            next_at += interval
            started = time.perf_counter()
            info = publisher.publish(TOPIC, b'{"n": %d, "pad": "%s"}' % (i, b"x" * 180), qos=1)
            sent_at[info.mid] = started
            numbers[info.mid] = i
        cpu = (_cpu_seconds(pid) - cpu0) / (time.monotonic() - wall0) * 100
        broker.kill()  # while messages may still be in flight: only acknowledged ones count
        publisher.loop_stop()
        acks = dict(acked_at)
        confirmed = {numbers[mid] for mid in acks if mid in numbers}
        lat = sorted(acks[mid] - sent_at[mid] for mid in acks if mid in sent_at)
        broker.start()

        got: set[int] = set()
        drain = _client(broker.port, "bench-behind", clean=False)
        drain.on_message = lambda c, u, m: got.add(int(m.payload.split(b",")[0].split(b":")[1]))
        drain.loop_start()
        quiet_since = time.monotonic()
        seen = -1
        while time.monotonic() - quiet_since < 2.0:
            time.sleep(0.2)
            if len(got) != seen:
                seen, quiet_since = len(got), time.monotonic()
        drain.disconnect()
        drain.loop_stop()
        recovered = len(confirmed & got)

        def pct(q: float) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else 0.0

        return CrashFigures(
            name,
            len(confirmed),
            recovered,
            cpu,
            pct(0.5),
            pct(0.99),
            (lat[-1] * 1000 if lat else 0),
        )
    finally:
        broker.close()


def run_broker_crash(rate: float, seconds: float, progress: Progress) -> list[CrashFigures]:
    results = []
    with tempfile.TemporaryDirectory(prefix="ioc-bench-broker-") as tmp:
        for index, (name, lines) in enumerate(SETTINGS.items()):
            progress(f"{name}: {rate:g} msg/s for {seconds:g} s, then kill -9")
            workdir = Path(tmp) / str(index)
            workdir.mkdir()
            results.append(run_one(name, lines, rate, seconds, workdir))
    return results
