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
3. `kill -9` the broker right after the last message, restart it on the same data, drain the
   subscriber's session and count what is missing (an upper bound of the acknowledged messages
   lost: up to mosquitto_pub's in-flight window of 20 may not have been acknowledged yet).

This needs no InfluxDB or Redis: it measures the broker alone.
"""

from __future__ import annotations

import os
import re
import subprocess
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
PROBE_TOPIC = "ioc/sensor/hoa-an/bench-probe"
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
    broker_written_mb_s: float
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
            "broker_written_mb_s": round(self.broker_written_mb_s, 2),
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
    return "\n".join([*kept, *lines, "sys_interval 1"]) + "\n"


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


def _written(pid: int) -> int:
    """Bytes the process wrote (its database saves; the broker logs to a file)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


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

        # The load: mosquitto_pub (the broker's own C client: Python would be the bottleneck)
        # reads one message a line from us, paced at `rate`, and publishes it at QoS 1.
        feeder = subprocess.Popen(
            [
                "mosquitto_pub",
                "-h",
                "127.0.0.1",
                "-p",
                str(broker.port),
                "-q",
                "1",
                "-t",
                TOPIC,
                "-l",
                "-i",
                "bench-load",
            ],
            stdin=subprocess.PIPE,
        )
        assert feeder.stdin is not None
        # The probe: a paho client publishing 20 msg/s on another topic, timing each PUBACK
        # (saving the database blocks the broker's single thread: it shows here).
        sent_at: dict[int, float] = {}
        latencies: list[float] = []
        probe = _client(broker.port)
        probe.on_publish = lambda c, u, mid, rc, p: latencies.append(
            time.perf_counter() - sent_at.get(mid, time.perf_counter())
        )
        probe.loop_start()
        pid = broker.pid
        assert pid is not None
        cpu0, io0, wall0 = _cpu_seconds(pid), _written(pid), time.monotonic()
        count = int(rate * seconds)
        started = time.perf_counter()
        for i in range(count):
            due = started + i / rate
            now = time.perf_counter()
            if now < due:
                time.sleep(due - now)
            feeder.stdin.write(b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * 180))
            if i % max(1, int(rate / 20)) == 0:
                feeder.stdin.flush()
                sent_at[probe.publish(PROBE_TOPIC, b"probe", qos=1).mid] = time.perf_counter()
        feeder.stdin.flush()
        elapsed = time.monotonic() - wall0
        cpu = (_cpu_seconds(pid) - cpu0) / elapsed * 100
        written_mb_s = (_written(pid) - io0) / elapsed / 1e6
        # kill -9 right after the last line: at most mosquitto_pub's QoS 1 window (20) of the
        # fed messages can still have been unacknowledged; they count as lost here (worst case).
        broker.kill()
        accepted = count
        feeder.kill()
        feeder.wait()
        probe.loop_stop()
        lat = sorted(latencies)
        confirmed = set(range(accepted))
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
            written_mb_s,
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
