"""Devices and feeds drill-down in headless Chromium (real MQTT → collector → Redis/InfluxDB)."""

from __future__ import annotations

import pytest

from dashboards import ids
from tests.dashboards.browser import text_of, wait_stored, wait_text, wait_until
from tests.dashboards.conftest import now_ms

pytestmark = pytest.mark.services
GRID = ids.page_part("devices", ids.GRID)
SOURCES = ids.page_part("devices", "sources")


def test_devices001_live_sources_and_feed_filter(app, collector, publish, dash_duo):
    publish.sensor("nguyen-binh", "t-noise-1", "noise", {"laeq_db": 61.0}, now_ms())
    publish.camera("thach-an", "t-cam-2", "t-road", now_ms(), occupancy_pct=12.0)
    publish.send("ioc/status/t-cam-2", "online")
    wait_stored(collector, 3)
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/devices?range=1h")
    wait_text(dash_duo, SOURCES, "t-noise-1")
    wait_text(dash_duo, SOURCES, "t-cam-2")
    assert "trực tuyến" in wait_text(dash_duo, SOURCES, "Nguyên Bình")
    wait_text(dash_duo, GRID, "t-noise-1")  # feed sensor by default
    assert "t-cam-2" not in text_of(dash_duo, GRID)
    dash_duo.driver.get(dash_duo.server_url + "/devices?range=1h&feed=status")
    wait_text(dash_duo, GRID, "t-cam-2")
    wait_until(lambda: "t-noise-1" not in text_of(dash_duo, GRID), timeout=10)
    wait_text(dash_duo, ids.page_part("devices", "counters"), "Camera: nhận 1, lưu 1")
