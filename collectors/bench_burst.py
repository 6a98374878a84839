"""`ioc bench burst`: how fast does the collector clear a burst of bad messages?

On its own Mosquitto, InfluxDB and Redis (`python -m ioc.devservices`, a process of their own):
1. the collector's persistent session and a `mosquitto_sub` session on `ioc/deadletter/#` (the
   broker's C client: every dead letter must arrive) are registered and go offline;
2. N bad sensor messages are published (four kinds in turn: not JSON, a string where a number
   goes, an unknown key, a time without an offset) — the broker queues them;
3. the collector drains them, timed from connect until every one is rejected, counted, kept in
   the live state's dead-letter stream, acknowledged, and its dead letter published and
   acknowledged by the broker;
4. the reference, in the same run: N good messages for the same session, drained and stored by
   a new collector, timed the same way;
5. the counters are checked: each bad message counted under its reason, none shed
   (`deadletter_dropped`), `mosquitto_sub` received N dead letters, InfluxDB holds the N good.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from typing import Any

import orjson

from collectors.bench import (
    _mosquitto_sub,
    _publish_backlog,
    _register_v5_session,
    _span,
    bench_services,
    sensor_message,
)
from collectors.benchcpu import CpuMeter, spent
from collectors.collector import Collector
from ioc.live.redis import RedisLiveState
from ioc.settings import load_settings
from ioc.storage.influx import InfluxStorage

GOAL_S = 2.0  # issue 10: a burst of 50,000 clears in ≤ 2 s
DEADLETTER_FILTER = "ioc/deadletter/#"
REASONS = ("bad_json", "wrong_type", "unknown_name", "bad_time")
Progress = Callable[[str], None]


def bad_message(i: int) -> tuple[str, bytes]:
    """Bad message i: its reason is REASONS[i % 4]."""
    topic, good = sensor_message(i)
    kind = REASONS[i % len(REASONS)]
    if kind == "bad_json":
        return topic, good[:-7]  # cut short
    payload = orjson.loads(good)
    if kind == "wrong_type":
        payload["values"]["pm25"] = "high"
    elif kind == "unknown_name":
        payload["valeus"] = payload.pop("values")
    else:
        payload["ts"] = payload["ts"][:19]  # no offset
    return topic, orjson.dumps(payload)


def _deadletter_sub(host: str, port: int) -> list[str]:
    args = _mosquitto_sub(host, port)
    args[args.index("-i") + 1] = "bench-deadletters"
    args[args.index("-t") + 1] = DEADLETTER_FILTER
    return args


def _drain(collector: Collector, n: int, timeout: float = 600) -> float:
    """Seconds from start until n messages are acknowledged and every dead letter the
    collector published is acknowledged by the broker."""
    stats = collector.pipeline.stats
    started = time.perf_counter()
    collector.start()
    deadline = time.monotonic() + timeout
    while stats.acked < n or collector.transport.unacked_publishes:
        if time.monotonic() > deadline:
            raise RuntimeError(f"collector: {stats.acked} of {n} acknowledged in {timeout:.0f} s")
        time.sleep(0.02)
    return time.perf_counter() - started


def _per_message(cpu_s: dict[str, float], n: int) -> dict[str, float]:
    per = {k: round(v * 1e6 / n, 1) for k, v in cpu_s.items()}
    return {**per, "total": round(sum(per.values()), 1)}


def run_burst(n: int, progress: Progress, batch_size: int = 5000) -> dict[str, Any]:
    with bench_services() as (env, services_pid):
        settings = load_settings(
            **{k.removeprefix("IOC_").lower(): v for k, v in env.items()},
            mqtt_client_id="bench-burst",
            batch_size=batch_size,
        )
        host, port = settings.mqtt.host, settings.mqtt.port
        storage = InfluxStorage(settings.influx_url, "bench", "ioc", "bench")
        live = RedisLiveState(settings.redis_url)
        try:
            meter = CpuMeter({"bench": [os.getpid()], "services": [services_pid]}, ["services"])
            return _run(n, progress, settings, storage, live, host, port, meter)
        finally:
            storage.close()
            live.close()


def _run(
    n: int,
    progress: Progress,
    settings: Any,
    storage: InfluxStorage,
    live: RedisLiveState,
    host: str,
    port: int,
    meter: CpuMeter,
) -> dict[str, Any]:
    progress("registering persistent sessions (collector, mosquitto_sub on the dead letters)")
    _register_v5_session(host, port, "bench-burst")
    subprocess.run([*_deadletter_sub(host, port), "-c", "-E"], check=True, timeout=30)
    _publish_backlog(host, port, n, progress, message=bad_message)
    progress(f"{n:,} bad messages queued; draining with the collector")
    collector = Collector(settings, storage, live)
    before = meter.sample()
    bad_s = _drain(collector, n)
    bad_cpu = spent(before, meter.sample())
    dropped = collector.pipeline.stats.deadletter_dropped
    collector.stop()
    progress(f"bad: {n / bad_s:,.0f} msg/s ({bad_s:.2f} s); counting the dead letters")
    letters = subprocess.run(
        [*_deadletter_sub(host, port), "-c", "-C", str(n), "-W", "60"],
        stdout=subprocess.PIPE,
        timeout=120,
        check=False,
    ).stdout.count(b"\n")
    counters = live.counters()
    counted = sum(counters.get(f"rejected:sensor:{reason}", 0) for reason in REASONS)

    _publish_backlog(host, port, n, progress, first=n)
    progress(f"{n:,} good messages queued; draining with a new collector")
    collector = Collector(settings, storage, live)
    before = meter.sample()
    good_s = _drain(collector, n)
    good_cpu = spent(before, meter.sample())
    collector.stop()
    progress(f"good: {n / good_s:,.0f} msg/s ({good_s:.2f} s)")
    stored = storage.count("sensor", "pm25", _span(n, n))
    complete = (
        counted == letters == n
        and dropped == 0
        and counters.get("deadletter_dropped", 0) == 0
        and stored == n
    )
    return {
        "messages": n,
        "bad": {
            "seconds": round(bad_s, 3),
            "msg_per_s": round(n / bad_s),
            "counted": counted,
            "by_reason": {r: counters.get(f"rejected:sensor:{r}", 0) for r in REASONS},
            "deadletters": letters,
            "deadletter_dropped": dropped,
            "cpu_us_per_msg": _per_message(bad_cpu, n),
        },
        "good": {
            "seconds": round(good_s, 3),
            "msg_per_s": round(n / good_s),
            "stored": stored,
            "cpu_us_per_msg": _per_message(good_cpu, n),
        },
        "bad_vs_good": round(good_s / bad_s, 3),
        "goal_s": GOAL_S,
        "complete": complete,
    }
