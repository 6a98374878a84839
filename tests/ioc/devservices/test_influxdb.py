"""The InfluxDB 1.6 engine: loopback ports only, data kept across restarts, helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
import urllib3

from ioc.devservices import DevServiceError, InfluxDB

pytestmark = pytest.mark.services


def test_engine_rpc_and_shim_use_distinct_free_loopback_ports(influxdb: InfluxDB) -> None:
    ports = {influxdb.port, influxdb.rpc_port, influxdb.shim.port}
    assert len(ports) == 3
    assert 8086 not in ports
    assert 8088 not in ports
    assert influxdb.engine_url == f"http://127.0.0.1:{influxdb.port}"
    assert influxdb.url == f"http://127.0.0.1:{influxdb.shim.port}"
    config = influxdb.config_path.read_text()
    assert f'bind-address = "127.0.0.1:{influxdb.rpc_port}"' in config
    assert "reporting-disabled = true" in config


def test_query_and_create_database(influxdb: InfluxDB, influx_db: str) -> None:
    influxdb.create_database(influx_db)  # idempotent
    names = influxdb.query("SHOW DATABASES")["results"][0]["series"][0]["values"]
    assert [influx_db] in names
    bad = influxdb.query("SELECT * FROM nothing_here", "no_such_db")
    assert "error" in bad["results"][0]
    with pytest.raises(DevServiceError, match="HTTP 400"):
        influxdb.query("INSERT m v=1")  # not InfluxQL


def test_restart_keeps_ports_and_data(tmp_path: Path) -> None:
    with InfluxDB(tmp_path) as influxdb:
        influxdb.create_database("ioc")
        written = urllib3.PoolManager().request(
            "POST", f"{influxdb.engine_url}/write?db=ioc&precision=ms", body=b"m v=1 1000"
        )
        assert written.status == 204
        ports = (influxdb.port, influxdb.rpc_port, influxdb.url)
        influxdb.restart()
        assert (influxdb.port, influxdb.rpc_port, influxdb.url) == ports
        result = influxdb.query("SELECT v FROM m", "ioc", epoch="ms")
        assert result["results"][0]["series"][0]["values"] == [[1000, 1]]


def test_kill_then_start_recovers_from_the_wal(tmp_path: Path) -> None:
    with InfluxDB(tmp_path) as influxdb:
        influxdb.create_database("ioc")
        written = urllib3.PoolManager().request(
            "POST", f"{influxdb.engine_url}/write?db=ioc&precision=s", body=b"m v=7 7"
        )
        assert written.status == 204
        influxdb.kill()  # SIGKILL: no shutdown, the point is only in the WAL
        assert not influxdb.running
        influxdb.start()
        result = influxdb.query("SELECT v FROM m", "ioc", epoch="s")
        assert result["results"][0]["series"][0]["values"] == [[7, 7]]


def test_address_before_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DevServiceError, match="not started"):
        _ = InfluxDB(tmp_path).url
