"""`ioc bench history` as a user runs it (tiny: the contract of its output, not its figures)."""

import os
import subprocess
import sys

import orjson
import pytest


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
