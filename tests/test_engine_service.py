"""`ioc engine` as its own process on the real services: killed with SIGKILL mid-run and started
again, it has the same KPIs and open alerts as before (rebuilt from storage; the alert states
from the live state), and what was stored while it was down is folded once it is back — an
alert it raises included. A collector runs beside it, as in docker-compose.yml."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collectors.collector import Collector
from ioc.alerts.rules import DEFAULT_RULES
from ioc.devservices import wait_until
from ioc.live.redis import RedisLiveState
from ioc.storage.influx import InfluxStorage
from simulators.publisher import SimConfig, run_simulation
from tests.helpers import settings_from_env

pytestmark = pytest.mark.services

RULES = ("water.bd2", "water.bd3", "border.queue_long")
OPEN = ("active", "acknowledged")
GAUGE = "water-bang-giang-cao-bang"  # BĐ1-3 600/750/900 cm in the source catalogue


def toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)  # strings, numbers, lists of strings


def write_rules(path: Path) -> Path:
    """The built-in water and border rules, raising at once (min_duration_s 0)."""
    lines = []
    for rule in DEFAULT_RULES:
        if rule["id"] in RULES:
            lines.append("[[rule]]")
            lines += [f"{k} = {toml_value(v)}" for k, v in {**rule, "min_duration_s": 0}.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def env(mosquitto, influxdb, influx_db, redis_url, tmp_path):
    return {
        "IOC_MQTT_URL": mosquitto.url,
        "IOC_MQTT_CLIENT_ID": "engine-test-collector",
        "IOC_INFLUX_URL": influxdb.url,
        "IOC_INFLUX_TOKEN": "test",
        "IOC_INFLUX_BUCKET": influx_db,
        "IOC_REDIS_URL": redis_url,
        "IOC_ALERT_RULES_FILE": str(write_rules(tmp_path / "rules.toml")),
        "IOC_KPI_INTERVAL_MS": "250",
        "IOC_BATCH_WAIT_MS": "20",
        "IOC_DATA_DIR": str(tmp_path / "data"),
        "IOC_LOG_LEVEL": "INFO",
    }


@pytest.fixture
def collector(env) -> Iterator[Collector]:
    settings = settings_from_env(env)
    storage = InfluxStorage(settings.influx_url, "test", "ioc", settings.influx_bucket)
    live = RedisLiveState(settings.redis_url)
    collector = Collector(settings, storage, live)
    collector.start()
    assert collector.transport.wait_connected(10)
    yield collector
    collector.stop()
    storage.close()
    live.close()


class EngineProcess:
    """`ioc engine` in a child process, its log in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = {**os.environ, **env}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, live: RedisLiveState) -> None:
        started_ms = time.time_ns() // 1_000_000
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ioc.cli", "engine"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

        def rebuilt() -> bool:
            beat = live.heartbeats().get("engine")
            return bool(beat and beat["ts"] > started_ms and not beat["rebuilding"])

        wait_until(rebuilt, timeout=60, message=f"no rebuilt engine; log:\n{self.tail()}")
        wait_until(lambda: live.kpis()[0] > started_ms, timeout=10, message="no evaluation")

    def kill(self) -> None:
        assert self.process is not None and self.process.poll() is None, self.tail()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            assert self.process.wait(30) == 0, self.tail()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@pytest.fixture
def engine(env, tmp_path) -> Iterator[EngineProcess]:
    process = EngineProcess(env, tmp_path / "engine.log")
    yield process
    if process.process is not None and process.process.poll() is None:
        process.process.kill()
        process.process.wait(10)


def comparable(values: list[dict]) -> dict[tuple[str, str, str], object]:
    """KPI values without their evaluation time; `feeds.completeness` counts whole minutes up
    to now, so it is left out (it moves with the clock, not with what was stored)."""
    return {
        (v["id"], v["scope"], v["window"]): {k: x for k, x in v.items() if k != "ts"}
        for v in values
        if v["id"] != "feeds.completeness"
    }


