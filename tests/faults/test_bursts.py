"""Bursts of bad input through the real broker and collector: every message dead-lettered,
counters exact, memory flat with oversize payloads and 60 KB topics.
(CI: FAULTS_BURST=20000; the issue's 200,000: see tests/faults/README.md.)"""

from __future__ import annotations

import threading
import time
from collections import Counter

import paho.mqtt.client as mqtt
import pytest
import redis
from paho.mqtt.enums import CallbackAPIVersion

from collectors.collector import Collector
from ioc.devservices import wait_until
from ioc.feeds import MAX_PAYLOAD_BYTES
from ioc.live.redis import RedisLiveState
from ioc.model import DEADLETTER_ENTRY_MAX
from ioc.storage.influx import InfluxStorage
from tests.broker import COLLECTOR_PASSWORD, DEVICE_A, Client, deploy_broker
from tests.faults.support import rss_mb, seconds
from tests.helpers import settings_from_env

pytestmark = pytest.mark.services


def test_a_burst_of_bad_messages_is_all_dead_lettered_with_exact_counters(
    mosquitto, influxdb, influx_db, redis_url
):
    n = int(seconds("FAULTS_BURST", 20_000))
    settings = settings_from_env(
        {
            "IOC_MQTT_URL": mosquitto.url,
            "IOC_MQTT_CLIENT_ID": "fault-burst",
            "IOC_INFLUX_URL": influxdb.url,
            "IOC_INFLUX_TOKEN": "t",
            "IOC_INFLUX_BUCKET": influx_db,
            "IOC_REDIS_URL": redis_url,
        }
    )
    storage = InfluxStorage(influxdb.url, "t", "ioc", influx_db)
    live = RedisLiveState(redis_url)
    collector = Collector(settings, storage, live)
    letters = [0]
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    watcher.on_message = lambda c, u, m: letters.__setitem__(0, letters[0] + 1)
    watcher.connect("127.0.0.1", mosquitto.port)
    watcher.subscribe("ioc/deadletter/#", qos=1)
    watcher.loop_start()
    sender = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sender.max_inflight_messages_set(1000)
    sender.max_queued_messages_set(0)
    sender.connect("127.0.0.1", mosquitto.port)
    sender.loop_start()
    redis_client = redis.Redis.from_url(redis_url)
    try:
        collector.start()
        assert collector.transport.wait_connected(10)
        long_topic = "ioc/sensor/hoa-an/" + "x" * 60_000
        big = b"{" + b" " * MAX_PAYLOAD_BYTES + b"}"
        oversize, long_topics = 200, 200
        window = threading.Semaphore(1_000)  # messages on their way: paho rescans everything it
        sender.on_publish = lambda *_: window.release()  # holds on each PUBACK (quadratic)

        def send(topic: str, payload: bytes) -> None:
            assert window.acquire(timeout=60), "the broker stopped acknowledging the burst"
            sender.publish(topic, payload, qos=1)

        for _ in range(n):
            send("ioc/sensor/hoa-an/burst", b"{not json")
        for _ in range(oversize):
            send("ioc/sensor/hoa-an/big", big)
        for _ in range(long_topics):
            send(long_topic, b"{}")
        total = n + oversize + long_topics
        started = time.monotonic()
        wait_until(lambda: collector.pipeline.stats.received >= total, timeout=120, interval=0.2)
        drained_s = time.monotonic() - started
        wait_until(lambda: letters[0] >= total, timeout=60, interval=0.2, message="dead letters")
        counters = live.counters()
        assert counters["rejected:sensor:bad_json"] == n
        assert counters["rejected:sensor:oversize"] == oversize
        assert counters["rejected:sensor:bad_topic"] == long_topics
        assert counters.get("deadletter_dropped", 0) == 0
        assert letters[0] == total
        # The dead-letter stream: bounded in entries, each entry capped (topic included).
        entries = live.deadletters(count=10)
        assert all(len(e["topic"]) <= 256 and len(e["payload"]) <= 2048 for e in entries)
        stream_bytes = redis_client.memory_usage("ioc:deadletter") or 0
        assert stream_bytes < settings.deadletter_maxlen * DEADLETTER_ENTRY_MAX * 1.5
        assert collector.inbox.peak_bytes <= settings.inbox_max_bytes + len(big) + 100
        print(f"burst of {total:,} drained {drained_s:.1f} s after publishing ended")
    finally:
        collector.stop()
        for client in (sender, watcher):
            client.loop_stop()
            client.disconnect()
        storage.close()
        live.close()
        redis_client.close()


