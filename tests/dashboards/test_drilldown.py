"""The drill-downs in headless Chromium, real services: no sideways scroll at 3840×2160, 1920×1080
and 1366×768 and 4K twice the size, Back undoes a filter, a kind's fields follow it, page alerts
by severity then age, the acknowledgement confirmation stays."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.keys import Keys

from dashboards import ids
from tests.dashboards.browser import (
    click_radio,
    control,
    set_viewport,
    wait_stored,
    wait_text,
    wait_until,
    wait_url,
)
from tests.dashboards.conftest import now_ms

pytestmark = pytest.mark.services
PAGES = ("environment", "traffic", "services", "security", "devices")
GRID = ids.page_part("environment", ids.GRID)
HISTORY = ids.page_part("environment", ids.HISTORY)
SIZES = ((3840, 2160), (1920, 1080), (1366, 768))
MEASURE_JS = """
const d = document.documentElement;
const title = document.querySelector('.drill__title');
const plot = document.querySelector('.drill .panel--history .js-plotly-plot');
const type = plot && plot.layout && plot.layout.font ? plot.layout.font.size : 0;
return [d.scrollWidth, innerWidth, title ? parseFloat(getComputedStyle(title).fontSize) : 0, type];
"""


def test_drill001_no_page_scrolls_sideways_and_4k_is_twice_the_size(
    app, collector, publish, dash_duo
):
    publish.sensor("hoa-an", "t-air-a", "air", {"pm25": 11.5}, now_ms() - 600_000)
    dash_duo.start_server(app)
    sizes: dict[tuple[str, int], tuple[float, float]] = {}
    for width, height in SIZES:
        set_viewport(dash_duo, width, height)
        for page in PAGES:
            dash_duo.driver.get(f"{dash_duo.server_url}/{page}?range=1h")
            wait_text(dash_duo, ids.page_part(page, ids.SUMMARY), "/")  # the view is computed

            def measured() -> list | bool:
                found = dash_duo.driver.execute_script(MEASURE_JS)
                return found if found[3] else False  # the chart is drawn, with its type size

            scroll, inner, title, tick = wait_until(
                measured, timeout=20, interval=0.3, message=f"/{page} drawn at {width}×{height}"
            )
            assert scroll <= inner, f"/{page} at {width}×{height}: {scroll} px wide in {inner}"
            sizes[(page, width)] = (title, tick)
    for page in PAGES:
        (title_4k, tick_4k), (title, tick) = sizes[(page, 3840)], sizes[(page, 1920)]
        assert title_4k == pytest.approx(2 * title, rel=0.02), page
        assert tick_4k == pytest.approx(2 * tick, rel=0.02), page


def _options(dash_duo, page: str, name: str) -> list[str]:
    """The labels a dropdown offers (opened, read, closed again)."""
    element = control(dash_duo, page, name)
    element.click()
    labels = wait_until(
        lambda: dash_duo.driver.execute_script(
            "return [...document.querySelectorAll('.dash-dropdown-option')]"
            ".map(o => o.innerText.trim()).filter(t => t)"
        ),
        timeout=10,
        message=f"the options of {name}",
    )
    element.send_keys(Keys.ESCAPE)
    return labels


def test_drill002_back_undoes_a_filter_and_the_fields_follow_the_kind(
    app, collector, publish, dash_duo
):
    now = now_ms()
    publish.sensor("hoa-an", "t-air-a", "air", {"pm25": 11.5}, now - 600_000)
    publish.sensor("hoa-an", "t-water-c", "water", {"level_cm": 321.0, "rain_mm": 4.5},
                   now - 300_000)  # fmt: skip
    wait_stored(collector, 2)
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/environment?range=1h")
    wait_text(dash_duo, GRID, "t-air-a")
    wait_text(dash_duo, HISTORY, "µg/m³")  # the PM2.5 chart
    # the kind's fields follow it: water offers rain, and rain can be chosen
    dash_duo.select_dcc_dropdown(control(dash_duo, "environment", "kind"), value="Nước, mưa")
    wait_url(dash_duo, "kind=water")
    wait_text(dash_duo, ids.control("environment", "field"), "Mực nước")
    fields = _options(dash_duo, "environment", "field")
    assert "Lượng mưa" in fields and "Bụi PM2.5" not in fields, fields
    dash_duo.select_dcc_dropdown(control(dash_duo, "environment", "field"), value="Lượng mưa")
    wait_url(dash_duo, "field=rain_mm")
    wait_text(dash_duo, HISTORY, "mm")
    wait_text(dash_duo, GRID, "t-water-c")
    # Back undoes the field, then the kind: control, address and chart are the earlier view's
    dash_duo.driver.back()
    wait_until(lambda: "field=rain_mm" not in dash_duo.driver.current_url, timeout=20)
    assert "kind=water" in dash_duo.driver.current_url
    wait_text(dash_duo, ids.control("environment", "field"), "Mực nước")
    wait_text(dash_duo, HISTORY, "cm")
    dash_duo.driver.back()
    wait_until(lambda: "kind=water" not in dash_duo.driver.current_url, timeout=20)
    assert "range=1h" in dash_duo.driver.current_url
    wait_text(dash_duo, ids.control("environment", "kind"), "Không khí")
    wait_text(dash_duo, ids.control("environment", "field"), "Bụi PM2.5")
    wait_text(dash_duo, HISTORY, "µg/m³")
    wait_text(dash_duo, GRID, "t-air-a")
    # a range: Back restores the radio too
    click_radio(dash_duo, "environment", "range", "7d")
    wait_url(dash_duo, "range=7d")
    wait_text(dash_duo, ids.page_part("environment", ids.SUMMARY), "giờ / điểm")
    dash_duo.driver.back()
    wait_url(dash_duo, "range=1h")
    wait_until(
        lambda: (
            control(dash_duo, "environment", "range")
            .find_element("css selector", "input[value='1h']")
            .is_selected()
        ),
        timeout=20,
        message="the 1 h range chosen again",
    )
    wait_text(dash_duo, ids.page_part("environment", ids.SUMMARY), "30 giây / điểm")


def _alert(rule: str, source: str, severity: str, raised_ms: int) -> dict:
    return {
        "rule": rule,
        "scope": f"source:{source}",
        "state": "active",
        "severity": severity,
        "since_ms": raised_ms,
        "raised_ms": raised_ms,
        "updated_ms": raised_ms,
        "value": 0.0,
        "alert_id": f"{rule}|source:{source}|{raised_ms}",
        "message_vi": f"{rule} {source}",
        "message_en": f"{rule} {source}",
    }


ACK_IDS_JS = """
return [...document.querySelectorAll('#environment-alerts .alert__ack')]
  .map(b => JSON.parse(b.id).alert);
