"""Public services drill-down in headless Chromium (real MQTT → collector → InfluxDB)."""

from __future__ import annotations

import pytest

from dashboards import ids
from tests.dashboards.browser import (
    text_of,
    wait_rolled_up,
    wait_stored,
    wait_text,
    wait_until,
    wait_url,
)
from tests.dashboards.conftest import iso, now_ms

pytestmark = pytest.mark.services
GRID = ids.page_part("services", ids.GRID)


def ticket(publish, district: str, ticket_id: str, channel: str, ts_ms: int) -> None:
    publish.send(
        f"ioc/servicedesk/{district}/mot-cua-{district}",
        {
            "ts": iso(ts_ms),
            "ticket_id": ticket_id,
            "event": "received",
            "service": "dang-ky-khai-sinh",
            "channel": channel,
            "due": iso(ts_ms + 86_400_000),
        },
    )


def test_services001_channel_and_district_filters(app, engine, collector, publish, dash_duo):
    now = now_ms()
    ticket(publish, "hoa-an", "T-ONLINE-1", "online_l4", now - 1_800_000)
    ticket(publish, "ha-lang", "T-HOTLINE-2", "hotline_1022", now - 900_000)
    wait_stored(collector, 2)
    wait_rolled_up(engine, now_ms())  # the day's breakdown reads the 5-min rollups
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/services")
    wait_text(dash_duo, GRID, "T-ONLINE-1")
    wait_text(dash_duo, GRID, "T-HOTLINE-2")
    grid = wait_text(dash_duo, GRID, "Đăng ký khai sinh")  # the service by its name…
    assert "dang-ky-khai-sinh" not in grid  # … not its slug
    wait_text(dash_duo, ids.page_part("services", ids.BREAKDOWN), "Hạ Lang")
    dash_duo.driver.get(dash_duo.server_url + "/services?channel=hotline_1022&lang=en")
    wait_text(dash_duo, GRID, "T-HOTLINE-2")
    wait_until(lambda: "T-ONLINE-1" not in text_of(dash_duo, GRID), timeout=10)
    wait_text(dash_duo, ids.NAV, "Public services")  # English by the switch in the URL
    dash_duo.find_element(f"#{ids.LANG_SWITCH}").click()  # back to Vietnamese, same view
    wait_text(dash_duo, ids.NAV, "Dịch vụ công")
    wait_text(dash_duo, GRID, "T-HOTLINE-2")
    url = wait_url(dash_duo, "channel=hotline_1022")
    assert "lang=en" not in url  # Vietnamese is the default: not written
