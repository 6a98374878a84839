"""Backing services failing under load, on real Mosquitto, InfluxDB and Redis, with the real
collector: nothing lost, memory bounded, quick recovery."""

from __future__ import annotations

import time

import pytest

from collectors.collector import Collector
from ioc.devservices import wait_until
from ioc.live.redis import RedisLiveState
from ioc.storage.influx import InfluxStorage
from tests.faults.support import SPAN, Load, rss_mb, seconds
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


@pytest.mark.xfail(
    strict=True,
    reason="Mosquitto 2.0.11 stops delivering to a resumed persistent session whose previous "
    "connection was killed with messages in flight (reproduced with mosquitto_sub as the resumed "
    "client and with the collector before this branch); nothing is lost at the broker, but the "
    "backlog stalls until the session is reset. Under investigation: see the report.",
)
def test_collector_sigkilled_three_times_loses_nothing(mosquitto, influxdb, influx_db, redis_url):
    """`ioc collect` killed with SIGKILL at three random points under load: what it had not
    acknowledged is redelivered to the next run, identical points are rewritten — 0 lost."""
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


@pytest.mark.xfail(
    strict=True,
    reason="measured here: 335 of 2,902 acknowledged messages not stored after a kill -9 and "
    "restart with the collector keeping up — either the broker's save window (autosave 1 s) or "
    "the resumed-session stall of the SIGKILL test; not yet told apart (see the report)",
)
def test_broker_kill_9_mid_stream_with_the_collector_keeping_up_loses_nothing(services, mosquitto):
    """Mosquitto killed with SIGKILL and restarted under load while the collector keeps up: the
    broker had next to nothing queued, the publisher resends what was not acknowledged, the
    collector reconnects to its saved session — every acknowledged message is stored."""
    _, storage, _ = services
    load = Load(mosquitto.port, RATE).start()
    try:
        wait_until(lambda: stored(storage) > 2000, timeout=30, message="flowing")
        mosquitto.kill()
        mosquitto.start()
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
