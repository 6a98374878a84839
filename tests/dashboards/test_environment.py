"""Environment drill-down in headless Chromium: data published over MQTT, read from InfluxDB."""

from __future__ import annotations

import pytest

from dashboards import ids
from tests.dashboards.browser import (
    click_radio,
    control,
    text_of,
    wait_stored,
    wait_text,
    wait_until,
    wait_url,
)
from tests.dashboards.conftest import now_ms
from tests.dashboards.test_plotly_bundle import bundle_version

pytestmark = pytest.mark.services
GRID = ids.page_part("environment", ids.GRID)
PLOTLY_JS = """return [window.Plotly.version, performance.getEntriesByType('resource')
    .map(e => e.name).filter(n => n.includes('plotly') && !n.includes('plotly-basic'))]"""
HISTORY = ids.page_part("environment", ids.HISTORY)
ORDER_JS = f"""window.__order = [];
new MutationObserver(() => {{
  for (const [name, css] of [['chart', '#{HISTORY} .main-svg'], ['grid', '#{GRID}']]) {{
    if (!window.__order.includes(name) && document.querySelector(css)) window.__order.push(name);
  }}
}}).observe(document, {{subtree: true, childList: true}});"""


def test_environment001_filters_change_what_is_shown_and_live_in_the_url(
    app, collector, publish, dash_duo
):
    now = now_ms()
    publish.sensor("hoa-an", "t-air-a", "air", {"pm25": 11.5, "pm10": 20.0}, now - 600_000)
    publish.sensor("bao-lac", "t-air-b", "air", {"pm25": 22.5, "pm10": 30.0}, now - 900_000)
    publish.sensor("hoa-an", "t-water-c", "water", {"level_cm": 321.0}, now - 300_000)
    wait_stored(collector, 3)
    dash_duo.start_server(app)
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ORDER_JS})
    dash_duo.driver.get(dash_duo.server_url + "/environment?range=1h")
    wait_text(dash_duo, GRID, "t-air-a")
    # the grid is mounted once the chart is drawn: its set-up does not delay the chart
    assert dash_duo.driver.execute_script("return window.__order") == ["chart", "grid"]
    assert "t-air-b" in wait_text(dash_duo, GRID, "t-air-b")
    assert "11,5" in text_of(dash_duo, GRID) and "11.5" not in text_of(dash_duo, GRID)  # vi
    assert "t-water-c" not in text_of(dash_duo, GRID)  # kind air by default
    wait_text(dash_duo, HISTORY, "Bảo Lạc")  # one series per district
    # drawn by the partial bundle of our assets; Dash's full one (4.8 MB) is never loaded
    assert dash_duo.driver.execute_script(PLOTLY_JS) == [bundle_version(), []]
    # A link with a district opens exactly that view.
    dash_duo.driver.get(dash_duo.server_url + "/environment?range=1h&district=hoa-an")
    wait_text(dash_duo, GRID, "t-air-a")
    wait_until(lambda: "t-air-b" not in text_of(dash_duo, GRID), timeout=10)
    # Changing a filter changes the view and the address bar.
    dash_duo.select_dcc_dropdown(control(dash_duo, "environment", "kind"), value="Nước, mưa")
    wait_text(dash_duo, GRID, "t-water-c")
    wait_until(lambda: "t-air-a" not in text_of(dash_duo, GRID), timeout=10)
    assert "kind=water" in wait_url(dash_duo, "kind=water")
    assert "field=level_cm" in wait_url(dash_duo, "field=level_cm")
    click_radio(dash_duo, "environment", "range", "7d")
    url = wait_url(dash_duo, "range=7d")
    assert "district=hoa-an" in url
    # The address bar now reproduces the view in a fresh page.
    dash_duo.driver.get(url)
    wait_text(dash_duo, GRID, "t-water-c")
    wait_text(dash_duo, ids.page_part("environment", ids.SUMMARY), "1 giờ / điểm")
