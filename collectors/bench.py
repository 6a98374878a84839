"""`ioc bench ingest`: how fast does the whole ingest drain a persistent-session backlog?

On its own Mosquitto, InfluxDB (1.6 + v2 shim) and Redis (`python -m ioc.devservices`, a process
of their own, free loopback ports),
with the KPI engine running as `ioc engine` does (its own process, folding the stored-batch
stream):
1. three persistent sessions subscribe to `ioc/sensor/#` and go offline: `mosquitto_sub` (the
   broker's own C client, the limit of this machine), a bare paho client that only counts, and
   the collector;
2. N QoS 1 sensor messages (≈ 140-byte JSON, distinct timestamps) are published — the broker
   queues a copy for each session;
3. each consumer drains its copy, one after the other, timed from connect to the last message;
   the collector (in this process, as bare paho is) until every message is stored in InfluxDB
   and Redis, acknowledged, and folded by the engine (its consumer group has read and
   acknowledged every stored batch). Steps 2–3 are repeated `rounds` times: on a shared machine
   the load moves between seconds, so the headline is the round with the median
   collector / paho ratio;
4. `ioc collect --workers 1`, then `--workers 2` (worker processes on one $share group): the
   workers connect and subscribe, are paused (SIGSTOP) while N more messages are published, and
   are timed from SIGCONT until all N are stored and folded (their start-up not counted; the
   broker has already pushed what fits in the sockets, so compare these two with each other);
5. InfluxDB's point counts, the live-state counters and the engine's fold count are checked:
   nothing lost, nothing folded twice;
6. every phase's CPU seconds per process (this one, the engine, the workers, mosquitto, influxd,
   redis-server) are read from /proc: CPU µs a message moves far less with others' load than
   a rate does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import redis
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collectors.benchcpu import CpuMeter, spent
from collectors.collector import Collector
from collectors.workers import Supervisor
from ioc.live.heartbeat import ENGINE
from ioc.live.redis import RedisLiveState
from ioc.live.stream import STREAM_GROUP
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
    workers: int
    one_worker_msg_s: float
    workers_msg_s: float
    workers_stored_points: int
    workers_live_stored: int
    engine_folded: int
    engine_repeated: int
    cpu_s: dict[str, dict[str, float]]  # phase -> process -> CPU seconds (paho, collector: a round)
    rounds: list[dict[str, float]]  # per round: mosquitto_sub, paho_bare, collector msg/s

    def _rates(self, rate: float) -> dict[str, float]:
        return {
            "collector_vs_paho": round(rate / self.paho_msg_s, 3),
            "collector_vs_mosquitto_sub": round(rate / self.mosquitto_sub_msg_s, 3),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "payload_bytes": round(self.payload_bytes, 1),
            "msg_per_s": {
                "mosquitto_sub": round(self.mosquitto_sub_msg_s),
                "paho_bare": round(self.paho_msg_s),
                "collector": round(self.collector_msg_s),
            },
            **self._rates(self.collector_msg_s),
            "rounds": [
                {**{k: round(v) for k, v in r.items()}, "collector_vs_paho": _ratio(r)}
                for r in self.rounds
            ],
            "stored_points": self.stored_points,
            "lost": len(self.rounds) * self.messages - self.stored_points,
            "engine": {"folded": self.engine_folded, "repeated": self.engine_repeated},
            "cpu_us_per_msg": self.cpu_us_per_msg(),
            "workers": {
                "workers": self.workers,
                "msg_per_s": round(self.workers_msg_s),
                "one_worker_msg_per_s": round(self.one_worker_msg_s),
                "vs_one": round(self.workers_msg_s / self.one_worker_msg_s, 3),
                **self._rates(self.workers_msg_s),
                "stored_points": self.workers_stored_points,
                "lost": self.messages - self.workers_stored_points,
            },
        }

    def cpu_us_per_msg(self) -> dict[str, dict[str, float]]:
        """Per phase (paho, collector, workers_1, workers_N): CPU µs a message of each process
        (`bench` is this process: the bare paho client, the in-process collector)."""
        out = {}
        for phase, spent_s in self.cpu_s.items():
            per = {k: round(v * 1e6 / self.messages, 1) for k, v in spent_s.items()}
            out[phase] = {**per, "total": round(sum(per.values()), 1)}
        return out

    @property
    def complete(self) -> bool:
        """Nothing lost, each message folded once."""
        n, rounds = self.messages, len(self.rounds)
        return (
            self.stored_points == self.live_stored == rounds * n
            and self.workers_stored_points == self.workers_live_stored == n
            and self.engine_folded == (rounds + 2) * n
            and self.engine_repeated == 0
        )


def _ratio(r: dict[str, float]) -> float:
    return round(r["collector"] / r["paho_bare"], 3)


def sensor_message(i: int) -> tuple[str, bytes]:
    """Message i: from one of 50 sources, at T0 + i seconds."""
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


def _publish_backlog(
    host: str,
    port: int,
    n: int,
    progress: Progress,
    first: int = 0,
    message: Callable[[int], tuple[str, bytes]] = sensor_message,
) -> float:
    """Publish `message(first + i)` at QoS 1 with at most OUTSTANDING unacknowledged (paho's
    own queue scans its pending messages on every acknowledgement: an unbounded backlog there
    grows quadratic); the mean payload size."""
    client = _v5_client(f"bench-publisher-{first}")
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
        topic, payload = message(first + i)
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


class _Watch:
    """What the live state says: stored readings (all collectors) and the engine's progress."""

    def __init__(self, redis_url: str, live: RedisLiveState) -> None:
        self.redis = redis.Redis.from_url(redis_url)
        self.live = live

    def stored(self) -> int:
        return self.live.counters().get("stored:sensor", 0)

    def engine_caught_up(self) -> bool:
        """The engine's group has read and acknowledged every stored batch."""
        for group in self.redis.xinfo_groups("ioc:stored"):
            if group["name"].decode() == STREAM_GROUP:
                return bool(group["pending"] == 0 and group.get("lag") == 0)
        return False

    def engine(self) -> dict[str, Any]:
        return self.live.heartbeats().get(ENGINE, {})

    def wait(self, until: Callable[[], bool], what: str, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what}: not within {timeout:.0f} s")
            time.sleep(0.005)


