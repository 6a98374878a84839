"""Traffic and cameras drill-down in headless Chromium (real MQTT → collector → InfluxDB)."""

from __future__ import annotations

import pytest

from dashboards import ids
from tests.dashboards.browser import (
    click_radio,
    text_of,
    wait_stored,
    wait_text,
    wait_until,
    wait_url,
)
from tests.dashboards.conftest import now_ms

pytestmark = pytest.mark.services
GRID = ids.page_part("traffic", ids.GRID)


def test_traffic001_site_filter_and_time_range(app, collector, publish, dash_duo):
    now = now_ms()
    vehicles = {"car": 12, "motorbike": 40, "truck": 9, "bus": 1}
    publish.camera(
        "quang-hoa", "t-cam-gate", "ta-lung-border-gate", now - 120_000, vehicles=vehicles,
        queue_m=240.0, occupancy_pct=55.0, avg_speed_kmh=12.0,
    )  # fmt: skip
    publish.camera("trung-khanh", "t-cam-falls", "ban-gioc-waterfall", now - 60_000, people=87)
    publish.camera("quang-hoa", "t-cam-old", "ta-lung-border-gate", now - 3 * 3_600_000, people=5)
    wait_stored(collector, 3)
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/traffic?range=1h")
    wait_text(dash_duo, GRID, "t-cam-gate")
    wait_text(dash_duo, GRID, "t-cam-falls")
    assert "t-cam-old" not in text_of(dash_duo, GRID)  # three hours ago: outside 1 h
    dash_duo.driver.get(dash_duo.server_url + "/traffic?range=1h&site=ta-lung-border-gate")
    wait_text(dash_duo, GRID, "t-cam-gate")
    wait_until(lambda: "t-cam-falls" not in text_of(dash_duo, GRID), timeout=10)
    click_radio(dash_duo, "traffic", "range", "24h")
    wait_text(dash_duo, GRID, "t-cam-old")
    url = wait_url(dash_duo, "site=ta-lung-border-gate")
    assert "range=" not in url  # 24 h is the default: not written
    wait_text(dash_duo, ids.page_part("traffic", ids.BREAKDOWN), "Quảng Hòa")