def test_the_production_broker_refuses_packets_over_its_limit_and_forged_long_topics(
    tmp_path, sqlite_storage, memory_live
):
    """Defects 4 and 5 at the production broker (deploy/mosquitto, `max_packet_size 73728`), with
    the real collector behind it: a device's 64 KiB + 1 payload still passes the broker and is
    dead-lettered `oversize` by the collector (so the integrator learns why); a packet over the
    broker's limit (100 KB, 16 MiB) gets the device disconnected before the broker reads it, so
    nobody receives it; a 60 KB topic is outside the device's ACL entry and refused at the door
    ("Not authorized"). The broker's memory stays flat throughout."""

    name, feed, district = DEVICE_A
    topic = f"ioc/{feed}/{district}/{name}"
    with deploy_broker(tmp_path, simulator=False) as deploy:
        settings = settings_from_env(
            {
                "IOC_MQTT_URL": deploy.url("collector-1", COLLECTOR_PASSWORD),
                "IOC_MQTT_CLIENT_ID": "collector-1",
                "IOC_INFLUX_URL": "",
                "IOC_REDIS_URL": "",
                "IOC_DATA_DIR": str(tmp_path / "data"),
            }
        )
        collector = Collector(settings, sqlite_storage, memory_live)
        collector.start()
        device = deploy.device(name)
        try:
            assert collector.transport.wait_connected(10)
            assert deploy.broker.pid is not None
            broker_before = rss_mb(deploy.broker.pid)

            just_over = b"{" + b" " * (MAX_PAYLOAD_BYTES - 1) + b"}"  # 64 KiB + 1
            assert len(just_over) == MAX_PAYLOAD_BYTES + 1
            assert acks(device, [(topic, just_over)] * 100) == {"Success": 100}

            long_topic = f"ioc/{feed}/{district}/" + "x" * 60_000
            assert acks(device, [(long_topic, b"{}")] * 200) == {"Not authorized": 200}

            # Just over the limit (the old 1 MiB limit let these through), then far over it.
            for size in (100_000, 100_000, 100_000, 16 << 20, 16 << 20):
                greedy = deploy.device(name)
                greedy.client.publish(topic, b"x" * size, qos=0)
                wait_until(lambda g=greedy: g.disconnects, timeout=10, message="disconnected")
                greedy.close()

            assert device.publish(topic, b"{not json") == "Success"  # the door still works
            wait_until(lambda: collector.pipeline.stats.received >= 101, timeout=30)
            counters = memory_live.counters()
            assert counters["rejected:sensor:oversize"] == 100
            assert counters["rejected:sensor:bad_json"] == 1
            assert collector.pipeline.stats.received == 101  # nothing else reached it
            assert collector.transport.connected  # the collector was never thrown off
            grown = rss_mb(deploy.broker.pid) - broker_before
            assert grown < 10, f"the broker grew {grown:.0f} MB"
        finally:
            device.close()
            collector.stop()


def acks(device: Client, messages: list[tuple[str, bytes]]) -> Counter[str]:
    """Publish all at QoS 1 at once; how many PUBACKs came back with which reason."""
    mids = [device.client.publish(topic, payload, qos=1).mid for topic, payload in messages]
    wait_until(lambda: all(mid in device.acks for mid in mids), timeout=30, message="PUBACKs")
    return Counter(device.acks.pop(mid) for mid in mids)