def _ioc(*args: str) -> list[str]:
    return [sys.executable, "-c", "from ioc.cli import main; main()", *args]


@contextlib.contextmanager
def bench_services(database: str = "bench") -> Iterator[tuple[dict[str, str], int]]:
    """Mosquitto, InfluxDB (+ its v2-write shim) and Redis from `python -m ioc.devservices`, in a
    process of their own: the shim is Python, and in the benchmark's process it would take the
    in-process collector's interpreter lock (production InfluxDB needs no shim). The `IOC_*`
    settings that point at them, and the pid of their process."""
    services = subprocess.Popen(
        [sys.executable, "-m", "ioc.devservices", database],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        env: dict[str, str] = {}
        assert services.stdout is not None
        for line in services.stdout:
            if line.startswith("# running"):
                break
            key, sep, value = line.strip().partition("=")
            if sep and key.startswith("IOC_"):
                env[key] = value
        else:
            raise RuntimeError(f"dev services did not start (exit {services.wait(60)})")
        yield env, services.pid
    finally:
        services.send_signal(signal.SIGTERM)
        try:
            services.wait(60)
        except subprocess.TimeoutExpired:
            services.kill()


def run_ingest(
    n: int, progress: Progress, batch_size: int = 5000, workers: int = 2, rounds: int = 3
) -> IngestFigures:
    with bench_services() as (service_env, services_pid):
        env = {
            **service_env,
            "IOC_BATCH_SIZE": str(batch_size),
            "IOC_METRICS_PORT": "",
            "IOC_LOG_LEVEL": "WARNING",
        }
        settings: Settings = load_settings(
            **{k.removeprefix("IOC_").lower(): v for k, v in env.items()},
            mqtt_client_id="bench-collector",
        )
        host, port = settings.mqtt.host, settings.mqtt.port
        storage = InfluxStorage(settings.influx_url, "bench", "ioc", "bench")
        live = RedisLiveState(settings.redis_url)
        watch = _Watch(settings.redis_url, live)
        progress("starting the KPI engine (`ioc engine`, its own process)")
        engine = subprocess.Popen(_ioc("engine"), env={**os.environ, **env})
        try:
            watch.wait(lambda: watch.engine().get("rebuilds", 0) >= 1, "engine start", 60)
            meter = CpuMeter(
                {"bench": [os.getpid()], "engine": [engine.pid], "services": [services_pid]},
                trees=["services"],
            )
            return _run(
                n, progress, env, settings, storage, live, watch, host, port, workers, meter, rounds
            )
        finally:
            engine.send_signal(signal.SIGTERM)
            engine.wait(30)
            storage.close()
            live.close()


def _run(
    n: int,
    progress: Progress,
    env: dict[str, str],
    settings: Settings,
    storage: InfluxStorage,
    live: RedisLiveState,
    watch: _Watch,
    host: str,
    port: int,
    workers: int,
    meter: CpuMeter,
    rounds: int,
) -> IngestFigures:
    cpu: dict[str, dict[str, float]] = {}
    progress("registering persistent sessions (collector, bare paho, mosquitto_sub)")
    _register_v5_session(host, port, "bench-collector")
    _register_v5_session(host, port, "bench-paho")
    _register_mosquitto_sub(host, port)
    per_round: list[dict[str, float]] = []
    paho_cpu: list[dict[str, float]] = []
    collector_cpu: list[dict[str, float]] = []
    for number in range(rounds):
        payload_bytes = _publish_backlog(host, port, n, progress, first=number * n)
        progress(f"round {number + 1}/{rounds}: {n:,} messages queued for 3 sessions")
        sub_rate = _drain_mosquitto_sub(host, port, n)
        before = meter.sample()
        paho_rate = _drain_paho(host, port, n)
        paho_cpu.append(spent(before, meter.sample()))
        before = meter.sample()
        collector_rate = _drain_collector(n, progress, settings, storage, live, watch)
        collector_cpu.append(spent(before, meter.sample()))
        per_round.append(
            {"mosquitto_sub": sub_rate, "paho_bare": paho_rate, "collector": collector_rate}
        )
        progress(
            f"round {number + 1}: mosquitto_sub {sub_rate:,.0f}, bare paho {paho_rate:,.0f},"
            f" collector {collector_rate:,.0f} msg/s ({collector_rate / paho_rate:.2f} × paho)"
        )
    cpu["paho"] = _mean(paho_cpu)
    cpu["collector"] = _mean(collector_cpu)
    # The round with the median collector / paho ratio gives the headline figures.
    median = sorted(per_round, key=lambda r: r["collector"] / r["paho_bare"])[rounds // 2]
    stored = storage.count("sensor", "pm25", _span(0, rounds * n))
    live_stored = watch.stored()
    progress(f"starting `ioc collect --workers 1`, then --workers {workers}")
    first = rounds * n

    one_rate, _, _ = _workers_run(
        1, n, first, progress, env, storage, live, watch, host, port, meter, cpu
    )
    progress(f"--workers 1: {one_rate:,.0f} msg/s; now --workers {workers}")
    workers_rate, workers_stored, workers_live = _workers_run(
        workers, n, first + n, progress, env, storage, live, watch, host, port, meter, cpu
    )
    progress(f"workers: {workers_rate:,.0f} msg/s; waiting for the engine's fold count")
    with contextlib.suppress(RuntimeError):  # a shortfall is reported below
        watch.wait(
            lambda: watch.engine().get("folded", 0) >= (rounds + 2) * n, "engine fold count", 10
        )
    beat = watch.engine()
    return IngestFigures(
        n,
        payload_bytes,
        median["mosquitto_sub"],
        median["paho_bare"],
        median["collector"],
        stored,
        live_stored,
        workers,
        one_rate,
        workers_rate,
        workers_stored,
        workers_live,
        int(beat.get("folded", 0)),
        int(beat.get("repeated", 0)),
        cpu,
        per_round,
    )


def _mean(samples: list[dict[str, float]]) -> dict[str, float]:
    keys = {k for sample in samples for k in sample}
    return {k: sum(s.get(k, 0.0) for s in samples) / len(samples) for k in sorted(keys)}


def _drain_collector(
    n: int,
    progress: Progress,
    settings: Settings,
    storage: InfluxStorage,
    live: RedisLiveState,
    watch: _Watch,
) -> float:
    """The collector (this process) draining its session's n messages, timed from start until
    they are acknowledged and the engine has folded every stored batch."""
    collector = Collector(settings, storage, live)
    started = time.perf_counter()
    collector.start()
    stats = collector.pipeline.stats
    watch.wait(lambda: stats.acked >= n, "collector")
    acked_s = time.perf_counter() - started
    watch.wait(watch.engine_caught_up, "engine after the collector")
    collector_s = time.perf_counter() - started
    collector.stop()
    progress(f"collector: all acknowledged after {acked_s:.2f} s, folded after {collector_s:.2f} s")
    return n / collector_s


def _workers_run(
    workers: int,
    n: int,
    first: int,
    progress: Progress,
    env: dict[str, str],
    storage: InfluxStorage,
    live: RedisLiveState,
    watch: _Watch,
    host: str,
    port: int,
    meter: CpuMeter,
    cpu: dict[str, dict[str, float]],
) -> tuple[float, int, int]:
    """`ioc collect --workers N` draining n messages published while its workers were paused:
    (msg/s, points stored, stored per the live counters)."""
    name = f"bench-w{workers}"
    supervisor = Supervisor(
        load_settings(
            **{k.removeprefix("IOC_").lower(): v for k, v in env.items()},
            mqtt_client_id=name,
            mqtt_share_group=name,
        ),
        workers,
        base_env={**os.environ, **env},
    )
    thread = threading.Thread(target=supervisor.run, daemon=True)
    thread.start()
    try:
        components = [f"collector:{name}-{i}" for i in range(1, workers + 1)]
        watch.wait(
            lambda: all(live.heartbeats().get(c, {}).get("connected") for c in components),
            "workers subscribed",
            60,
        )
        pids = supervisor.pids
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        progress(f"workers paused; publishing {n:,} more messages for their share group")
        _publish_backlog(host, port, n, progress, first=first)
        before = watch.stored()
        with_workers = CpuMeter({**meter.processes, "workers": pids}, meter.trees)
        cpu_before = with_workers.sample()
        started = time.perf_counter()
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
        watch.wait(lambda: watch.stored() >= before + n, "workers")
        watch.wait(watch.engine_caught_up, "engine after the workers")
        workers_rate = n / (time.perf_counter() - started)
        cpu[f"workers_{workers}"] = spent(cpu_before, with_workers.sample())
        workers_live = watch.stored() - before
    finally:
        for pid in supervisor.pids:
            os.kill(pid, signal.SIGCONT)
        supervisor.stop()
        thread.join(60)
    return workers_rate, storage.count("sensor", "pm25", _span(first, n)), workers_live


def _span(first: int, n: int) -> TimeRange:
    return TimeRange(
        (T0_MS + first * 1000) * NS_PER_MS, (T0_MS + (first + n) * 1000 - 1) * NS_PER_MS
    )
