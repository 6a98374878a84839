"""`ioc collect` and `ioc engine` with IOC_METRICS_PORT, on real Mosquitto, InfluxDB and Redis:
after a simulated run (bad messages included) the collector's `/metrics` counts exactly what
was stored and rejected and the engine's what it folded (the same readings); both `/readyz`
turn false when InfluxDB stops and true again when it is back; JSON log lines."""

import os
import signal
import subprocess
import sys

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ioc.devservices import wait_until
from ioc.devservices.ports import free_port
from ioc.storage.influx import InfluxStorage
from simulators.publisher import SimConfig, run_simulation
from tests.helpers import DATA_FEEDS, EVERYTHING, SIM_START, settings_from_env

pytestmark = pytest.mark.services


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics: (name, sorted labels) -> value."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def total(samples, name, **labels):
    return sum(
        v
        for (n, ls), v in samples.items()
        if n == name and all(dict(ls).get(k) == want for k, want in labels.items())
    )


def ready(url: str) -> tuple[int, dict]:
    try:
        response = httpx.get(f"{url}/readyz", timeout=10)
    except httpx.ConnectError:  # not listening yet
        return 0, {}
    return response.status_code, response.json()


def test_metrics_count_what_was_stored_and_rejected_and_readiness_follows_influxdb(
    mosquitto, influxdb, influx_db, redis_url, tmp_path
):
    port, engine_port = free_port(), free_port()
    url, engine_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{engine_port}"
    env = {
        "IOC_MQTT_URL": mosquitto.url,
        "IOC_MQTT_CLIENT_ID": "metrics-collector",
        "IOC_INFLUX_URL": influxdb.url,
        "IOC_INFLUX_TOKEN": "test",
        "IOC_INFLUX_BUCKET": influx_db,
        "IOC_REDIS_URL": redis_url,
        "IOC_METRICS_PORT": str(port),
        "IOC_LOG_FORMAT": "json",
        "IOC_DATA_DIR": str(tmp_path),
    }
    settings = settings_from_env(env)
    log_path, engine_log = tmp_path / "collect.log", tmp_path / "engine.log"
    with open(log_path, "wb") as log, open(engine_log, "wb") as elog:
        process = subprocess.Popen(
            [sys.executable, "-m", "ioc.cli", "collect"],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        engine = subprocess.Popen(
            [sys.executable, "-m", "ioc.cli", "engine"],
            env={**os.environ, **env, "IOC_METRICS_PORT": str(engine_port)},
            stdout=subprocess.DEVNULL,
            stderr=elog,
        )
    storage = InfluxStorage(settings.influx_url, "test", "ioc", settings.influx_bucket)
    try:
        wait_until(lambda: ready(url)[0] == 200, timeout=30, message="collector never ready")
        wait_until(lambda: ready(engine_url)[0] == 200, timeout=30, message="engine never ready")
        assert httpx.get(f"{url}/healthz", timeout=5).text == "ok\n"
        result = run_simulation(
            SimConfig(
                mqtt_url=settings.mqtt_url,
                start=SIM_START,
                rate=3000,
                seed=11,
                count=3000,
                bad_ratio=0.05,
            )
        )
        sent = sum(result.sent.values()) + result.bad
        wait_until(
            lambda: total(scrape(url), "ioc_messages_received_total") == sent,
            timeout=60,
            message="the collector did not count every message",
        )
        samples = scrape(url)
        assert total(samples, "ioc_messages_rejected_total") == result.bad > 50
        for feed in DATA_FEEDS:
            stored = storage.count(
                feed, "ticket_id" if feed == "servicedesk" else _field(feed), EVERYTHING
            )
            assert total(samples, "ioc_readings_stored_total", measurement=feed) >= stored > 0
            # every valid message of the feed was stored (bad ones are counted as rejected)
            assert total(samples, "ioc_messages_stored_total", feed=feed) == result.sent[feed]
            assert total(samples, "ioc_messages_received_total", feed=feed) == (
                result.sent[feed] + total(samples, "ioc_messages_rejected_total", feed=feed)
            )
        reasons = {dict(ls)["reason"] for (n, ls) in samples if n == "ioc_messages_rejected_total"}
        assert len(reasons) >= 5
        assert total(samples, "ioc_deadletters_published_total") == result.bad
        assert total(samples, "ioc_deadletters_dropped_total") == 0
        assert total(samples, "ioc_batch_size_messages_count") >= 1
        assert total(samples, "ioc_storage_write_seconds_count") >= 1
        assert total(samples, "process_resident_memory_bytes") > 0
        assert total(samples, "ioc_inbox_messages") == 0
        stored = total(samples, "ioc_readings_stored_total")
        wait_until(
            lambda: total(scrape(engine_url), "ioc_engine_readings_folded_total") == stored,
            timeout=60,
            message="the engine did not fold what the collector stored",
        )
        engine_samples = scrape(engine_url)
        assert total(engine_samples, "ioc_engine_rebuilds_total") >= 1
        assert total(engine_samples, "ioc_kpi_evaluation_seconds_count") >= 1
        assert total(engine_samples, "process_resident_memory_bytes") > 0

        influxdb.stop()
        try:
            _, body = wait_until(
                lambda: (r := ready(url))[0] == 503 and r,
                timeout=30,
                message="still ready with InfluxDB stopped",
            )
            assert body["ready"] is False
            assert body["checks"]["storage"]["ok"] is False
            assert body["checks"]["broker"]["ok"] and body["checks"]["live_state"]["ok"]
            assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200  # alive all along
            _, engine_body = wait_until(
                lambda: (r := ready(engine_url))[0] == 503 and r,
                timeout=30,
                message="the engine still ready with InfluxDB stopped",
            )
            assert engine_body["checks"]["storage"]["ok"] is False
            assert engine_body["checks"]["live_state"]["ok"] is True
        finally:
            influxdb.start()
        wait_until(lambda: ready(url)[0] == 200, timeout=30, message="not ready again")
        wait_until(lambda: ready(engine_url)[0] == 200, timeout=30, message="engine not ready")
        for child in (process, engine):
            child.send_signal(signal.SIGTERM)
            assert child.wait(30) == 0
    finally:
        for child in (process, engine):
            if child.poll() is None:
                child.kill()
                child.wait()
        storage.close()
    lines = [orjson.loads(line) for line in log_path.read_bytes().splitlines() if line.strip()]
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    messages = [line["message"] for line in lines]
    assert any(m.startswith("connected to MQTT") for m in messages)
    assert messages[-1] == "stopped"
    engine_lines = [orjson.loads(line) for line in engine_log.read_bytes().splitlines() if line]
    assert engine_lines[-1]["message"] == "stopped"
    assert any(line["message"].startswith("rebuilt from storage") for line in engine_lines)


def _field(feed: str) -> str:
    """A field many stored readings of the feed carry (security: the inventories, sent first)."""
    special = {
        "sensor": "pm25",
        "camera": "occupancy_pct",
        "security": "endpoints_total",
        "portal": "up",
    }
    return special[feed]
