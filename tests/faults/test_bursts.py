"""Bursts of bad input through the real broker and collector: every message dead-lettered,
counters exact, memory flat with oversize payloads and 60 KB topics.
(CI: FAULTS_BURST=20000; the issue's 200,000: see tests/faults/README.md.)"""

from __future__ import annotations

import time

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
from tests.faults.support import seconds
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
        infos = [sender.publish("ioc/sensor/hoa-an/burst", b"{not json", qos=1) for _ in range(n)]
        infos += [sender.publish("ioc/sensor/hoa-an/big", big, qos=1) for _ in range(oversize)]
        infos += [sender.publish(long_topic, b"{}", qos=1) for _ in range(long_topics)]
        for info in infos[-10:]:
            info.wait_for_publish(60)
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
