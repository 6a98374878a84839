"""Backing services failing under load, on real Mosquitto, InfluxDB and Redis, with the real
collector: nothing lost, memory bounded, quick recovery."""

from __future__ import annotations

import os
import time

import pytest
import redis

from collectors.collector import Collector
from ioc.devservices import wait_until
from ioc.live.redis import RedisLiveState
from ioc.live.stream import StoredEntry, decode_entry
from ioc.model import NS_PER_MS
from ioc.storage.influx import InfluxStorage
from tests.faults.support import SPAN, T0_MS, Load, rss_mb, seconds, wait_saved, wait_subscribed
from tests.helpers import settings_from_env

pytestmark = pytest.mark.services

RATE = 2000.0


@pytest.fixture
def services(mosquitto, influxdb, influx_db, redis_url):
    env = {
        "IOC_MQTT_URL": mosquitto.url,
        "IOC_MQTT_CLIENT_ID": "fault-collector",
        "IOC_INFLUX_URL": influxdb.url,
        "IOC_INFLUX_TOKEN": "t",
        "IOC_INFLUX_BUCKET": influx_db,
        "IOC_REDIS_URL": redis_url,
    }
    settings = settings_from_env(env)
    storage = InfluxStorage(influxdb.url, "t", "ioc", influx_db)
    live = RedisLiveState(redis_url)
    collector = Collector(settings, storage, live)
    collector.start()
    assert collector.transport.wait_connected(10)
    yield collector, storage, live
    collector.stop()
    storage.close()
    live.close()


def stored(storage: InfluxStorage) -> int:
    return storage.count("sensor", "pm25", SPAN)


def test_influxdb_stopped_under_2000_msg_s_loses_nothing_and_catches_up_fast(
    services, mosquitto, influxdb
):
    """Defect 8 and the issue's outage: the collector retried with backoff up to 30 s and needed
    45 s to catch up after a 60 s outage. Now a health probe retries the write as soon as
    InfluxDB answers: caught up within 10 s, nothing lost, memory bounded meanwhile.
    (CI: FAULTS_OUTAGE_S=12; the issue's 60 s: see tests/faults/README.md.)"""
    collector, storage, _ = services
    outage_s = seconds("FAULTS_OUTAGE_S", 12)
    load = Load(mosquitto.port, RATE).start()
    try:
        wait_until(lambda: stored(storage) > 1000, timeout=20, message="flowing before")
        rss_before = rss_mb()
        influxdb.stop()
        peak = rss_before
        deadline = time.monotonic() + outage_s
        while time.monotonic() < deadline:
            peak = max(peak, rss_mb())
            time.sleep(0.5)
        assert collector.pipeline.stats.storage_probes > 0
        influxdb.start()
        back = time.monotonic()
        published = load.stop()
        wait_until(lambda: load.acked >= published, timeout=30, message="broker acked all")
        wait_until(lambda: stored(storage) >= published, timeout=60, interval=0.2, message="all")
        caught_up_s = time.monotonic() - back
    finally:
        load.close()
    assert stored(storage) == published  # 0 lost, nothing twice
    assert published >= RATE * outage_s * 0.8, "the load did not keep its rate"
    assert caught_up_s <= 10, f"caught up {caught_up_s:.1f} s after InfluxDB returned"
    # Held meanwhile: at most the broker's receive maximum of ≈ 150-byte messages.
    assert peak - rss_before < 150, f"RSS grew {peak - rss_before:.0f} MB during the outage"
    assert collector.inbox.peak_bytes <= collector.settings.inbox_max_bytes


def test_collector_sigkilled_three_times_loses_nothing(mosquitto, influxdb, influx_db, redis_url):
    """`ioc collect` killed with SIGKILL at three random points under load: what it had not
    acknowledged is redelivered to the next run, identical points are rewritten — 0 lost.

    The load starts only once the collector stores what is published (`wait_subscribed`): an
    earlier version started it with the process and counted the ~3,450 messages published
    before the first SUBSCRIBE (routed to no one) as lost, which looked like a broker stall."""
    import os
    import random
    import signal
    import subprocess
    import sys

    env = {
        **os.environ,
        "IOC_MQTT_URL": mosquitto.url,
        "IOC_MQTT_CLIENT_ID": "fault-killed",
        "IOC_INFLUX_URL": influxdb.url,
        "IOC_INFLUX_TOKEN": "t",
        "IOC_INFLUX_BUCKET": influx_db,
        "IOC_REDIS_URL": redis_url,
        "IOC_KPI_ENGINE": "false",
        "IOC_LOG_LEVEL": "WARNING",
    }
    storage = InfluxStorage(influxdb.url, "t", "ioc", influx_db)
    rng = random.Random(10)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "ioc.cli", "collect"], env=env, stderr=log)

    log = open(os.environ.get("FAULTS_LOG", os.devnull), "ab")  # noqa: SIM115

    process = start()
    wait_subscribed(mosquitto.port, storage)
    load = Load(mosquitto.port, 1500.0).start()
    try:
        for _ in range(3):
            at = stored(storage) + rng.randint(500, 4000)
            wait_until(lambda a=at: stored(storage) >= a, timeout=15, message="storing")
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            process = start()
        published = load.stop()
        wait_until(lambda: load.acked >= published, timeout=30, message="broker acked all")
        wait_until(
            lambda: stored(storage) >= published,
            timeout=10,
            interval=0.2,
            message=f"all {published} stored (have {stored(storage)})",
        )
        assert stored(storage) == published
    finally:
        load.close()
        process.terminate()
        process.wait(30)
        storage.close()
        log.close()


