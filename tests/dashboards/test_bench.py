"""`ioc bench history` as a user runs it (tiny: the contract of its output, not its figures)."""

import os
import subprocess
import sys

import orjson
import pytest

from dashboards import bench
from ioc.model import NS_PER_S
from ioc.storage.base import TimeRange
from ioc.storage.influx import InfluxStorage
from tests.ioc.storage.test_rollups import DAY, T0, assert_same


@pytest.mark.services
def test_bench_history_prints_a_table_and_ends_with_one_json_line():
    args = ["--sources", "8", "--days", "3", "--raw-days", "1", "--repeat", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "ioc.cli", "bench", "history", *args, "--backend", "sqlite",
         "--no-browser"],
        env={**os.environ, "IOC_INFLUX_URL": ""}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    result = orjson.loads(lines[-1])
    assert result["sources"] == 8 and result["days"] == 3
    p95 = result["p95_ms"]["sqlite"]
    assert {"history_24h", "by_district_24h", "records_24h", "page_24h", "latest"} <= set(p95)
    assert all(value >= 0 for value in p95.values())
    assert any(line.startswith("history_24h") and "sqlite" in line for line in lines)


@pytest.mark.services
def test_the_bench_tiers_written_as_lines_equal_the_raw_aggregation(influxdb, influx_db):
    """The InfluxDB load writes the tiers (per source and merged over sources) from its own
    generator: the charts it then times show what raw points give."""
    storage = InfluxStorage(influxdb.url, "test", "ioc", influx_db)
    srcs = bench.sources(60)  # 1 or 2 sources of a kind per district
    now_ns = T0 + 2 * DAY + 1234 * NS_PER_S
    writer = bench._engine_writer(influxdb, influx_db)
    bench.load(storage, srcs, now_ns, 2, 2, 60, lambda line: None, "test", writer)
    end = now_ns - now_ns % (3600 * NS_PER_S)
    station = srcs[4].name
    cases = [  # (field, where, group, buckets): merged tiers unless `source` is named
        ("pm25", {"kind": "air"}, "district", 300),
        ("level_cm", {"kind": "water"}, "district", 48),
        ("temp_c", None, "district", 20),
        ("pm25", {"source": station}, "source", 300),
    ]
    try:
        for span in (TimeRange(end - DAY, end), TimeRange(end - 2 * DAY + 777, end - 7)):
            for field, where, group, buckets in cases:
                args = dict(where=where, group_by=[group], max_buckets=buckets)
                for aggregate in ("mean", "max", "count"):
                    rolled = storage.history("sensor", field, span, aggregate=aggregate, **args)
                    raw = storage.history(
                        "sensor", field, span, aggregate=aggregate, rollups=False, **args
                    )
                    assert_same(rolled, raw)
    finally:
        storage.close()
