"""Wall screen in headless Chromium, fed through the real path: MQTT → collector (with its KPI
engine) → Redis → page."""

from __future__ import annotations

import pytest

from dashboards import ids
from dashboards.tiles import indicator_key, kpi_key
from ioc.devservices import wait_until
from tests.dashboards.browser import (
    alert_counts,
    body_text,
    class_of,
    set_viewport,
    text_of,
    wait_body,
    wait_class,
    wait_text,
)
from tests.dashboards.conftest import now_ms

pytestmark = pytest.mark.services

TEMP = indicator_key("temperature")
AQI = kpi_key("air.vn_aqi")


def test_wall001_shows_published_values_and_updates_after_a_new_message(
    app, engine, collector, publish, dash_duo
):
    publish.sensor("hoa-an", "t-weather-1", "weather", {"temp_c": 21.5}, now_ms())
    # Two hours of PM2.5 at 30 µg/m³: NowCast 30, sub-index 60, band "Trung bình".
    for hours_ago in (1, 0):
        publish.sensor("hoa-an", "t-air-1", "air", {"pm25": 30.0}, now_ms() - hours_ago * 3_600_000)
    dash_duo.start_server(app)
    wait_text(dash_duo, ids.tile_value(TEMP), "21,5")
    wait_text(dash_duo, ids.tile_value(AQI), "60")
    assert "Trung bình" in wait_text(dash_duo, ids.tile_value(AQI), "Trung bình")
    publish.sensor("hoa-an", "t-weather-1", "weather", {"temp_c": 23.0}, now_ms())
    wait_text(dash_duo, ids.tile_value(TEMP), "23,0")
    assert "giây trước" in wait_text(dash_duo, ids.tile_age(TEMP), "cập nhật")
    assert "tile--stale" not in class_of(dash_duo, ids.tile(TEMP)).split()


def test_wall002_a_tile_goes_grey_and_says_stale_when_its_feed_stops(
    app, engine, collector, publish, dash_duo
):
    # The sensor feed is expected every 60 s: a reading 57 s old is fresh for a few seconds more.
    publish.sensor("bao-lac", "t-weather-2", "weather", {"temp_c": 18.4}, now_ms() - 57_000)
    dash_duo.start_server(app)
    wait_text(dash_duo, ids.tile_value(TEMP), "18,4")
    wait_class(dash_duo, ids.tile(TEMP), "tile--stale", present=True, timeout=30)
    assert "DỮ LIỆU CŨ" in wait_text(dash_duo, ids.tile_age(TEMP), "DỮ LIỆU CŨ")
    # Fresh data again: the tile is live again.
    publish.sensor("bao-lac", "t-weather-2", "weather", {"temp_c": 19.0}, now_ms())
    wait_class(dash_duo, ids.tile(TEMP), "tile--stale", present=False)
    wait_text(dash_duo, ids.tile_value(TEMP), "19,0")


_AGES_JS = """
const had = arguments[0];
return [...document.querySelectorAll('.tile')].filter(t => {
  const a = t.querySelector('.tile__age');
  return a && (had === null ? a.innerText.includes('trước') : had.includes(t.id)
                                                               && !a.innerText.includes('trước'));
}).map(t => t.id);
"""


