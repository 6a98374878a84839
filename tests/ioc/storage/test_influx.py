"""InfluxStorage against the real InfluxDB engine (1.6 behind the v2-write shim)."""

import pandas as pd
import pytest

from ioc.errors import StorageRejected, StorageUnavailable
from ioc.model import NS_PER_S, Reading
from ioc.storage.base import TimeRange
from ioc.storage.influx import InfluxStorage

pytestmark = pytest.mark.services

T0 = 1_593_565_200 * NS_PER_S  # 2020-07-01T01:00:00Z


@pytest.fixture
def storage(influxdb, influx_db):
    storage = InfluxStorage(influxdb.url, token="test", org="ioc", bucket=influx_db)
    yield storage
    storage.close()


def air(source, district, t_s, pm25):
    return Reading(
        "sensor",
        T0 + t_s * NS_PER_S,
        {"district": district, "source": source, "kind": "air"},
        {"pm25": pm25},
    )


def test_write_then_history_bucketed_by_district(storage):
    readings = [air("a1", "hoa-an", t, 10.0 + t) for t in range(0, 120, 10)]
    readings += [air("b1", "bao-lac", t, 100.0) for t in range(0, 120, 10)]
    storage.write(readings)
    history = storage.history(
        "sensor", "pm25", TimeRange(T0, T0 + 120 * NS_PER_S), group_by=["district"], max_buckets=2
    )
    assert set(history.columns) >= {"time", "district", "value"}
    hoa_an = history[history["district"] == "hoa-an"].sort_values("time")
    assert list(hoa_an["value"]) == [35.0, 95.0]  # means of 10..60 and 70..120 step 10
    assert history["time"].dt.tz is not None
    assert (history[history["district"] == "bao-lac"]["value"] == 100.0).all()


def test_writes_are_idempotent_and_count(storage):
    readings = [air("a1", "hoa-an", t, 1.0) for t in range(50)]
    storage.write(readings)
    storage.write(readings)
    span = TimeRange(T0, T0 + 3600 * NS_PER_S)
    assert storage.count("sensor", "pm25", span) == 50
    assert storage.count("sensor", "pm25", span, where={"district": "bao-lac"}) == 0


def test_latest_per_source_and_records(storage):
    storage.write([air("a1", "hoa-an", t, float(t)) for t in range(5)])
    storage.write([air("b1", "bao-lac", t, 100.0 + t) for t in range(3)])
    latest = storage.latest("sensor").set_index("source")
    assert latest.loc["a1", "pm25"] == 4.0
    assert latest.loc["b1", "pm25"] == 102.0
    assert latest.loc["b1", "time"] == pd.Timestamp(T0 + 2 * NS_PER_S, unit="ns", tz="UTC")
    records = storage.records("sensor", TimeRange(T0, T0 + 60 * NS_PER_S), limit=3)
    assert list(records["pm25"])[:2] == [4.0, 3.0]  # newest first
    assert list(records["time"]) == sorted(records["time"], reverse=True)
    assert len(records) == 3


def test_tag_values_cannot_inject(storage):
    storage.write([air("a1", "hoa-an", 0, 1.0)])
    span = TimeRange(T0, T0 + 60 * NS_PER_S)
    sneaky = "x' OR district = 'hoa-an"
    assert storage.count("sensor", "pm25", span, where={"district": sneaky}) == 0
    assert storage.count("sensor", "pm25", span, where={"district": "hoa-an"}) == 1


def test_field_type_conflict_is_rejected_not_retried(storage):
    storage.write([air("a1", "hoa-an", 0, 1.0)])
    bad = Reading("sensor", T0 + NS_PER_S, {"district": "hoa-an", "source": "a1"}, {"pm25": "x"})
    with pytest.raises(StorageRejected):
        storage.write([bad])


def test_unreachable_is_unavailable():
    storage = InfluxStorage(
        "http://127.0.0.1:9", token="t", org="ioc", bucket="ioc", timeout_ms=500
    )
    with pytest.raises(StorageUnavailable):
        storage.write([air("a1", "hoa-an", 0, 1.0)])
    with pytest.raises(StorageUnavailable):
        storage.ping()