"""


def test_drill003_page_alerts_by_severity_then_age_and_the_ack_confirmation_stays(
    app, live, dash_duo
):
    now = now_ms()
    alerts = [
        _alert("air.aqi_bad", "aq-1", "warning", now - 600_000),
        _alert("water.bd3", "wl-1", "critical", now - 120_000),
        _alert("air.aqi_very_bad", "aq-2", "critical", now - 1_800_000),
        _alert("water.bd2", "wl-2", "warning", now - 60_000),
    ]
    live.set_alerts(alerts)
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/environment")
    order = wait_until(
        lambda: len(found := dash_duo.driver.execute_script(ACK_IDS_JS)) == 4 and found,
        timeout=20,
        message="the four alerts listed",
    )
    # critical before warning; within a severity the oldest (waiting longest) first
    assert order == [alerts[2]["alert_id"], alerts[1]["alert_id"], alerts[0]["alert_id"],
                     alerts[3]["alert_id"]]  # fmt: skip
    dash_duo.driver.execute_script(
        "document.querySelector('#environment-alerts .alert__ack').click()"
    )
    dash_duo.wait_for_element(f"#{ids.page_part('environment', ids.ACK_MODAL)}", timeout=10)
    dash_duo.find_element(f"#{ids.page_part('environment', ids.ACK_COMMENT)}").send_keys("Đã báo")
    dash_duo.find_element(f"#{ids.page_part('environment', ids.ACK_SUBMIT)}").click()
    done = ids.page_part("environment", ids.ACK_DONE)
    text = wait_text(dash_duo, done, "Đã gửi")
    # it stays on the page while the alert list refreshes (every 2 s), not for 0.7 s
    deadline = now_ms() + 6_000
    while now_ms() < deadline:
        shown = dash_duo.driver.execute_script(
            "const e = document.getElementById(arguments[0]);"
            "return e && e.offsetParent !== null ? e.innerText : ''",
            done,
        )
        assert shown == text
    assert dash_duo.driver.execute_script(
        "return document.querySelector('.modal.show') === null"
    )  # the dialog closed