def test_wall003_lost_live_state_keeps_the_last_known_values_and_alerts_marked(
    app, engine, collector, publish, redis_server, dash_duo
):
    publish.sensor("hoa-an", "t-weather-3", "weather", {"temp_c": 20.0}, now_ms())
    publish.camera("quang-hoa", "t-cam-3", "t-site", now_ms(), queue_m=20.0)
    wait_until(lambda: "t-cam-3" in engine.runner.state.seen, timeout=10)
    publish.send("ioc/status/t-cam-3", "offline")
    dash_duo.start_server(app)
    wait_text(dash_duo, ids.tile_value(TEMP), "20,0")
    wait_text(dash_duo, ids.WALL_ALERTS, "t-cam-3")
    aged = dash_duo.driver.execute_script(_AGES_JS, None)  # the tiles that say how old they are
    assert any("online" in key for key in aged), aged  # the device tiles among them
    redis_server.stop()
    try:
        wait_text(dash_duo, ids.WALL_STATUS, "MẤT KẾT NỐI")
        assert "số liệu cuối cùng" in wait_text(dash_duo, ids.WALL_STATUS, "số liệu cuối cùng")
        age = wait_text(dash_duo, ids.tile_age(TEMP), "số liệu cuối cùng")
        assert "MẤT KẾT NỐI" in age and "trước" in age  # marked, with its age
        assert text_of(dash_duo, ids.tile_value(TEMP)).startswith("20,0")  # the last known value
        # … and the mark and the age are on screen whole, in every tile (not cut off)
        cut = dash_duo.driver.execute_script(
            "return [...document.querySelectorAll('.tile__age')]"
            ".filter(e => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)"
            ".map(e => e.id)"
        )
        assert cut == [], cut
        # every tile that had an age says how old its last known value is, never "nothing known"
        ageless = dash_duo.driver.execute_script(_AGES_JS, aged)
        assert ageless == [], "\n".join(ageless)
        stale = dash_duo.driver.execute_script(
            "return [...document.querySelectorAll('.tile')]"
            ".map(t => t.classList.contains('tile--stale'))"
        )
        assert stale and all(stale)
        # the alerts stay, marked as last known: never "no alerts"
        assert "t-cam-3" in text_of(dash_duo, ids.WALL_ALERTS)
        wait_text(dash_duo, ids.WALL_ALERTS_TITLE, "CUỐI CÙNG ĐÃ BIẾT")  # uppercase heading
        assert "Không có cảnh báo" not in body_text(dash_duo)
        assert alert_counts(dash_duo)["warning"] == 1
    finally:
        redis_server.start()
    wait_until(  # live again
        lambda: "CUỐI CÙNG" not in text_of(dash_duo, ids.WALL_ALERTS_TITLE), timeout=30
    )


def test_wall004_fits_1920x1080_without_scrolling_and_kiosk_hides_chrome(app, collector, dash_duo):
    dash_duo.start_server(app)
    set_viewport(dash_duo)
    dash_duo.driver.get(dash_duo.server_url + "/?kiosk=1")
    wait_class(dash_duo, ids.SHELL, "kiosk")
    wait_text(dash_duo, ids.WALL_STATUS, "Dữ liệu trực tiếp")
    size = dash_duo.driver.execute_script(
        "const d = document.documentElement;"
        "return [d.scrollHeight, window.innerHeight, d.scrollWidth, window.innerWidth,"
        " getComputedStyle(document.getElementById('wall')).cursor,"
        " getComputedStyle(document.getElementById('shell-nav')).display]"
    )
    scroll_h, inner_h, scroll_w, inner_w, cursor, nav = size
    assert (inner_w, inner_h) == (1920, 1080)
    assert scroll_h <= inner_h and scroll_w <= inner_w
    assert cursor == "none" and nav == "none"
    # without kiosk the navigation is there, and it still fits
    dash_duo.driver.get(dash_duo.server_url + "/")
    wait_text(dash_duo, ids.NAV, "An toàn thông tin")
    scroll = dash_duo.driver.execute_script(
        "const d = document.documentElement; return [d.scrollWidth, d.scrollHeight]"
    )
    assert scroll[0] <= 1920 and scroll[1] <= 1080, scroll
    # every navigation link inside the header, none under the clock
    nav_right, clock_left = dash_duo.driver.execute_script(
        "return [document.getElementById('shell-nav').lastElementChild"
        ".getBoundingClientRect().right,"
        " document.getElementById('shell-clock').getBoundingClientRect().left]"
    )
    assert nav_right <= clock_left, (nav_right, clock_left)


