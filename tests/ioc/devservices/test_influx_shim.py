"""The v2-write shim in front of the real InfluxDB 1.6, driven by influxdb-client."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import urllib3
from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from ioc.devservices import InfluxDB, InfluxShim, free_port
from ioc.devservices.influx_shim import ShimError, map_v2_write

pytestmark = pytest.mark.services


def write(url: str, bucket: str, record: str, precision: str, *, gzip: bool = False) -> None:
    with InfluxDBClient(url=url, token="x", org="ioc", enable_gzip=gzip) as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            bucket=bucket, record=record, write_precision=precision
        )


def rows(influxdb: InfluxDB, db: str, q: str = "SELECT * FROM m") -> list[list[object]]:
    result = influxdb.query(q, db, epoch="ms")
    series = result["results"][0].get("series", [])
    return [row for s in series for row in s["values"]]


def test_write_through_the_shim_is_readable_with_influxql(
    influxdb: InfluxDB, influx_db: str
) -> None:
    write(influxdb.url, influx_db, "m,t=a v=1 1000", "ms")
    assert rows(influxdb, influx_db) == [[1000, "a", 1]]


def test_gzip_write_is_passed_through(influxdb: InfluxDB, influx_db: str) -> None:
    write(influxdb.url, influx_db, "m,t=a v=2 2000", "ms", gzip=True)
    assert rows(influxdb, influx_db) == [[2000, "a", 2]]


@pytest.mark.parametrize(
    ("precision", "stamp"),
    [
        (WritePrecision.S, "1593565200"),
        (WritePrecision.MS, "1593565200000"),
        (WritePrecision.US, "1593565200000000"),
        (WritePrecision.NS, "1593565200000000000"),
    ],
)
def test_precision_is_honoured(
    influxdb: InfluxDB, influx_db: str, precision: str, stamp: str
) -> None:
    write(influxdb.url, influx_db, f"m v=1 {stamp}", precision)
    result = influxdb.query("SELECT v FROM m", influx_db)  # RFC 3339 times
    assert result["results"][0]["series"][0]["values"] == [["2020-07-01T01:00:00Z", 1]]


def test_bucket_may_name_the_retention_policy(influxdb: InfluxDB, influx_db: str) -> None:
    write(influxdb.url, f"{influx_db}/autogen", "m v=3 3000", "ms")
    assert rows(influxdb, influx_db, 'SELECT v FROM "autogen"."m"') == [[3000, 3]]


def test_engine_errors_come_back_unchanged(influxdb: InfluxDB) -> None:
    with pytest.raises(ApiException) as caught:
        write(influxdb.url, "no_such_db", "m v=1 1", "ms")
    assert caught.value.status == 404
    assert "database not found" in str(caught.value.body)


def test_other_paths_are_forwarded(influxdb: InfluxDB, influx_db: str) -> None:
    write(influxdb.url, influx_db, "m v=4 4000", "ms")
    http = urllib3.PoolManager()
    ping = http.request("GET", f"{influxdb.url}/ping")
    assert ping.status == 204
    assert ping.headers["X-Influxdb-Version"].startswith("1.6")
    query = http.request(
        "GET",
        f"{influxdb.url}/query",
        fields={"db": influx_db, "q": "SELECT v FROM m", "epoch": "ms"},
        headers={"Accept-Encoding": "gzip"},
        decode_content=False,
    )
    assert query.status == 200
    assert query.headers["Content-Encoding"] == "gzip"  # the engine's gzip, untouched
    assert b'"values":[[4000,4]]' in gzip.decompress(query.data)


def test_v2_query_string_mapping() -> None:
    assert map_v2_write("org=ioc&bucket=ioc&precision=ns") == "db=ioc&precision=n"
    assert map_v2_write("bucket=ioc%2Fweek&precision=us") == "db=ioc&rp=week&precision=u"
    assert map_v2_write("bucket=ioc&precision=s") == "db=ioc&precision=s"
    assert map_v2_write("bucket=ioc") == "db=ioc"
    with pytest.raises(ShimError, match="empty database"):
        map_v2_write("bucket=%2Fautogen")
    with pytest.raises(ShimError, match="invalid precision"):
        map_v2_write("bucket=ioc&precision=h")


def test_bad_requests_are_answered_like_influxdb_1_8(influxdb: InfluxDB) -> None:
    http = urllib3.PoolManager()
    no_bucket = http.request("POST", f"{influxdb.url}/api/v2/write?org=ioc", body=b"m v=1")
    assert no_bucket.status == 404
    bad = http.request("POST", f"{influxdb.url}/api/v2/write?bucket=x&precision=m", body=b"m v=1")
    assert bad.status == 400
    assert b"invalid precision" in bad.data


def test_503_while_the_engine_is_down_then_back_with_data(tmp_path: Path) -> None:
    with InfluxDB(tmp_path) as influxdb:
        influxdb.create_database("ioc")
        write(influxdb.url, "ioc", "m v=1 1000", "ms")
        url, engine_url = influxdb.url, influxdb.engine_url

        influxdb.stop()
        with pytest.raises(ApiException) as caught:
            write(influxdb.url, "ioc", "m v=2 2000", "ms")
        assert caught.value.status == 503
        ping = urllib3.PoolManager().request("GET", f"{url}/ping", retries=False)
        assert ping.status == 503
        assert ping.headers["Content-Type"].startswith("application/json")

        influxdb.start()
        assert (influxdb.url, influxdb.engine_url) == (url, engine_url)
        write(influxdb.url, "ioc", "m v=3 3000", "ms")
        assert rows(influxdb, "ioc") == [[1000, 1], [3000, 3]]


def test_shim_without_engine_answers_503_and_close_releases_everything() -> None:
    shim = InfluxShim("127.0.0.1", free_port())  # nothing listens there
    shim.start()
    http = urllib3.PoolManager(retries=False)
    down = http.request("GET", f"{shim.url}/health")
    assert down.status == 503
    assert json.loads(down.data)["code"] == "service_unavailable"
    shim.close()
    with pytest.raises(urllib3.exceptions.HTTPError):
        http.request("GET", f"{shim.url}/ping")  # the kept-alive connection was cut too
