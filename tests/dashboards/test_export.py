"""CSV export and the paged grid, in headless Chromium against the real InfluxDB: 7 days with more
than 1,000 rows come out whole (streamed, no row cap), the grid pages through storage."""

from __future__ import annotations

import csv
import io

import pytest

from dashboards import ids
from ioc.model import NS_PER_MS, Reading
from ioc.storage.influx import InfluxStorage
from tests.dashboards.browser import wait_text, wait_until
from tests.dashboards.conftest import now_ms

pytestmark = pytest.mark.services
ROWS = 1_500


@pytest.fixture
def user_role() -> str:
    return "supervisor"  # exporting is a supervisor's right


EXPORT = ids.page_part("environment", ids.EXPORT)

_FETCH_JS = """
const done = arguments[arguments.length - 1];
const href = document.getElementById(arguments[0]).getAttribute('href');
fetch(href)
  .then(r => r.text().then(t => done([r.status, href, t])))
  .catch(e => done([0, href, String(e)]));
"""


def test_export001_seven_days_of_more_than_1000_rows_download_whole(app, settings, dash_duo):
    storage = InfluxStorage(settings.influx_url, "test", "ioc", settings.influx_bucket)
    now = now_ms()
    step = (7 * 86_400_000 - 120_000) // ROWS  # spread over the 7 days, all inside the range
    readings = [
        Reading(
            "sensor",
            (now - 60_000 - i * step) * NS_PER_MS,
            {"district": "hoa-an", "source": f"t-exp-{i % 3}", "kind": "air"},
            {"pm25": float(i % 97), "pm10": 20.0},
        )
        for i in range(ROWS)
    ]
    readings.append(  # another kind: not in an air export
        Reading(
            "sensor",
            (now - 60_000) * NS_PER_MS,
            {"district": "hoa-an", "source": "t-exp-w", "kind": "water"},
            {"level_cm": 100.0},
        )
    )
    storage.write(readings)
    storage.close()
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/environment?range=7d&kind=air")
    wait_until(
        lambda: "range=7d" in (dash_duo.find_element(f"#{EXPORT}").get_attribute("href") or ""),
        timeout=20,
    )
    dash_duo.driver.set_script_timeout(60)
    status, href, body = dash_duo.driver.execute_async_script(_FETCH_JS, EXPORT)
    assert status == 200 and "/export/environment.csv" in href
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == ROWS  # every row, none of the water gauge
    assert {r["kind"] for r in rows} == {"air"}
    assert rows[0]["time"].endswith("+07:00")  # local date-times
    times = [r["time"] for r in rows]
    assert times == sorted(times, reverse=True)  # newest first, no slice repeated or lost
    assert sorted(float(r["pm25"]) for r in rows) == sorted(float(i % 97) for i in range(ROWS))
    # the grid pages through the same range from storage (50 a page), in Vietnamese
    grid = ids.page_part("environment", ids.GRID)
    wait_text(dash_duo, grid, "t-exp-0")
    assert "Trang" in wait_text(dash_duo, grid, "Trang")