def test_wall005_nothing_is_fetched_from_another_host(app, collector, dash_duo):
    dash_duo.start_server(app)
    wait_text(dash_duo, ids.WALL_STATUS, "Dữ liệu trực tiếp")
    wait_until(lambda: dash_duo.driver.execute_script("return document.fonts.status") == "loaded")
    urls = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".concat([...document.querySelectorAll('script[src],link[href]')]"
        ".map(e => e.src || e.href))"
    )
    assert urls
    foreign = [u for u in urls if not u.startswith(dash_duo.server_url)]
    assert foreign == []
    fonts = dash_duo.driver.execute_script(
        "return [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert any("Be Vietnam Pro" in f for f in fonts)


def test_wall006_alert_from_the_real_engine_is_acknowledged_from_its_drill_down(
    app, engine, collector, publish, dash_duo
):
    # A camera that speaks and then publishes its Last Will "offline": rule device.offline.
    publish.camera("quang-hoa", "t-cam-1", "t-site", now_ms(), queue_m=20.0)
    wait_until(lambda: "t-cam-1" in engine.runner.state.seen, timeout=10)
    publish.send("ioc/status/t-cam-1", "offline")
    dash_duo.start_server(app)
    wait_text(dash_duo, ids.WALL_ALERTS, "t-cam-1")
    wait_text(dash_duo, ids.WALL_ALERTS, "chưa xác nhận")
    # the list is re-rendered every second: click in the page, not through a stale handle
    dash_duo.driver.execute_script(f"document.querySelector('#{ids.WALL_ALERTS} a').click()")
    modal = ids.page_part("devices", ids.ACK_MODAL)
    dash_duo.wait_for_element(f"#{modal}", timeout=10)
    wait_text(dash_duo, ids.page_part("devices", ids.ACK_TEXT), "t-cam-1")
    # the name is the signed-in user's, shown, not typed
    assert text_of(dash_duo, ids.page_part("devices", ids.ACK_BY)) == "lan"
    dash_duo.find_element(f"#{ids.page_part('devices', ids.ACK_COMMENT)}").send_keys(
        "Đã cử kỹ thuật"
    )
    dash_duo.find_element(f"#{ids.page_part('devices', ids.ACK_SUBMIT)}").click()
    wait_text(dash_duo, ids.page_part("devices", ids.ALERTS), "đã xác nhận: lan")
    alert = next(a for a in engine.runner.alerts.values() if a.scope == "source:t-cam-1")
    assert (alert.state, alert.acked_by, alert.ack_comment) == (
        "acknowledged",
        "lan",
        "Đã cử kỹ thuật",
    )
    dash_duo.driver.get(dash_duo.server_url + "/")
    wait_text(dash_duo, ids.WALL_ALERTS, "đã xác nhận: lan")
    assert wait_body(dash_duo, "CẢNH BÁO")


def test_wall007_rotation_cycles_the_pages_and_keeps_kiosk(app, collector, dash_duo):
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/?rotate=5&kiosk=1&lang=en")
    url = wait_until(
        lambda: "/environment" in (u := dash_duo.driver.current_url) and u,
        timeout=20,
        interval=0.5,
        message="rotation to the first drill-down",
    )
    assert "rotate=5" in url and "kiosk=1" in url and "lang=en" in url
    wait_class(dash_duo, ids.SHELL, "kiosk")
    wait_text(dash_duo, ids.NAV_TITLE, "Operations Center")


_MAP_JS = """
const g = document.querySelector('#wall-map .js-plotly-plot');
if (!g || !g.data) { return null; }
const markers = g.data.filter(t => t.mode === 'markers' && t.name !== arguments[0]);
return {devices: markers.flatMap(t => t.text || []),
        points: markers.flatMap(t => t.x.map((x, i) => [x, t.y[i]])),
        labels: (g.layout.annotations || []).map(a => a.text)};
"""


def test_wall008_the_map_has_a_marker_per_device_and_each_districts_count(
    app, engine, collector, publish, dash_duo
):
    # two catalogued air stations and a weather station nobody catalogued, over MQTT
    publish.sensor("bao-lac", "air-bao-lac", "air", {"pm25": 20.0}, now_ms())
    publish.sensor("hoa-an", "t-weather-8", "weather", {"temp_c": 20.0}, now_ms())
    wait_until(lambda: {"air-bao-lac", "t-weather-8"} <= set(engine.runner.state.seen), timeout=10)
    dash_duo.start_server(app)
    places = "Địa điểm trọng điểm"
    drawn = wait_until(
        lambda: (
            (m := dash_duo.driver.execute_script(_MAP_JS, places)) and len(m["devices"]) >= 2 and m
        ),
        timeout=20,
        message="device markers on the map",
    )
    assert {"Quan trắc KK Bảo Lạc", "t-weather-8"} <= set(drawn["devices"]), drawn["devices"]
    # the catalogued station sits at its catalogue position
    assert [105.672, 22.951] in drawn["points"], drawn["points"]
    assert "Bảo Lạc 1/1" in drawn["labels"] and "Hòa An 1/1" in drawn["labels"], drawn["labels"]
