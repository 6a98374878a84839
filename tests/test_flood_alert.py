"""Issue 3 end to end, through real MQTT: the `flood` scenario raises a water alert that shows in
`ioc alerts --json` and the live state, is acknowledged with a comment from the command line,
clears when the water falls, and the audit trail in InfluxDB shows all three steps."""

import dataclasses
import os
import subprocess
import sys

import orjson
import pytest

from collectors.collector import Collector
from ioc.alerts.rules import RULES
from ioc.devservices import wait_until
from ioc.engine import Engine
from ioc.engine.runner import KpiRunner
from ioc.live.redis import RedisLiveState
from ioc.sources import gauge_levels, load_sources
from ioc.storage.base import TimeRange
from ioc.storage.influx import InfluxStorage
from simulators.publisher import SimConfig
from tests.helpers import Background, settings_from_env

pytestmark = pytest.mark.services

GAUGE = "water-bang-giang-cao-bang"  # the flood scenario's default gauge (Bằng Giang, the city)


@pytest.fixture
def env(mosquitto, influxdb, influx_db, redis_url, tmp_path):
    return {
        "IOC_DATA_DIR": str(tmp_path / "data"),  # the audit trail of `ioc alerts ack`
        "IOC_MQTT_URL": mosquitto.url,
        "IOC_INFLUX_URL": influxdb.url,
        "IOC_INFLUX_TOKEN": "test",
        "IOC_INFLUX_BUCKET": influx_db,
        "IOC_REDIS_URL": redis_url,
        # The flood plays faster than the clock (hours of simulated time in seconds).
        "IOC_MAX_FUTURE_S": "86400",
    }


def ioc(env, *args):
    completed = subprocess.run(
        [sys.executable, "-m", "ioc.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def water_alerts(env):
    alerts = orjson.loads(ioc(env, "alerts", "--json").splitlines()[-1])["alerts"]
    return [a for a in alerts if a["rule"].startswith("water.") and GAUGE in a["scope"]]


def test_flood_raises_acknowledges_and_clears_a_water_alert(env):
    settings = settings_from_env(env)
    storage = InfluxStorage(settings.influx_url, "test", "ioc", settings.influx_bucket)
    live = RedisLiveState(settings.redis_url)
    # The built-in rules wait 120 s before raising; a test run cannot, so 1 s here.
    rules = [
        dataclasses.replace(r, min_duration_s=1) if r.id.startswith("water.") else r
        for r in RULES.values()
    ]
    engine_storage = InfluxStorage(settings.influx_url, "test", "ioc", settings.influx_bucket)
    engine_live = RedisLiveState(settings.redis_url)
    gauges = gauge_levels(load_sources())
    runner = KpiRunner(engine_live, engine_storage, gauges=gauges, rules=rules)
    engine = Engine(settings, engine_storage, engine_live, runner=runner).start()
    assert engine.wait_rebuilt(30)
    collector = Collector(settings, storage, live)
    collector.start()
    assert collector.transport.wait_connected(10)
    try:
        config = SimConfig(
            mqtt_url=settings.mqtt_url, scenario="flood", seed=3, count=3000, rate=100
        )
        simulation = Background(config).start()

        raised = wait_until(
            lambda: [a for a in water_alerts(env) if a["state"] == "active"],
            timeout=60,
            interval=0.2,
            message="no water alert raised",
        )
        alert = raised[0]
        assert alert["alert_id"] in {a["alert_id"] for a in live.alerts()}
        out = ioc(
            env,
            "alerts",
            "ack",
            alert["alert_id"],
            "--by",
            "Nông Văn Lâm",
            "--comment",
            "Đã báo Ban chỉ huy PCTT thành phố",
        )
        assert "acknowledged" in out
        acked = [a for a in water_alerts(env) if a["alert_id"] == alert["alert_id"]]
        assert acked[0]["acked_by"] == "Nông Văn Lâm"
        assert acked[0]["ack_comment"] == "Đã báo Ban chỉ huy PCTT thành phố"
        (entry,) = orjson.loads(ioc(env, "audit", "--json", "--action", "ack"))["audit"]
        assert entry["actor"].startswith("cli") and entry["target"] == alert["alert_id"]
        assert entry["detail"]["by"] == "Nông Văn Lâm"

        wait_until(
            lambda: any(
                a["alert_id"] == alert["alert_id"] and a["state"] == "cleared"
                for a in live.alerts()
            ),
            timeout=90,
            interval=0.2,
            message="the water alert never cleared",
        )
        simulation.result()
        # cleared alerts leave `ioc alerts`, which lists what needs attention
        assert alert["alert_id"] not in {a["alert_id"] for a in water_alerts(env)}
        everything = TimeRange(0, 2**62)
        trail = storage.records("alert", everything, where={"rule": alert["rule"]})
        trail = trail[trail["alert_id"] == alert["alert_id"]].sort_values("time")
        assert list(trail["state"]) == ["active", "acknowledged", "cleared"]
        assert list(trail["by"])[1] == "Nông Văn Lâm"
    finally:
        collector.stop()
        engine.stop()
        for client in (storage, live, engine_storage, engine_live):
            client.close()