def test_broker_kill_9_mid_stream_with_the_collector_keeping_up_loses_nothing(services, mosquitto):
    """Mosquitto killed with SIGKILL and restarted under load while the collector keeps up: the
    broker had next to nothing queued, the publisher resends what was not acknowledged, the
    collector reconnects to its saved session — every acknowledged message is stored.

    The kill comes right after a save that already holds the collector's session (see
    `wait_saved`): in production that session is days old. What the broker acknowledged to a
    publisher after its last save and had not yet handed to the collector is the crash window
    the README states (autosave_interval 1); with the collector keeping up it holds nothing."""
    collector, storage, _ = services
    load = Load(mosquitto.port, RATE).start()
    try:
        wait_until(lambda: stored(storage) > 2000, timeout=30, message="flowing")
        wait_saved(mosquitto)
        mosquitto.kill()
        mosquitto.start()
        wait_until(lambda: collector.transport.epoch >= 2, timeout=30, message="reconnected")
        wait_until(lambda: stored(storage) > load.sent * 0.5, timeout=30, message="after restart")
        published = load.stop()
        wait_until(lambda: load.acked >= published, timeout=30, message="broker acked all")
        wait_until(
            lambda: stored(storage) >= published,
            timeout=30,
            interval=0.2,
            message=f"all {published} stored (have {stored(storage)})",
        )
    finally:
        load.close()
    assert stored(storage) == published


def test_redis_killed_and_frozen_ingest_goes_on_and_the_snapshot_says_lost_at_once(
    services, mosquitto, redis_server, tmp_path
):
    """Redis SIGKILLed, restarted, then frozen with SIGSTOP (connections accepted, nothing
    answers) and resumed, each for FAULTS_REDIS_S (CI 6 s; the issue's 30 s: see README), under
    load. Ingest goes on (the collector keeps a live backlog, InfluxDB keeps getting every
    reading); /api/v1/snapshot answers 503 "lost" within 0.5 s every time but the first after the
    freeze (which waits one socket timeout), instead of each request waiting 3 s; after each,
    the snapshot is 200 again and the live state holds the newest reading — 0 lost."""
    import signal

    from dashboards.app import create_app
    from ioc.settings import load_settings

    collector, storage, _ = services
    outage_s = seconds("FAULTS_REDIS_S", 6)
    live = RedisLiveState(redis_server.url)  # the dashboard's own client, default timeouts
    app = create_app(
        load_settings(influx_url="", redis_url="", data_dir=str(tmp_path), snapshot_public=True),
        live=live,
        storage=storage,
    )
    client = app.server.test_client()

    def snapshot() -> tuple[int, bool, float]:
        started = time.monotonic()
        response = client.get("/api/v1/snapshot")
        return response.status_code, response.json["live"]["connected"], time.monotonic() - started

    def outage(name: str) -> None:
        before = stored(storage)
        timings = []
        deadline = time.monotonic() + outage_s
        while time.monotonic() < deadline:
            status, connected, took = snapshot()
            assert (status, connected) == (503, False), f"{name}: the snapshot did not say lost"
            timings.append(took)
            time.sleep(0.05)
        grown = stored(storage) - before
        assert grown >= RATE / 2 * outage_s * 0.5, f"{name}: only {grown} stored meanwhile"
        assert timings[0] < live_timeout + 1.0, f"{name}: first request {timings[0]:.2f} s"
        slowest = max(timings[1:])
        assert slowest < 0.5, f"{name}: a snapshot took {slowest:.2f} s while Redis was down"

    def recovered() -> None:
        wait_until(lambda: snapshot()[:2] == (200, True), timeout=15, message="snapshot back")

    live_timeout = 1.0
    load = Load(mosquitto.port, RATE / 2).start()
    try:
        wait_until(lambda: stored(storage) > 500, timeout=20, message="flowing before")
        assert snapshot()[:2] == (200, True)
        killed_at = load.sent
        redis_server.kill()
        outage("killed")
        redis_server.start()
        recovered()
        assert redis_server.pid is not None
        os.kill(redis_server.pid, signal.SIGSTOP)
        try:
            outage("frozen")
        finally:
            os.kill(redis_server.pid, signal.SIGCONT)
        recovered()
        published = load.stop()
        wait_until(lambda: load.acked >= published, timeout=30, message="broker acked all")
        wait_until(lambda: stored(storage) >= published, timeout=30, interval=0.2, message="all")
        # The engine's feed is whole: every reading stored since the kill reaches the stored-
        # batch stream (the collector's live backlog, applied when Redis answered again).
        wait_until(
            lambda: not unstreamed(redis_server.url, range(killed_at, published)),
            timeout=15,
            interval=0.2,
            message="every reading stored since the kill in the stored-batch stream",
        )
        gaps = sum(entry.gap for entry in stored_stream(redis_server.url))
    finally:
        load.close()
        live.close()
    assert stored(storage) == published
    assert collector.pipeline.stats.live_failures > 0
    assert gaps == 0  # nothing dropped from the backlog


def stored_stream(url: str) -> list[StoredEntry]:
    with redis.Redis.from_url(url) as client:
        raw = client.xrange("ioc:stored")
    return [decode_entry(i.decode(), {k.decode(): v for k, v in data.items()}) for i, data in raw]


def unstreamed(url: str, indexes: range) -> set[int]:
    """Which of the `reading(i)` are not in the stored-batch stream."""
    entries = stored_stream(url)
    return set(indexes) - {r.time_ns // NS_PER_MS - T0_MS for e in entries for r in e.readings}
