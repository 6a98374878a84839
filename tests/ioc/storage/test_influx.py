"""What only InfluxStorage does; the shared behaviour is in test_contract.py (run on both)."""

import pytest

from ioc.errors import StorageUnavailable
from ioc.model import NS_PER_S, Reading
from ioc.storage.influx import InfluxStorage

T0 = 1_593_565_200 * NS_PER_S  # 2020-07-01T01:00:00Z


def test_unreachable_is_unavailable():
    storage = InfluxStorage(
        "http://127.0.0.1:9", token="t", org="ioc", bucket="ioc", timeout_ms=500
    )
    reading = Reading("sensor", T0, {"district": "hoa-an", "source": "a1"}, {"pm25": 1.0})
    with pytest.raises(StorageUnavailable):
        storage.write([reading])
    with pytest.raises(StorageUnavailable):
        storage.ping()
    storage.close()
