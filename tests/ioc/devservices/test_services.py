"""DevServices: all three together, stopped on exit even after an error."""

from __future__ import annotations

import os
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import redis
import urllib3

from ioc.devservices import DevServices

pytestmark = pytest.mark.services


def alive(pid: int) -> bool:
    """True unless the process is gone or a zombie (nobody may reap orphans in a container)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_all_three_run_and_are_stopped_after_an_error() -> None:
    with pytest.raises(RuntimeError, match="boom"), DevServices() as services:
        pids = [s.pid for s in (services.mosquitto, services.influxdb, services.redis)]
        workdir = services.workdir
        env = services.env(database="ioc")
        assert env["IOC_MQTT_URL"] == services.mosquitto.url
        assert env["IOC_INFLUX_URL"] == services.influxdb.url
        assert env["IOC_INFLUX_BUCKET"] == "ioc"
        assert env["IOC_REDIS_URL"] == services.redis.url

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        client.connect("127.0.0.1", services.mosquitto.port)
        client.disconnect()
        assert urllib3.PoolManager().request("GET", f"{services.influxdb.url}/ping").status == 204
        with redis.Redis.from_url(services.redis.url) as r:
            assert r.ping()
        raise RuntimeError("boom")
    assert all(pid is not None and not alive(pid) for pid in pids)
    assert not workdir.exists()


def test_given_workdir_is_kept(tmp_path: Path) -> None:
    with DevServices(tmp_path) as services:
        assert services.workdir == tmp_path
    assert (tmp_path / "influxdb" / "influxd.log").exists()
    assert os.listdir(tmp_path / "mosquitto" / "data") == ["mosquitto.db"]
