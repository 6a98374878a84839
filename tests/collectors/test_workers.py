"""`ioc collect --workers N`: real worker processes (`ioc collect`) on one $share group against
the real Mosquitto, InfluxDB and Redis, with the KPI engine: every message stored exactly once
(points counted per source), folded once, a killed worker restarted, all stopped on SIGTERM."""

from __future__ import annotations

import os
import signal
import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collectors.bench import T0_MS, sensor_message
from collectors.workers import Supervisor, worker_env, worker_url
from ioc.devservices import wait_until
from ioc.live.redis import RedisLiveState
from ioc.model import NS_PER_MS
from ioc.storage.base import TimeRange
from ioc.storage.influx import InfluxStorage
from tests.helpers import EngineThread, settings_from_env

SOURCES = 50  # sensor_message(i) comes from source i % 50


def test_each_worker_signs_in_as_its_own_user_and_client_id():
    assert worker_url("mqtt://collector:s3cr%40t@broker:1883", 2) == (
        "mqtt://collector-2:s3cr%40t@broker:1883"
    )
    assert worker_url("mqtts://broker", 1) == "mqtts://broker"  # no user: only the client id
    settings = settings_from_env(
        {"IOC_MQTT_URL": "mqtt://collector:pw@b:1883", "IOC_METRICS_PORT": "9100"}
    )
    assert worker_env(settings, 3) == {
        "IOC_MQTT_CLIENT_ID": "ioc-collector-3",
        "IOC_MQTT_URL": "mqtt://collector-3:pw@b:1883",
        "IOC_MQTT_SHARE_GROUP": "collectors",
        "IOC_METRICS_PORT": "9102",
    }


def _publish(port: int, first: int, count: int) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        infos = [client.publish(*sensor_message(i), qos=1) for i in range(first, first + count)]
        for info in infos:
            info.wait_for_publish(60)
    finally:
        client.loop_stop()
        client.disconnect()


@pytest.mark.services
def test_two_workers_store_every_message_once_and_the_engine_folds_each_once(
    mosquitto, influxdb, influx_db, redis_url
):
    env = {
        "IOC_MQTT_URL": mosquitto.url,
        "IOC_MQTT_CLIENT_ID": "ioc-worker",
        "IOC_INFLUX_URL": influxdb.url,
        "IOC_INFLUX_TOKEN": "t",
        "IOC_INFLUX_BUCKET": influx_db,
        "IOC_REDIS_URL": redis_url,
        "IOC_METRICS_PORT": "",
    }
    settings = settings_from_env(env)
    storage = InfluxStorage(influxdb.url, "t", "ioc", influx_db)
    live = RedisLiveState(redis_url)
    supervisor = Supervisor(settings, 2, base_env={**os.environ, **env})
    thread = threading.Thread(target=supervisor.run, daemon=True)
    n = 4000
    try:
        with EngineThread(settings, storage, live) as engine:
            thread.start()
            components = ("collector:ioc-worker-1", "collector:ioc-worker-2")

            def subscribed() -> bool:
                beats = live.heartbeats()
                return all(beats.get(c, {}).get("connected") for c in components)

            wait_until(subscribed, timeout=60, interval=0.2, message="workers not subscribed")
            _publish(mosquitto.port, 0, n // 2)
            # Each message went to exactly one worker, and both had a share.
            wait_until(
                lambda: sum(live.heartbeats()[c]["received"] for c in components) >= n // 2,
                timeout=60,
                interval=0.2,
                message="the workers did not receive the first half",
            )
            shares = [live.heartbeats()[c]["received"] for c in components]
            assert sum(shares) == n // 2 and min(shares) > 0.2 * n // 2, shares
            assert live.counters()["received:sensor"] == n // 2
            # A worker killed mid-stream: the supervisor starts it again, its session resumes.
            killed = supervisor.workers[0].process
            assert killed is not None
            os.kill(killed.pid, signal.SIGKILL)
            _publish(mosquitto.port, n // 2, n // 2)
            wait_until(
                lambda: supervisor.workers[0].process not in (None, killed),
                timeout=30,
                message="the killed worker was not restarted",
            )
            span = TimeRange(T0_MS * NS_PER_MS, (T0_MS + n * 1000 + 1) * NS_PER_MS)
            wait_until(
                lambda: storage.count("sensor", "pm25", span) >= n,
                timeout=120,
                interval=0.5,
                message=f"stored {storage.count('sensor', 'pm25', span)} of {n}",
            )
            frame = storage.records("sensor", span, limit=10 * n)
            per_source = frame.groupby("source").size().to_dict()
            assert per_source == {f"cb-air-station-{s:02d}": n // SOURCES for s in range(SOURCES)}
            assert len(frame) == n  # exactly once: no point twice, none missing
            wait_until(
                lambda: engine.stats.folded >= n,
                timeout=60,
                message=f"the engine folded {engine.stats.folded} of {n}",
            )
            assert engine.stats.folded == n  # redeliveries after the kill: filtered, not folded
            beats = live.heartbeats()
            assert all(c in beats for c in components)
    finally:
        supervisor.stop()
        thread.join(60)
        storage.close()
        live.close()
    assert not thread.is_alive()
    for worker in supervisor.workers:  # SIGTERM reached every worker and each exited
        assert worker.process is None or worker.process.poll() is not None
