"""The information-security drill-down in headless Chromium (real MQTT → collector → InfluxDB)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from dashboards import ids
from ioc.kpis.drilldown import drilldown_href
from ioc.kpis.registry import KPIS
from tests.dashboards.browser import (
    control,
    dom_id,
    text_of,
    wait_rolled_up,
    wait_stored,
    wait_text,
    wait_until,
)
from tests.dashboards.conftest import now_ms

pytestmark = pytest.mark.services
PAGE = "security"
GRID = ids.page_part(PAGE, ids.GRID)
INCIDENTS = ids.page_part(PAGE, ids.INCIDENTS)


def incident(publish, console, district, incident_id, event, ts_ms, severity="critical"):
    publish.send(
        f"ioc/security/{district}/{console}",
        {
            "ts": ts_ms,
            "system": "edr",
            "agency": console.removeprefix("edr-"),
            "event": event,
            "severity": severity,
            "incident_id": incident_id,
            "threat": "Backdoor.Win32.PlugX",
        },
    )


def test_security001_incidents_timeline_and_the_portal_view(app, collector, publish, dash_duo):
    now = now_ms()
    incident(
        publish,
        "edr-so-y-te",
        "thanh-pho-cao-bang",
        "EDR-TEST-1",
        "incident_opened",
        now - 3 * 3_600_000,
    )
    incident(
        publish,
        "edr-so-y-te",
        "thanh-pho-cao-bang",
        "EDR-TEST-1",
        "incident_contained",
        now - 3_600_000,
    )
    incident(
        publish,
        "edr-ubnd-hoa-an",
        "hoa-an",
        "EDR-TEST-2",
        "incident_opened",
        now - 600_000,
        severity="high",
    )
    publish.send(
        "ioc/portal/hoa-an/cong-hoa-an",
        {
            "ts": now - 60_000,
            "url": "https://hoaan.caobang.gov.vn/",
            "up": True,
            "status": 200,
            "response_ms": 321.0,
            "tls_days_left": 9,
        },
    )
    wait_stored(collector, 4)
    dash_duo.start_server(app)
    # the drill-down: incidents with their timeline, the raw records
    dash_duo.driver.get(dash_duo.server_url + "/security?range=24h")
    wait_text(dash_duo, INCIDENTS, "EDR-TEST-1")
    wait_text(dash_duo, INCIDENTS, "Sở Y tế")  # the agency by its catalogue name
    wait_text(dash_duo, INCIDENTS, "2 giờ")  # contained two hours after it was opened
    wait_text(dash_duo, INCIDENTS, "chưa khoanh vùng")  # EDR-TEST-2 is not contained yet
    wait_text(dash_duo, GRID, "EDR-TEST-2")
    # the portal view of the same page: its measures are the portal checks'
    dash_duo.driver.get(dash_duo.server_url + "/security?feed=portal&field=tls_days_left")
    wait_text(dash_duo, ids.control(PAGE, "field"), "Chứng thư số còn hạn")


def portal_check(publish, district, site, ts_ms, up=True, **fields):
    publish.send(f"ioc/portal/{district}/{site}", {"ts": ts_ms, "up": up, **fields})


def test_security002_a_portal_tiles_link_shows_the_portals_raw_checks(
    app, collector, publish, dash_duo
):
    """The wall's portal tiles link to `/security?feed=portal…` (their KPI's drill-down): the
    grid shows the checks — site by name, up in words, HTTP status, response time."""
    now = now_ms()
    url = "https://hoaan.caobang.gov.vn/"
    portal_check(publish, "hoa-an", "cong-hoa-an", now - 120_000, url=url, status=200,
                 response_ms=321.5, tls_days_left=40)  # fmt: skip
    portal_check(publish, "hoa-an", "cong-hoa-an", now - 60_000, up=False, url=url,
                 error="connect timeout")  # fmt: skip
    incident(publish, "edr-so-y-te", "thanh-pho-cao-bang", "EDR-T-9", "incident_opened", now)
    wait_stored(collector, 3)
    dash_duo.start_server(app)
    link = drilldown_href(KPIS["portal.availability"])
    assert "feed=portal" in link
    dash_duo.driver.get(dash_duo.server_url + link)
    wait_text(dash_duo, GRID, "Cổng TTĐT Hòa An")  # the site by its catalogue name
    grid = wait_text(dash_duo, GRID, "321,5")  # response time, a decimal comma
    assert "Hoạt động" in grid and "Gián đoạn" in grid  # up, in words
    assert "200" in grid and "connect timeout" in grid
    assert "Thời gian phản hồi" in grid and "Lỗi" in grid  # headers in Vietnamese
    assert "EDR-T-9" not in grid  # the portal view shows the portal feed only
    # the event filter applies to the security feed only: not shown beside the portal checks
    box = f"//*[@id='{dom_id(ids.filter_box(PAGE, 'event'))}']"
    assert not dash_duo.driver.find_element(By.XPATH, box).is_displayed()
    # a site's own link (the alert of one portal) narrows the grid to that site
    value = {"scope": "source:cong-hoa-an"}
    dash_duo.driver.get(dash_duo.server_url + drilldown_href(KPIS["portal.down"], value))
    wait_text(dash_duo, GRID, "connect timeout")
    # the security view's grid: agency, event and severity in words
    dash_duo.driver.get(dash_duo.server_url + drilldown_href(KPIS["security.open_incidents"]))
    grid = wait_text(dash_duo, GRID, "EDR-T-9")
    assert "Sở Y tế" in grid and "Mở sự cố" in grid and "NGHIÊM TRỌNG" in grid
    assert "Cổng TTĐT Hòa An" not in grid
    # and back in the portal view by its feed control: the event filter goes with it
    box = f"//*[@id='{dom_id(ids.filter_box(PAGE, 'event'))}']"
    assert dash_duo.driver.find_element(By.XPATH, box).is_displayed()
    dash_duo.select_dcc_dropdown(control(dash_duo, PAGE, "feed"), value="Cổng thông tin")
    wait_until(
        lambda: not dash_duo.driver.find_element(By.XPATH, box).is_displayed(),
        timeout=10,
        message="the event filter hidden in the portal view",
    )


BY_AGENCY = ids.page_part(PAGE, ids.BY_AGENCY)
BREAKDOWN = ids.page_part(PAGE, ids.BREAKDOWN)
HISTORY = ids.page_part(PAGE, ids.HISTORY)


def detection(publish, console, district, ts_ms, action="blocked"):
    publish.send(
        f"ioc/security/{district}/{console}",
        {"ts": ts_ms, "system": "edr", "agency": console.removeprefix("edr-"),
         "event": "malware_detected", "severity": "medium", "endpoint": "PC-1",
         "threat": "Trojan.Win32.Agent", "action": action},
    )  # fmt: skip


def test_security003_detections_by_agency_and_district_and_availability_over_the_range(
    app, engine, collector, publish, dash_duo
):
    now = now_ms()
    for i in range(3):
        detection(publish, "edr-so-y-te", "thanh-pho-cao-bang", now - (i + 1) * 600_000)
    detection(publish, "edr-ubnd-hoa-an", "hoa-an", now - 300_000, action="quarantined")
    url = "https://hoaan.caobang.gov.vn/"
    portal_check(publish, "hoa-an", "cong-hoa-an", now - 7_200_000, url=url, status=200)
    portal_check(publish, "hoa-an", "cong-hoa-an", now - 3_600_000, up=False, url=url)
    wait_stored(collector, 6)
    wait_rolled_up(engine, now_ms())  # the day's charts read the 5-min rollups
    dash_duo.start_server(app)
    # the wall's "detections today" tile: detections by agency (by name) and by district
    dash_duo.driver.get(dash_duo.server_url + drilldown_href(KPIS["security.malware_today"]))
    wait_text(dash_duo, BY_AGENCY, "Sở Y tế")
    wait_text(dash_duo, BY_AGENCY, "UBND Hòa An")
    assert "3,0" in wait_text(dash_duo, BY_AGENCY, "1,0")  # three and one detections
    wait_text(dash_duo, BREAKDOWN, "Thành phố Cao Bằng")
    wait_text(dash_duo, BREAKDOWN, "Hòa An")
    wait_text(dash_duo, HISTORY, "Thành phố Cao Bằng")  # one series per district
    grid = wait_text(dash_duo, GRID, "Phát hiện mã độc")
    assert "Đã cách ly" in grid and "Đã chặn" in grid
    # the availability tile: up over the range, per portal — one check up, one down
    dash_duo.driver.get(dash_duo.server_url + drilldown_href(KPIS["portal.availability"]))
    wait_text(dash_duo, BY_AGENCY, "50,0")  # availability in %
    wait_text(dash_duo, BY_AGENCY, "Cổng TTĐT Hòa An")
    # availability over time: the up check's bucket at 100 %, the failed one's at 0
    ys = wait_until(
        lambda: dash_duo.driver.execute_script(
            "const g = document.querySelector(arguments[0]);"
            "return g && g.data && g.data.length ? g.data[0].y.filter(v => v !== null) : null",
            f"#{HISTORY} .js-plotly-plot",
        ),
        timeout=20,
        message="the availability line drawn",
    )
    assert sorted(ys) == [0, 100], ys
    wait_text(dash_duo, GRID, "Gián đoạn")


def test_security004_storage_down_is_said_in_words_on_every_panel(settings, dash_duo):
    """InfluxDB unreachable (nothing listens on its port): the page says so, never 'none'."""
    from dashboards.app import create_app
    from ioc.devservices.ports import free_port

    down = settings.model_copy(update={"influx_url": f"http://127.0.0.1:{free_port()}"})
    app = create_app(down)
    try:
        dash_duo.start_server(app)
        dash_duo.driver.get(dash_duo.server_url + "/security?range=24h")
        said = "Không đọc được kho dữ liệu"
        wait_text(dash_duo, ids.page_part(PAGE, ids.SUMMARY), said)
        wait_text(dash_duo, ids.page_part(PAGE, ids.RECORDS_NOTE), said)
        wait_text(dash_duo, INCIDENTS, said)
        wait_text(dash_duo, HISTORY, said)
        wait_text(dash_duo, BY_AGENCY, said)
        assert "Không có sự cố" not in text_of(dash_duo, INCIDENTS)
    finally:
        app.server.extensions["ioc_dashboard"].close()