def open_alerts(live: RedisLiveState) -> dict[str, tuple[str, str]]:
    return {a["alert_id"]: (a["state"], a["acked_by"]) for a in live.alerts() if a["state"] in OPEN}


def water_values(live: RedisLiveState) -> list[object]:
    return [(v["scope"], v["value"]) for v in live.kpis()[1] if v["id"].startswith("water.")]


def publish(port: int, topic: str, payload: dict) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish(topic, orjson.dumps(payload), qos=1).wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


def test_engine_killed_mid_run_comes_back_with_the_same_kpis_and_alerts_and_what_came_meanwhile(
    env, mosquitto, collector, engine
):
    settings = settings_from_env(env)
    live = RedisLiveState(settings.redis_url)
    try:
        engine.start(live)
        # Twenty-five minutes of the province (in the past: nothing paced, nothing "ahead").
        start = datetime.now(UTC) - timedelta(minutes=25)
        config = SimConfig(
            mqtt_url=settings.mqtt_url, seed=3, count=1500, rate=2000, start=start, max_ahead_s=0
        )
        result = run_simulation(config)
        # Then the city's gauge above BĐ3 (900 cm): water.bd2 and water.bd3.
        flood = {"ts": int(time.time() * 1000), "kind": "water", "values": {"level_cm": 950.0}}
        publish(mosquitto.port, f"ioc/sensor/thanh-pho-cao-bang/{GAUGE}", flood)
        stored = collector.pipeline.stats

        def folded() -> int:
            return int(live.heartbeats()["engine"]["folded"])

        published = sum(result.sent.values()) + 1
        wait_until(lambda: stored.received >= published, timeout=60, message="not all received")
        wait_until(lambda: folded() >= stored.stored_readings, timeout=30, message="not folded")
        water = wait_until(
            lambda: [a for a in live.alerts() if a["rule"].startswith("water.")],
            timeout=30,
            message=f"no water alert raised: {water_values(live)} {live.counters()}",
        )
        first = sorted(water, key=lambda a: a["alert_id"])[0]
        live.request_ack(first["alert_id"], "Nông Văn Lâm", "đã báo", time.time_ns() // 10**6)
        wait_until(
            lambda: open_alerts(live).get(first["alert_id"], ("",))[0] == "acknowledged",
            timeout=10,
            message="acknowledgement not applied",
        )
        before_ts, before = live.kpis()
        before_alerts = open_alerts(live)
        assert len(comparable(before)) > 30 and before_alerts

        engine.kill()  # mid-run: SIGKILL, nothing saved
        engine.start(live)
        after_ts, after = live.kpis()
        assert after_ts > before_ts
        assert comparable(after) == comparable(before)
        assert open_alerts(live) == before_alerts
        assert live.heartbeats()["engine"]["folded"] == 0  # a new process: it rebuilt instead

        # Down again; meanwhile a long queue at the border gate is stored (and nothing folds it).
        engine.kill()
        count = live.counters().get("stored:camera", 0)
        queue = {"ts": int(time.time() * 1000), "site": "ta-lung-border-gate", "queue_m": 900.0}
        publish(mosquitto.port, "ioc/camera/quang-hoa/cam-ta-lung-01", queue)
        wait_until(
            lambda: live.counters().get("stored:camera", 0) > count,
            timeout=20,
            message="the camera reading was not stored",
        )
        engine.start(live)
        raised = wait_until(
            lambda: [
                a for a in live.alerts() if a["rule"] == "border.queue_long" and a["state"] in OPEN
            ],
            timeout=15,
            message="the alert raised while the engine was down never appeared",
        )
        assert raised[0]["value"] == 900.0
        _, values = live.kpis()
        (border,) = [v for v in values if v["id"] == "border.queue_m"]
        assert border["value"] == 900.0
        assert open_alerts(live).items() >= before_alerts.items()  # the old ones kept
        engine.stop()
    finally:
        live.close()
