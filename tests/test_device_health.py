"""Device health end to end, through real MQTT: a source that falls silent is offline within
three expected intervals; its Last Will makes it offline at once; speaking again brings it back.
The KPI engine's clock is the test's (so three minutes of silence take no time); everything else
— broker, collector, InfluxDB, Redis, the Last Will itself — is real."""

import subprocess
import sys
import textwrap

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collectors.collector import Collector
from ioc.alerts.rules import RULES
from ioc.devservices import wait_until
from ioc.engine import Engine
from ioc.engine.runner import KpiRunner
from ioc.feeds import FEEDS
from ioc.live.redis import RedisLiveState
from ioc.sources import gauge_levels, load_sources
from ioc.storage.influx import InfluxStorage
from tests.helpers import settings_from_env

pytestmark = pytest.mark.services

T0_MS = 1_790_000_000_000
INTERVAL_MS = int(FEEDS["sensor"].expected_interval_s * 1000)


class Clock:
    def __init__(self, now_ms):
        self.now_ms = now_ms

    def __call__(self):
        return self.now_ms


@pytest.fixture
def stack(mosquitto, influxdb, influx_db, redis_url):
    settings = settings_from_env(
        {
            "IOC_MQTT_URL": mosquitto.url,
            "IOC_INFLUX_URL": influxdb.url,
            "IOC_INFLUX_BUCKET": influx_db,
            "IOC_REDIS_URL": redis_url,
            "IOC_KPI_INTERVAL_MS": "100",
        }
    )
    storage = InfluxStorage(settings.influx_url, "t", "ioc", settings.influx_bucket)
    live = RedisLiveState(settings.redis_url)
    engine_storage = InfluxStorage(settings.influx_url, "t", "ioc", settings.influx_bucket)
    engine_live = RedisLiveState(settings.redis_url)
    clock = Clock(T0_MS)
    gauges = gauge_levels(load_sources())
    runner = KpiRunner(
        engine_live, engine_storage, gauges=gauges, rules=RULES.values(), clock=clock
    )
    engine = Engine(settings, engine_storage, engine_live, runner=runner, clock=clock).start()
    assert engine.wait_rebuilt(30)
    collector = Collector(settings, storage, live)
    collector.start()
    assert collector.transport.wait_connected(10)
    yield mosquitto, live, clock, collector
    collector.stop()
    engine.stop()
    for client in (storage, live, engine_storage, engine_live):
        client.close()


def publish_air(port, source, ts_ms):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    payload = orjson.dumps({"ts": ts_ms, "kind": "air", "values": {"pm25": 20.0}})
    client.publish(f"ioc/sensor/hoa-an/{source}", payload, qos=1).wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


def online(live, source):
    """devices.online for `source` as the wall screen sees it: 1.0, 0.0 or None (not known)."""
    _, values = live.kpis()
    for value in values:
        if value["id"] == "devices.online" and value["scope"] == f"source:{source}":
            return value["value"], value.get("reason")
    return None


def offline_alert(live, source):
    return [
        a
        for a in live.alerts()
        if a["rule"] == "device.offline"
        and a["scope"] == f"source:{source}"
        and a["state"] == "active"
    ]


def test_silence_longer_than_three_intervals_is_offline_and_speaking_again_is_online(stack):
    mosquitto, live, clock, _ = stack
    publish_air(mosquitto.port, "air-quiet", T0_MS)
    wait_until(
        lambda: online(live, "air-quiet") == (1.0, None),
        timeout=10,
        message="source never shown online",
    )
    clock.now_ms = T0_MS + 3 * INTERVAL_MS  # exactly three intervals: still online
    wait_until(lambda: live.kpis()[0] >= clock.now_ms, timeout=5, message="no tick")
    assert online(live, "air-quiet")[0] == 1.0
    clock.now_ms = T0_MS + 3 * INTERVAL_MS + 1000
    wait_until(
        lambda: online(live, "air-quiet") and online(live, "air-quiet")[0] == 0.0,
        timeout=5,
        message="silent source not shown offline",
    )
    wait_until(lambda: offline_alert(live, "air-quiet"), timeout=5, message="no offline alert")
    publish_air(mosquitto.port, "air-quiet", clock.now_ms)
    wait_until(
        lambda: online(live, "air-quiet") == (1.0, None),
        timeout=10,
        message="source did not come back online",
    )


DEVICE = textwrap.dedent("""
    import sys, time
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    port, source = int(sys.argv[1]), sys.argv[2]
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=source, protocol=mqtt.MQTTv5)
    client.will_set(f"ioc/status/{source}", b"offline", qos=1, retain=True)
    client.connect("127.0.0.1", port, keepalive=5)
    client.loop_start()
    client.publish(f"ioc/status/{source}", b"online", qos=1, retain=True).wait_for_publish(10)
    print("up", flush=True)
    time.sleep(600)
""")


def test_last_will_makes_a_device_offline_at_once(stack):
    mosquitto, live, clock, _ = stack
    device = subprocess.Popen(
        [sys.executable, "-c", DEVICE, str(mosquitto.port), "cam-gate-2"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert device.stdout.readline().strip() == "up"
        publish_air(mosquitto.port, "cam-gate-2", T0_MS)  # it has spoken: now a known source
        wait_until(
            lambda: online(live, "cam-gate-2") == (1.0, None),
            timeout=10,
            message="device never online",
        )
        device.kill()  # no DISCONNECT: the broker publishes the Last Will
        device.wait(10)
        # the clock does not move: offline because of the will, not of silence
        wait_until(
            lambda: online(live, "cam-gate-2") and online(live, "cam-gate-2")[0] == 0.0,
            timeout=10,
            message="Last Will did not make the device offline",
        )
        assert online(live, "cam-gate-2")[1] == "last_will"
        assert clock.now_ms == T0_MS
    finally:
        if device.poll() is None:
            device.kill()
        device.stdout.close()
